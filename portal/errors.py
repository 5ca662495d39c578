"""Error handlers: a full page, a fragment, or RFC 9457 problem+json, as the request expects."""
from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.web.render import is_htmx

PROBLEM_JSON = "application/problem+json"


def wants_problem_json():
    """API paths (and clients that prefer JSON) get problem+json."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json", PROBLEM_JSON])
    return best in ("application/json", PROBLEM_JSON)


def problem(status, title, detail=None, errors=None, headers=None, type_="about:blank"):
    """An RFC 9457 problem document as a response."""
    body = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _render_error(status, title, detail):
    if wants_problem_json():
        return problem(status, title, detail)
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, status=status, title=title, detail=detail), status


def init_app(app):
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render_error(400, "Form expired", "The form was open too long or came from elsewhere. "
                                                  "Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error):
        response = _render_error(error.code, error.name, error.description)
        if isinstance(response, tuple):
            body, status = response
            headers = dict(error.get_headers()) if error.code in (401, 405, 429) else {}
            headers.pop("Content-Type", None)
            return body, status, headers
        if error.code in (401, 405):
            for name, value in error.get_headers():
                if name != "Content-Type":
                    response.headers[name] = value
        return response

    @app.errorhandler(OperationalError)
    def database_busy(error):
        """SQLite's write lock held longer than the busy timeout (a large import's apply), or PostgreSQL ending one
        of two changes that waited for each other (a deadlock: two bulk moves between the same groups in opposite
        directions wait for each other's settings tally rows): 503, try again."""
        deadlock = getattr(error.orig, "sqlstate", None) == "40P01"
        if "database is locked" not in str(error.orig) and not deadlock:
            return server_error(InternalServerError(original_exception=error))
        from portal.extensions import db

        db.session.rollback()
        title, detail = "Busy", "The database is busy writing a large change (an import). Nothing was saved; try " \
                                "again in a few seconds."
        if deadlock:
            detail = "Another change to the same customers was being saved at the same moment. Nothing was saved; " \
                     "try again."
        if wants_problem_json():
            return problem(503, title, detail, headers={"Retry-After": "5"})
        # Rendered without the context processors: they ask who is signed in, which the database cannot answer now.
        template = app.jinja_env.get_template("errors/_error.html" if is_htmx() else "errors/busy.html")
        return template.render(status=503, title=title, detail=detail), 503, {"Retry-After": "5"}

    @app.errorhandler(InternalServerError)
    def server_error(error):
        app.logger.exception("unhandled error", exc_info=getattr(error, "original_exception", error))
        return _render_error(500, "Something went wrong", "The error was logged. Nothing was saved.")
