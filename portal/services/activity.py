"""The customer's activity log: a filtered page of its audit events in words, and reverting one field of one.

A page costs the same few queries however many events it shows: the count, the rows, the people who made
changes (for the filter), one query for every name the page's ids refer to, and one for the labels removed
payment methods had. Reverting applies the old value through the service a normal edit of that field uses (same
rules, same audit), inside `audit.reverting()` so that the new event names the one it undoes.
"""
import json
from dataclasses import dataclass, field

import sqlalchemy as sa

from portal.domain import activity as words
from portal.domain import labels
from portal.domain.validation import ValidationFailed, whole_number
from portal.extensions import db
from portal.models import (
    AuditEvent,
    CustomerGroup,
    DocumentTemplate,
    DunningLadder,
    EmailTemplate,
    LegalEntity,
    PropertyDefinition,
    User,
)
from portal.services import addresses as address_service
from portal.services import audit
from portal.services import contacts as contact_service
from portal.services import customers as customer_service
from portal.services import properties as property_service
from portal.services import settings_store as store

EVENTS_PER_PAGE = 25


# --- filters ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActivityFilter:
    """What the Activity tab shows: a section, a person (or token), a channel; empty = everything."""

    section: str = ""
    person: str = ""  # "user:<id>" or "token:<id>"
    channel: str = ""

    @classmethod
    def checked(cls, section, person, channel):
        """The filter a query string asks for; values that name nothing known are ignored (no 500, no surprise)."""
        return cls(section=section if section in words.SECTION_ENTITIES else "",
                   person=person if _person(person) else "",
                   channel=channel if channel in labels.ENUMS["channel"] else "")

    def args(self):
        """The filter as query arguments (for links and forms that keep it)."""
        return {name: value for name, value in
                (("section", self.section), ("person", self.person), ("channel", self.channel)) if value}

    def __bool__(self):
        return bool(self.args())


def _person(value):
    """(actor type, actor id) of a person filter value, or None."""
    kind, _, actor_id = str(value).partition(":")
    number = whole_number(actor_id)
    return (kind, number) if kind in ("user", "token") and number is not None else None


def _filtered(query, flt):
    if flt.section:
        query = query.where(AuditEvent.entity.in_(words.SECTION_ENTITIES[flt.section]))
    if flt.channel:
        query = query.where(AuditEvent.actor_type == flt.channel)
    if flt.person:
        kind, actor_id = _person(flt.person)
        query = query.where(AuditEvent.actor_type == kind, AuditEvent.actor_id == actor_id)
    return query


# --- a page of events -------------------------------------------------------------------------------------

@dataclass
class EventRow:
    """One event of the page: the record and what it says."""

    event: AuditEvent
    words: words.EventWords


