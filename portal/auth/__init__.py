"""Sign-in, roles and the tenant boundary."""
from functools import wraps

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort
from flask_login import current_user, login_required

from portal.domain.validation import whole_number
from portal.extensions import db

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile


def hash_password(password):
    return _hasher.hash(password)


def check_password(password_hash, password):
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A real hash to verify against when the email is unknown, so timing does not reveal accounts.
DUMMY_HASH = hash_password("not-a-real-password")


def role_required(role):
    """Allow the view to users whose role is at least `role`; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.can(role):
                abort(403, "Your role does not allow this change.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def current_org_id():
    return current_user.organization_id


def get_in_org_or_404(model, object_id, organization_id=None, for_update=False):
    """A record of the current organization, or 404 (another tenant's id looks like no id); `for_update` locks it."""
    organization_id = organization_id or current_org_id()
    if whole_number(object_id) is None:
        abort(404)
    query = sa.select(model).where(model.id == object_id, model.organization_id == organization_id)
    return db.first_or_404(query.with_for_update(of=model) if for_update else query)


SESSION_KEY = "sid"  # the cookie's name for the server-side session


def init_login(app):
    """Flask-Login: a user is signed in while the session the cookie names lives on the server."""
    from flask import session

    from portal.extensions import login_manager
    from portal.services import sessions

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id):
        user_id = whole_number(str(user_id))
        return sessions.user_for(user_id, session.get(SESSION_KEY)) if user_id is not None else None
