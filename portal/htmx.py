"""The one place that decides between a full page and a fragment."""
from flask import render_template, request
from jinja2_fragments.flask import render_block


def is_htmx():
    """Whether htmx sent this request (and it is not a history restore, which wants the page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def triggered_by():
    """The id of the element that triggered the htmx request, if any."""
    return request.headers.get("HX-Trigger") if is_htmx() else None


def render(template, block=None, status=200, headers=None, **context):
    """The page, or one block of it when htmx asked for a fragment."""
    if block and is_htmx():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return body, status, headers or {}


def render_fragment(template, block, status=200, headers=None, **context):
    """Always one block of a template (for routes that only htmx calls, or partial templates)."""
    if block is None:
        return render_template(template, **context), status, headers or {}
    return render_block(template, block, **context), status, headers or {}
