"""The one renderer: a full page or a fragment, out-of-band parts, flash messages as a toast, redirects."""
from flask import (
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
)
from jinja2_fragments.flask import render_block

FLASHES_TEMPLATE = "_flashes.html"


def is_htmx():
    """Whether htmx sent this request (and it is not a history restore, which wants the page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def targets(element_id):
    """Whether htmx asked for the part with this id (the page's own links and forms name their target)."""
    return is_htmx() and request.headers.get("HX-Target") == element_id


def render(template, block=None, /, *, status=200, headers=None, fragment_template=None, oob=(), **context):
    """The page, or for htmx one block of it with out-of-band parts and pending flash messages as a toast.

    `fragment_template` names where the block lives when it is not in the page template itself (a section's
    own template, included by the page); `oob` lists (template, block) pairs rendered with `oob=True` so that
    they replace their element wherever it is on the page (the header, the dunning timeline).
    """
    if not (block and is_htmx()):
        return render_template(template, **context), status, headers or {}
    body = render_block(fragment_template or template, block, **context)
    for oob_template, oob_block in oob:
        body += render_block(oob_template, oob_block, **{**context, "oob": True})
    body += toast()
    return body, status, headers or {}


def toast():
    """Pending flash messages as an out-of-band swap of the page's message area, so they show where the user is."""
    if not session.get("_flashes"):
        return ""
    return render_block(FLASHES_TEMPLATE, "flashes", oob=True,
                        messages=get_flashed_messages(with_categories=True))


def redirect_to(target):
    """Send the browser to `target`: HX-Redirect for htmx (a 302 would be followed inside the swap), else 302.

    Flash messages stay in the session for the page the browser goes to.
    """
    if is_htmx():
        return "", 204, {"HX-Redirect": target}
    return redirect(target)


def done(message, target, answer):
    """After a change: for htmx, `answer()` (a fragment) with the message as a toast; for a plain form, a redirect
    to `target`, where the message shows (post, redirect, get)."""
    if message:
        flash(message, "success")
    if not is_htmx():
        return redirect(target)
    return answer()
