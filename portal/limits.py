"""Rate limits: what a limited person is told, and the RateLimit headers in the IETF draft's form."""
import math
import time

from flask import g

from portal.extensions import limiter


def seconds_until_reset():
    """Seconds until the limit this request met (the breached one, if any) lets requests through again."""
    current = limiter.current_limit
    if current is None:
        return 0
    return max(1, int(current.reset_at - time.time()))


def try_again_in(seconds):
    """When to try again, in the product's words: "in 42 seconds", "in 3 minutes", "in 1 hour"."""
    if seconds <= 90:
        return f"in {seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(minutes / 60)
    return f"in {hours} hour{'s' if hours != 1 else ''}"


def _remember_own_retry_after(response):
    """Keep the Retry-After the view itself sent (before the limiter writes its own into every response)."""
    g.own_retry_after = response.headers.get("Retry-After")
    return response


def _reset_as_seconds(response):
    # Flask-Limiter puts its Retry-After on every answer; only a 429 is about the limit, others keep the view's.
    if response.status_code != 429:
        own = g.pop("own_retry_after", None)
        if own is None:
            response.headers.pop("Retry-After", None)
        else:
            response.headers["Retry-After"] = own
    # Flask-Limiter sends a Unix timestamp; the draft's RateLimit-Reset is the number of seconds left.
    reset = response.headers.get("RateLimit-Reset")
    if reset and reset.isdigit() and int(reset) > 10**9:
        response.headers["RateLimit-Reset"] = str(max(0, int(int(reset) - time.time())))
    return response


def init_app(app):
    """Register the header fix-up; call it before limiter.init_app, so that it runs after the limiter's own."""
    app.after_request(_reset_as_seconds)


def remember_own_headers(app):
    """Call after limiter.init_app: this hook runs before the limiter's."""
    app.after_request(_remember_own_retry_after)
