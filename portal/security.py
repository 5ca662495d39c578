"""Security headers (CSP without inline script or eval) and the current tenant."""
from flask import request

CSP = (
    "default-src 'self'; script-src 'self' {htmx_url}; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'; object-src 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def insecure_transport():
    """Whether this request came over plain HTTP while session cookies are Secure (the browser will not send
    them back, so no sign-in can work)."""
    from flask import current_app

    return (current_app.config["SESSION_COOKIE_SECURE"] and not request.is_secure
            and request.headers.get("X-Forwarded-Proto") != "https")


SECURE_COOKIES_NOTE = ("Session cookies are Secure: serve the portal over HTTPS (or behind a TLS proxy that sets "
                       "X-Forwarded-Proto). For a local try, `make run` uses the development settings.")


def warn_at_start(app):
    """Said once when a server starts (not by every CLI command): sign-in over plain HTTP cannot work."""
    if app.config["SESSION_COOKIE_SECURE"]:
        app.logger.warning(SECURE_COOKIES_NOTE)


def init_app(app):
    """Send the security headers of SPEC §10 with every response."""
    # The one htmx file, not every script of its CDN.
    htmx_url = app.config["PORTAL_HTMX_URL"] if app.config["PORTAL_HTMX_URL"].startswith("https://") else ""
    csp = CSP.format(htmx_url=htmx_url).replace("  ", " ")

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.headers.get("HX-Request") or response.mimetype == "text/html":
            response.vary.add("HX-Request")
        if request.endpoint and not request.endpoint.startswith("static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
