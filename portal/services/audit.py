"""Audit events: who changed what, field by field, written in the caller's transaction."""
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import g, has_request_context

from portal.extensions import db
from portal.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a user, an API token or the command line."""

    type: str  # user | token | cli
    id: int | None
    name: str


CLI_ACTOR = Actor("cli", None, "command line")


def current_actor():
    """The actor of the current request: its API token or its signed-in user; else the command line."""
    if not has_request_context():
        return CLI_ACTOR
    if getattr(g, "api_actor", None):
        return g.api_actor
    from flask_login import current_user

    if current_user and current_user.is_authenticated:
        return Actor("user", current_user.id, current_user.email)
    return CLI_ACTOR


def current_reason():
    return getattr(g, "audit_reason", None) if has_request_context() else None


def jsonable(value):
    """A value as JSON can hold it (decimals and dates as strings)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def diff(before, after):
    """The fields whose value changed, as {field: [old, new]}."""
    return {
        field: [jsonable(before.get(field)), jsonable(after.get(field))]
        for field in after
        if jsonable(before.get(field)) != jsonable(after.get(field))
    }


def record(organization_id, entity, entity_id, action, changes, customer_id=None, actor=None, reason=None):
    """Add an audit event to the session; it commits with the change it describes."""
    actor = actor or current_actor()
    event = AuditEvent(
        organization_id=organization_id, customer_id=customer_id, entity=entity, entity_id=str(entity_id),
        action=action, actor_type=actor.type, actor_id=actor.id, actor_name=actor.name,
        reason=reason if reason is not None else current_reason(), changes=jsonable(changes),
    )
    db.session.add(event)
    return event
