"""Users of an organization: adding them with a one-time set-password link, roles, deactivation, passwords.

Every change leaves an audit event (entity "user"); a new password, a new role and deactivation end the user's
sessions (the model's flush hook does that, whichever path changed them)."""
import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from portal.auth import check_password, hash_password
from portal.domain import labels
from portal.domain import validation as rules
from portal.domain.validation import Errors, ValidationFailed
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.organization import ROLES
from portal.services import audit

# How long a set-password link works: a new user's (they may read the message days later), a reset's.
NEW_USER_LINK_HOURS = 72
RESET_LINK_HOURS = 24
# No password verifies against this (not an Argon2 hash): a user with a link and no password yet cannot sign in.
NO_PASSWORD = "!"
LAST_ADMIN = "The organization needs an active admin: make another user admin first."


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _new_link(user, hours):
    """Give the user a fresh one-time link (any earlier one stops working); return the token it carries."""
    token = secrets.token_urlsafe(32)
    user.password_link_hash = _hash(token)
    user.password_link_expires_at = utcnow() + timedelta(hours=hours)
    return token


def organization_users(organization_id):
    return db.session.scalars(sa.select(User).where(User.organization_id == organization_id)
                              .order_by(User.is_active_user.desc(), sa.func.lower(User.email))).all()


def state(user):
    """active | invited (a link, no password yet) | deactivated."""
    if not user.is_active_user:
        return "deactivated"
    return "invited" if user.password_hash == NO_PASSWORD else "active"


def add_user(organization_id, email, name, role):
    """A new user without a password, and the token of the link that sets it."""
    errors = Errors()
    email = errors.check("email", rules.email, email)
    name = errors.check("name", rules.text, name, 200) or ""
    role = errors.check("role", rules.choice, role, ROLES, "Role")
    if email and db.session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email.lower())):
        errors["email"] = "A user with this email exists already."
    errors.raise_if_any()
    user = User(organization_id=organization_id, email=email, name=name, role=role, password_hash=NO_PASSWORD)
    token = _new_link(user, NEW_USER_LINK_HOURS)
    db.session.add(user)
    db.session.flush()
    audit.record(organization_id, "user", user.id, "create", {"email": [None, email], "role": [None, role]})
    return user, token


def _other_active_admins(user):
    """How many active admins besides `user` the organization has, their rows locked (two admins demoting each
    other at once cannot leave none)."""
    others = db.session.scalars(sa.select(User.id).where(
        User.organization_id == user.organization_id, User.role == "admin", User.is_active_user.is_(True),
        User.id != user.id).with_for_update()).all()
    return len(others)


def _refuse_self(user, actor_id, what):
    if actor_id is not None and user.id == actor_id:
        raise ValidationFailed({"user": f"You cannot {what} yourself; ask another admin."})


def change_role(user, role, actor_id=None):
    if role not in ROLES:
        raise ValidationFailed({"role": "Choose a role: Viewer, Manager or Admin."})
    if role == user.role:
        return False
    _refuse_self(user, actor_id, "change the role of")
    if user.role == "admin" and user.is_active_user and not _other_active_admins(user):
        raise ValidationFailed({"role": LAST_ADMIN})
    before = user.role
    user.role = role
    audit.record(user.organization_id, "user", user.id, "update", {"role": [before, role]})
    return True


def deactivate(user, actor_id=None):
    if not user.is_active_user:
        return False
    _refuse_self(user, actor_id, "deactivate")
    if user.role == "admin" and not _other_active_admins(user):
        raise ValidationFailed({"user": LAST_ADMIN})
    user.is_active_user = False
    user.password_link_hash = user.password_link_expires_at = None  # an open link must not revive the account
    audit.record(user.organization_id, "user", user.id, "deactivate", {"isActive": [True, False]})
    return True


def reactivate(user):
    if user.is_active_user:
        return False
    user.is_active_user = True
    audit.record(user.organization_id, "user", user.id, "reactivate", {"isActive": [False, True]})
    return True


def reset_password(user, actor_id=None):
    """The old password stops working (and every session ends); a new one-time link sets the next one. For a user
    who has no password yet, just a new link (as long-lived as a new user's)."""
    if not user.is_active_user:
        raise ValidationFailed({"user": "Reactivate the user first."})
    _refuse_self(user, actor_id, "reset the password of")
    had_password = user.password_hash != NO_PASSWORD
    user.password_hash = NO_PASSWORD
    token = _new_link(user, RESET_LINK_HOURS if had_password else NEW_USER_LINK_HOURS)
    audit.record(user.organization_id, "user", user.id, "reset",
                 {"password": ["set" if had_password else "none", "link"]})
    return token


def user_for_link(token):
    """The active user whose unexpired link this is, or None."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    user = db.session.scalar(sa.select(User).where(User.password_link_hash == _hash(token)))
    if user is None or not user.is_active_user or user.password_link_expires_at < utcnow():
        return None
    return user


def _check_new_password(password, confirmation, errors):
    new = errors.check("password", rules.password, password)
    if new is not None and password != confirmation:
        errors["confirm"] = "The two passwords differ."
    return new


def set_password_with_link(token, password, confirmation):
    """Use a one-time link: the user's password is set and the link is spent."""
    user = user_for_link(token)
    if user is None:
        raise ValidationFailed({"link": "This link has expired or was already used. Ask an admin for a new one."})
    errors = Errors()
    new = _check_new_password(password, confirmation, errors)
    errors.raise_if_any()
    user.password_hash = hash_password(new)
    user.password_link_hash = user.password_link_expires_at = None
    audit.record(user.organization_id, "user", user.id, "update", {"password": ["link", "set"]},
                 actor=audit.Actor("user", user.id, user.email))
    return user


def change_own_password(user, current, password, confirmation):
    errors = Errors()
    if not check_password(user.password_hash, current or ""):
        errors["current"] = "This is not your current password."
    new = _check_new_password(password, confirmation, errors)
    if new is not None and "current" not in errors and new == current:
        errors["password"] = "Choose a password different from the current one."
    errors.raise_if_any()
    user.password_hash = hash_password(new)
    audit.record(user.organization_id, "user", user.id, "update", {"password": ["set", "changed"]})
    return user


def role_label(role):
    return labels.label("role", role)


def sentence(event, email):
    """What an audit event of a user says, after its actor's name."""
    changes = event.changes or {}
    if event.action == "create":
        return f"added {email} as {role_label(changes.get('role', [None, None])[1])}"
    if event.action == "deactivate":
        return f"deactivated {email}"
    if event.action == "reactivate":
        return f"reactivated {email}"
    if event.action == "reset":
        return (f"reset the password of {email} (a new set-password link)"
                if changes.get("password", ["set"])[0] == "set" else f"gave {email} a new set-password link")
    if "role" in changes:
        old, new = changes["role"]
        return f"changed the role of {email} from {role_label(old)} to {role_label(new)}"
    if "password" in changes:
        return "set their password with a one-time link" if changes["password"][0] == "link" else \
            "changed their password"
    return f"changed {email}"
