"""API tokens: shown once, stored as a SHA-256 hash, revocable."""
import hashlib
import secrets

import sqlalchemy as sa

from portal.domain import validation as rules
from portal.domain.validation import Errors
from portal.extensions import db
from portal.models import ApiToken
from portal.models.base import utcnow
from portal.services import audit

TOKEN_PREFIX = "cp_"


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(organization_id, name, read_only=False):
    """Create a token; return (record, the secret, which is never stored)."""
    errors = Errors()
    name = errors.check("name", rules.required_text, name, 120, "A name (e.g. the system that will use it)")
    errors.raise_if_any()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(organization_id=organization_id, name=name,
                     token_hash=hash_token(secret), prefix=secret[:10], read_only=read_only)
    db.session.add(token)
    db.session.flush()
    audit.record(organization_id, "apiToken", token.id, "create",
                 {"name": [None, token.name], "readOnly": [None, read_only]})
    return token, secret


def find_active_token(secret):
    """The unrevoked token with this secret, or None."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    return db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(secret),
                                                       ApiToken.revoked_at.is_(None)))


def revoke_token(token):
    token.revoked_at = utcnow()
    audit.record(token.organization_id, "apiToken", token.id, "revoke", {"revoked": [False, True]})


def organization_tokens(organization_id):
    return db.session.scalars(sa.select(ApiToken).where(ApiToken.organization_id == organization_id)
                              .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())).all()
