"""The JSON API under /api/v1: bearer tokens, problem+json errors, ETags, idempotent POSTs."""
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, g, request
from flask_limiter.util import get_remote_address
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from portal.domain.validation import ValidationFailed
from portal.errors import problem
from portal.extensions import db, limiter
from portal.models import ApiToken
from portal.models.base import utcnow
from portal.services.audit import Actor
from portal.services.tokens import find_active_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_BODY = 1024 * 1024


class ApiError(Exception):
    """An error answered as RFC 9457 problem+json."""

    def __init__(self, status, title, detail=None, errors=None, headers=None):
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.errors, self.headers = status, title, detail, errors, headers


def bearer_token():
    """The active token the request's `Authorization: Bearer` header names, or None (looked up once a request)."""
    if "bearer_token" not in g:
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        g.bearer_token = find_active_token(secret.strip()) if scheme.lower() == "bearer" else None
    return g.bearer_token


def rate_limit_key():
    """Each token has its own budget; requests without a valid token share their client address's."""
    token = bearer_token()
    return f"token:{token.id}" if token is not None else f"anonymous:{get_remote_address()}"


# The limiter checks before authenticate() runs (app hooks come first), hence the shared, cached token lookup.
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)(bp)


@bp.before_request
def authenticate():
    """Bearer token of the organization; read-only tokens may only read; the body limit first."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    challenge = {"WWW-Authenticate": 'Bearer realm="customer-portal"'}
    header = request.headers.get("Authorization", "")
    token = bearer_token()
    if token is None:
        raise ApiError(401, "Unauthorized", "Send a valid API token as 'Authorization: Bearer <token>'.",
                       headers={**challenge, "WWW-Authenticate": challenge["WWW-Authenticate"]
                                + (', error="invalid_token"' if header else "")})
    if request.method in WRITE_METHODS and token.read_only:
        raise ApiError(403, "Forbidden", "This API token is read-only.")
    if request.content_length and request.content_length > MAX_BODY:
        raise ApiError(413, "Content Too Large", "The body may be at most 1 MiB.")
    g.api_token = token
    g.api_actor = Actor("token", token.id, f"API token “{token.name}”")
    reason = request.headers.get("X-Audit-Reason", "").strip()
    g.audit_reason = reason[:500] or None
    if token.last_used_at is None or token.last_used_at < utcnow() - timedelta(minutes=5):
        db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=utcnow()))
        db.session.commit()
    return None


@bp.errorhandler(ApiError)
def api_error(error):
    db.session.rollback()
    return problem(error.status, error.title, error.detail, error.errors, error.headers)


@bp.errorhandler(ValidationFailed)
def validation_failed(error):
    db.session.rollback()
    return problem(422, "Unprocessable Content", "Some fields are invalid.", error.as_list())


@bp.errorhandler(StaleDataError)
def stale(error):
    db.session.rollback()
    return problem(412, "Precondition Failed", "The resource was changed by someone else; GET it again.")


@bp.errorhandler(HTTPException)
def http_error(error):
    db.session.rollback()
    if error.code == 429:  # Retry-After and the RateLimit headers are added by the limiter after this
        whose = "this API token" if g.get("bearer_token") is not None else "requests without a valid token"
        return problem(429, "Too Many Requests", f"The rate limit of {whose} ({error.description}) is used up; "
                                                 "try again after the seconds Retry-After names.")
    headers = {k: v for k, v in error.get_headers() if k in ("Allow", "WWW-Authenticate")}
    return problem(error.code, error.name, error.description, headers=headers)


from portal.api import customer_parts, customers, docs, dunning, groups, settings  # noqa: E402,F401  (routes attach to bp)
