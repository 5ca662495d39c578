"""Sessions that end on the server: a row per signed-in browser; the signed cookie only names it."""
import hashlib
import secrets

import sqlalchemy as sa

from portal.extensions import db
from portal.models import User, UserSession
from portal.models.base import utcnow


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def start(user_id):
    """A new session for the user; returns the token the cookie carries."""
    token = secrets.token_urlsafe(32)
    db.session.execute(sa.insert(UserSession).values(user_id=user_id, token_hash=_hash(token), created_at=utcnow()))
    return token


def user_for(user_id, token):
    """The user whose live session this is, or None (ended, unknown, or another user's)."""
    if not isinstance(token, str) or not token:
        return None
    return db.session.scalar(sa.select(User).join(UserSession, UserSession.user_id == User.id).where(
        User.id == user_id, User.is_active_user.is_(True), UserSession.token_hash == _hash(token)))


def end(token):
    """End one session (sign out)."""
    if isinstance(token, str) and token:
        db.session.execute(sa.delete(UserSession).where(UserSession.token_hash == _hash(token)))


def end_all(user_id):
    """End every session of a user (sign out everywhere; a new password, a new role, deactivation)."""
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user_id))