@dataclass
class ActivityPage:
    """One page of the Activity tab."""

    rows: list
    total: int
    page: int
    per_page: int
    filter: ActivityFilter
    people: list = field(default_factory=list)  # (filter value, name) of everyone who changed this customer

    @property
    def pages(self):
        """How many pages the filtered events fill (at least one)."""
        return max(1, -(-self.total // self.per_page))

    sections = labels.choices("activitySection")  # (code, label) for the filter's selects
    channels = labels.choices("channel")


def customer_events(customer):
    """The query of a customer's events (inside its organization)."""
    return sa.select(AuditEvent).where(AuditEvent.organization_id == customer.organization_id,
                                       AuditEvent.customer_id == customer.id)


def activity_page(customer, flt, page=1, per_page=EVENTS_PER_PAGE):
    """A page of the customer's events, newest first, each in words with its fields' revert states."""
    query = _filtered(customer_events(customer), flt)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.with_only_columns(AuditEvent.id)
                                                                     .subquery()))
    # A page past the last shows the last: no offset beyond the events (2^63 would overflow the database).
    last_page = max(1, -(-total // per_page))
    page = min(max(page or 1, 1), last_page)
    events = db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(per_page)
                                .offset((page - 1) * per_page)).all()
    actors = db.session.execute(
        sa.select(AuditEvent.actor_type, AuditEvent.actor_id, sa.func.max(AuditEvent.actor_name))
        .where(AuditEvent.organization_id == customer.organization_id, AuditEvent.customer_id == customer.id,
               AuditEvent.actor_type.in_(("user", "token")), AuditEvent.actor_id.is_not(None))
        .group_by(AuditEvent.actor_type, AuditEvent.actor_id)).all()
    refs = references(customer, events, extra_users={actor_id for kind, actor_id, _ in actors if kind == "user"})
    now = current_values(customer, refs)
    rows = [EventRow(event, words.describe(event, refs, now)) for event in events]
    people = sorted(((f"{kind}:{actor_id}", words.actor_words(kind, actor_id, name, refs.users))
                     for kind, actor_id, name in actors), key=lambda person: (person[0][0] != "u", person[1].lower()))
    return ActivityPage(rows=rows, total=total, page=page, per_page=per_page, filter=flt, people=people)


def references(customer, events, extra_users=()):
    """What the events' ids name: one query for legal entities, users, templates and properties together, and one
    for the labels of payment methods that are gone (only when there are such ids)."""
    wanted = words.referenced_ids(events)
    wanted["users"].update(extra_users)
    org = customer.organization_id
    selects = []

    def named(kind, model, ids, key=None, name=None, kind_of=None, extra=None):
        """One part of the UNION: (kind, key, name, extra, id) of the organization's `model` rows asked for."""
        key = key if key is not None else model.id
        selects.append(sa.select(sa.cast(sa.literal(kind), sa.String).label("kind"), sa.cast(key, sa.String).label("key"),
                                 sa.cast(name, sa.String).label("name"),
                                 sa.cast(extra if extra is not None else sa.literal(""), sa.String).label("extra"),
                                 sa.cast(model.id, sa.String).label("id"))
                       .where(model.organization_id == org, kind_of.in_(ids)))

    ids = lambda kind: sorted({n for n in (whole_number(str(v)) for v in wanted[kind]) if n is not None})  # noqa: E731
    if ids("legal_entities"):
        named("legal_entities", LegalEntity, ids("legal_entities"), name=LegalEntity.name, kind_of=LegalEntity.id)
    if ids("groups"):
        named("groups", CustomerGroup, ids("groups"), name=CustomerGroup.name, kind_of=CustomerGroup.id)
    if ids("ladders"):
        named("ladders", DunningLadder, ids("ladders"), name=DunningLadder.name, kind_of=DunningLadder.id)
    if ids("email_templates"):
        named("email_templates", EmailTemplate, ids("email_templates"), name=EmailTemplate.name,
              kind_of=EmailTemplate.id)
    if ids("document_templates"):
        named("document_templates", DocumentTemplate, ids("document_templates"), name=DocumentTemplate.name,
              kind_of=DocumentTemplate.id)
    # Always asked (an empty IN is no row): the page costs the same query whatever its events name.
    named("users", User, ids("users"), name=sa.case((User.name != "", User.name), else_=User.email),
          kind_of=User.id)
    if wanted["properties"]:
        named("properties", PropertyDefinition, sorted(wanted["properties"]), key=PropertyDefinition.key,
              name=PropertyDefinition.label, kind_of=PropertyDefinition.key, extra=PropertyDefinition.type)
    found = {"legal_entities": {}, "groups": {}, "ladders": {}, "email_templates": {}, "document_templates": {}, "users": {}, "properties": {}}
    if selects:
        for kind, key, name, extra, row_id in db.session.execute(sa.union_all(*selects)).all():
            if kind == "users":
                found[kind][int(key)] = name
            elif kind == "properties":
                found[kind][key] = words.PropertyInfo(int(row_id), name, extra)
            else:
                found[kind][key] = name
    methods = {str(m.id): m.label for m in customer.payment_methods}
    gone = sorted({n for n in (whole_number(v) for v in wanted["payment_methods"] - set(methods)) if n is not None})
    return words.References(
        currency=customer.currency, legal_entities=found["legal_entities"], groups=found["groups"],
        ladders=found["ladders"], payment_methods=methods,
        removed_payment_methods=_removed_payment_methods(customer, gone), addresses=_address_names(customer),
        contacts={str(c.id): words.contact_name(c.first_name, c.last_name, c.email) for c in customer.contacts},
        properties=found["properties"], users=found["users"], email_templates=found["email_templates"],
        document_templates=found["document_templates"])


def _removed_payment_methods(customer, method_ids):
    """{id: label} of removed payment methods, from the events that added or removed them (one query)."""
    if not method_ids:
        return {}
    rows = db.session.execute(sa.select(AuditEvent.entity_id, AuditEvent.changes).where(
        AuditEvent.organization_id == customer.organization_id, AuditEvent.customer_id == customer.id,
        AuditEvent.entity == "paymentMethod", AuditEvent.action.in_(("create", "delete")),
        AuditEvent.entity_id.in_([str(i) for i in method_ids]))).all()
    found = {}
    for entity_id, changes in rows:
        label = next((value for value in (changes or {}).get("label", []) if isinstance(value, str) and value), None)
        if label:
            found[entity_id] = label
    return found


def _address_names(customer):
    return {str(a.id): words.address_name(a.is_main, a.type, a.name, a.line1, a.city) for a in customer.addresses}


# --- what a field holds now -----------------------------------------------------------------------------------

def current_values(customer, refs):
    """A function giving a field's value now, in the audit trail's shape (MISSING when its record is gone).

    It reads what the customer was loaded with (its settings, addresses, contacts, property values): no queries.
    """
    summary = audit.jsonable(customer_service.customer_summary(customer))
    layer = audit.jsonable(store.customer_layer(customer))
    addresses = {str(a.id): a for a in customer.addresses}
    contacts = {str(c.id): c for c in customer.contacts}
    values = property_service.values_of(customer)

    def current(entity, entity_id, name):
        """The field's value now, or MISSING."""
        if entity == "customer":
            return summary.get(name)
        if entity == "settings":
            return layer.get(name)
        if entity == "address":
            address = addresses.get(str(entity_id))
            return audit.jsonable(address_service.address_summary(address).get(name)) if address else words.MISSING
        if entity == "contact":
            contact = contacts.get(str(entity_id))
            return audit.jsonable(contact_service.contact_summary(contact).get(name)) if contact else words.MISSING
        if entity == "properties":
            info = refs.properties.get(name)
            return (values.get(info.id) or None) if info else words.MISSING
        return words.MISSING

    return current


# --- revert ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RevertOutcome:
    """What a revert did: "reverted", "unchanged" (the old value is back already), "conflict" (changed since:
    nothing done) or "invalid" (the old value breaks a rule now: nothing stored)."""

    kind: str
    message: str
    event_id: int
    field: str
    label: str = ""
    now: str = ""  # the value saved now, in words (conflict)
    restore: str = ""  # the value the revert would put back, in words
    seen: str = ""  # the value saved now as the conflict view showed it (to revert knowingly)

    @property
    def applied(self):
        """Whether the revert changed something (the caller commits)."""
        return self.kind == "reverted"


def find_event(customer, event_id):
    """One of the customer's events, or None."""
    return db.session.scalar(customer_events(customer).where(AuditEvent.id == event_id))


def revertible_change(customer, event, name):
    """The event's [old, new] for a field a revert can put back, or None."""
    change = (event.changes or {}).get(name) if isinstance(event.changes, dict) else None
    if not isinstance(change, list) or len(change) != 2:
        return None
    return change if words.is_revertible(event.entity, event.action, name, change) else None


APPLY = {
    "customer": lambda customer, entity_id, name, value: customer_service.update_customer(customer, {name: value}),
    "settings": lambda customer, entity_id, name, value: store.update_customer_settings(customer, {name: value}),
    "address": lambda customer, entity_id, name, value: address_service.update_address(
        next(a for a in customer.addresses if str(a.id) == str(entity_id)), {name: value}),
    "contact": lambda customer, entity_id, name, value: contact_service.update_contact(
        next(c for c in customer.contacts if str(c.id) == str(entity_id)), {name: value}),
    "properties": lambda customer, entity_id, name, value: property_service.set_values(
        customer, {name: value if value is not None else ""}),
}


def revert(customer, event, name, seen=None):
    """Put the field's old value back through the service a normal edit uses, when it still holds the event's new
    value (or the value `seen` in the conflict view: reverting knowingly); the caller commits or rolls back."""
    change = revertible_change(customer, event, name)
    if change is None:
        raise LookupError(f"{name} of this event cannot be reverted")
    refs = references(customer, [event])
    event_words = words.describe(event, refs, current_values(customer, refs))
    field_words = next(w for w in event_words.fields if w.field == name)
    outcome = lambda kind, message, **more: RevertOutcome(  # noqa: E731
        kind, message, event.id, name, field_words.label, restore=field_words.restore, **more)
    current = current_values(customer, refs)(event.entity, event.entity_id, name)
    if current is words.MISSING:
        noun = {"address": "address", "contact": "contact"}.get(event.entity, "property")
        return outcome("invalid", f"Nothing was reverted: the {noun} was removed since.")
    state = words.revert_state(change, current)
    if state == "back":
        return outcome("unchanged", f"{field_words.label} is {field_words.restore} already; nothing to revert.")
    if state == "changed" and seen != words.canonical(current):
        now = words.shown_value(event.entity, name, current, refs) or "empty"
        return outcome("conflict", f"{field_words.label} changed again after this event, so nothing was reverted.",
                       now=now, seen=words.canonical(current))
    reason = words.revert_reason(event_words, field_words, event.created_at)
    try:
        with audit.reverting(event.id, reason):
            changed = APPLY[event.entity](customer, event.entity_id, name, change[0])
            db.session.flush()
    except ValidationFailed as failed:
        message = next(iter(failed.errors.values()), "The old value is not valid any more.")
        return outcome("invalid", f"{field_words.label} cannot go back to {field_words.restore}: {message}")
    if not changed:
        return outcome("unchanged", f"{field_words.label} is {field_words.restore} already; nothing to revert.")
    return outcome("reverted", words.reverted_message(field_words))


def seen_value(raw):
    """The conflict view's `seen` value as posted (canonical JSON), or None when it is not one."""
    try:
        json.loads(raw or "")
    except (ValueError, RecursionError):
        return None
    return raw
