"""Audit events: who changed what, field by field, written in the caller's transaction."""
from contextlib import contextmanager
from contextvars import ContextVar
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


@contextmanager
def _within(variable, value):
    """`variable` holds `value` inside the block (the events recorded there read it)."""
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


_acting = ContextVar("audit_acting", default=None)


def acting(actor):
    """Every event recorded inside names `actor` (a background job acts for the user who started it)."""
    return _within(_acting, actor)


def current_actor():
    """The actor of the current request: its API token or its signed-in user; else the command line."""
    if _acting.get() is not None:
        return _acting.get()
    if not has_request_context():
        return CLI_ACTOR
    if getattr(g, "api_actor", None):
        return g.api_actor
    from flask_login import current_user

    if current_user and current_user.is_authenticated:
        return Actor("user", current_user.id, current_user.email)
    return CLI_ACTOR


def current_reason():
    """The reason the request gave for its changes (the API's X-Audit-Reason), or None."""
    return getattr(g, "audit_reason", None) if has_request_context() else None


@dataclass(frozen=True)
class Reverting:
    """The event a change undoes, and the reason its events carry."""

    event_id: int
    reason: str


_reverting = ContextVar("audit_reverting", default=None)
_importing = ContextVar("audit_importing", default=None)


def importing(import_id):
    """Every event recorded inside carries the import's id, which finds all the changes of one import."""
    return _within(_importing, import_id)


def reverting(event_id, reason):
    """Every event recorded inside names `event_id` as the one it reverts and carries `reason`, so that a revert
    goes through the same service as a normal edit and its event still says what it undoes."""
    return _within(_reverting, Reverting(event_id, reason))


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


def _event(organization_id, entity, entity_id, action, changes, customer_id=None, actor=None, reason=None):
    """An audit event's column values: the current actor, reason, revert and import unless given."""
    actor = actor or current_actor()
    revert = _reverting.get()
    if reason is None:
        reason = revert.reason if revert else current_reason()
    return dict(
        organization_id=organization_id, customer_id=customer_id, entity=entity, entity_id=str(entity_id),
        action=action, actor_type=actor.type, actor_id=actor.id, actor_name=actor.name,
        reason=reason, changes=jsonable(changes), reverts_event_id=revert.event_id if revert else None,
        import_id=_importing.get(),
    )


def record(organization_id, entity, entity_id, action, changes, customer_id=None, actor=None, reason=None):
    """Add an audit event to the session; it commits with the change it describes."""
    event = AuditEvent(**_event(organization_id, entity, entity_id, action, changes, customer_id, actor, reason))
    db.session.add(event)
    return event


def record_many(events):
    """Insert many audit events at once (each a dict of `record`'s arguments), in the caller's transaction."""
    import sqlalchemy as sa

    if events:
        db.session.execute(sa.insert(AuditEvent), [_event(**event) for event in events])
