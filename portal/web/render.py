"""The one place that decides between a full page and a fragment."""
from flask import redirect, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx():
    """Whether htmx sent this request (and it is not a history restore, which wants the page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def render(template, block=None, status=200, headers=None, **context):
    """The page, or one block of it when htmx asked for a fragment."""
    if block and is_htmx():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return body, status, headers or {}


def redirect_to(target):
    """Send the browser to `target`: HX-Redirect for htmx (a 302 would be followed inside the swap), else 302."""
    if is_htmx():
        return "", 204, {"HX-Redirect": target}
    return redirect(target)
