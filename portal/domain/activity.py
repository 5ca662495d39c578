"""The activity log in words: an audit event's entity, action and changes as the parts of a sentence.

Pure (no Flask, no database): `portal.services.activity` looks up what the ids of a page of events name
(`References`), this module turns each event into an `EventWords` — who, through what, one sentence, and per
field what it was and became in product words — and the template puts the parts together. Every value shown
goes through `value_words()`: labels for codes, On/Off, money in the customer's currency, names for ids ("a
removed payment method" when the thing is gone), and short summaries of structured settings with what changed
inside them ("Billing statements: Interval Monthly → Yearly").
"""
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from babel.dates import format_date, get_month_names
from babel.numbers import format_currency, format_decimal

from portal.domain import labels
from portal.domain.settings import TRACKED_ITEM_FLAGS, short_term
from portal.domain.settings_fields import FIELDS_BY_NAME

LOCALE = "en_US"  # the product's one locale (money and percentages are formatted in it elsewhere too)
TEXT_SHOWN = 80  # a longer text (an email body) is cut here in a sentence
MISSING = object()  # "this thing is gone": no current value to compare with

# --- sections of the Activity tab's filter: {section code: the entities it shows} ------------------------------
SECTION_ENTITIES = {"details": ("customer",), "addresses": ("address",), "contacts": ("contact",),
                    "payments": ("paymentMethod",), "settings": ("settings",), "properties": ("properties",)}
ENTITY_SECTION = {entity: section for section, entities in SECTION_ENTITIES.items() for entity in entities}

# The ids a field holds, and which kind of thing they name: (entity, field) → reference kind.
REFERENCE_FIELDS = {("customer", "legalEntityId"): "legal_entities",
                    ("customer", "groupId"): "groups",
                    ("settings", "dunningLadderId"): "ladders",
                    ("settings", "defaultPaymentMethodId"): "payment_methods",
                    ("organizationSettings", "defaultPaymentMethodId"): "payment_methods",
                    ("overdueRule", "emailTemplateId"): "email_templates",
                    ("overdueRule", "documentTemplateId"): "document_templates"}
REMOVED = {"legal_entities": "a removed legal entity", "groups": "a removed group", "ladders": "a removed ladder", "payment_methods": "a removed payment method",
           "email_templates": "a removed email template", "document_templates": "a removed document template",
           "address": "a removed address", "contact": "a removed contact", "property": "a removed property"}

# Decimal settings that are amounts of money (in the customer's billing currency); the others are plain numbers.
AMOUNT_SETTINGS = {"rechargeThresholdAmount", "rechargeTargetAmount", "acquisitionCost"}

# What a revert can put back: `update` events of these fields, through the service that normal edits use.
# Not revertible: the status (Archive / Restore do that), the primary-contact and default-payment-method flags
# (they move between records; "Make primary" / "Make default" do that), creations and removals.
REVERTIBLE_FIELDS = {
    "customer": {"name", "customerType", "language", "country", "currency", "legalEntityId", "groupId", "vatId",
                 "taxCountry", "taxId", "taxRate", "contractorReferences", "aliases"},
    "address": {"type", "name", "line1", "line2", "city", "state", "postalCode", "country"},
    "contact": {"firstName", "lastName", "email", "phone", "emailPreferences"},
    "settings": set(FIELDS_BY_NAME),
    "properties": None,  # every property's value
}

# The parts of the structured settings: part → the enum its codes take words from (None: a number or a flag).
BILLING_PERIOD_PARTS = {"type": "billingPeriodType", "day": None, "month": None, "rule": "billingPeriodRule"}
STATEMENT_PARTS = {"option": "statementOption", "interval": "interval", "type": "statementType", "day": None,
                   "month": None, "statementActivityType": "statementActivityType"}
TRACKED_ITEM_PARTS = {"trackedItemDisplayFormat": "trackedItemDisplayFormat",
                      **{flag: None for flag in TRACKED_ITEM_FLAGS}}


@dataclass(frozen=True)
class PropertyInfo:
    """A property definition as the log needs it: its id, label and type."""

    id: int
    label: str
    type: str


@dataclass(frozen=True)
class References:
    """What the ids in a page of events name, looked up once for the page; keys are ids as text."""

    currency: str = "EUR"
    legal_entities: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)
    ladders: dict = field(default_factory=dict)
    payment_methods: dict = field(default_factory=dict)  # the customer's payment methods now: id → label
    removed_payment_methods: dict = field(default_factory=dict)  # gone ones: id → the label they had
    addresses: dict = field(default_factory=dict)  # the customer's addresses now: id → name
    contacts: dict = field(default_factory=dict)  # the customer's contacts now: id → name
    properties: dict = field(default_factory=dict)  # property key → PropertyInfo
    users: dict = field(default_factory=dict)  # user id → display name
    email_templates: dict = field(default_factory=dict)
    document_templates: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FieldWords:
    """One field of an event in words, and whether (and how) it can be reverted now."""

    field: str  # the field's API name (or property key): what a revert names
    label: str
    old: str  # the value before, in words ("" when there was none)
    new: str
    phrase: str  # "changed Payment term from Net 14 days to Net 30 days" (the actor goes in front)
    revertible: bool = False
    state: str = ""  # for a revertible field: "current" (the value is still `new`), "back" (it is `old` again),
    #                  "changed" (someone changed it since: a revert shows the conflict), "gone" (the record is)
    restore: str = ""  # what a revert would put back, for its button ("Net 14 days", "inherited")


@dataclass(frozen=True)
class EventWords:
    """An event as the Activity tab shows it: who, through what, one sentence, and its fields."""

    actor: str
    channel: str
    sentence: str  # without the actor: "changed Payment term from Net 14 days to Net 30 days"
    section: str  # the section of the customer it belongs to ("Billing settings")
    subject: str  # the record it is about ("Ada Lovelace", "Invoice address 1"); "" for the customer's own fields
    fields: tuple  # FieldWords, one per field
    listing: bool  # True: the fields are the values of an added or removed thing, not changes
    reason: str | None
    is_revert: bool = False


# --- who and through what ---------------------------------------------------------------------------------

def channel_words(actor_type):
    """Portal, API or Command line."""
    return labels.label("channel", actor_type) if actor_type in labels.ENUMS["channel"] else "Portal"


def actor_words(actor_type, actor_id, actor_name, users=None):
    """Who made a change: the person's name, the API token by its name, or the command line."""
    if actor_type == "user":
        return (users or {}).get(actor_id) or actor_name or "A former user"
    if actor_type == "token":
        name = actor_name or ""
        return name if name.startswith("API token") else f"API token “{name}”"
    return "The command line"


# --- values in words ------------------------------------------------------------------------------------------

def quoted(text):
    """A free text as a sentence shows it: in quotes, cut when long, on one line."""
    text = " ".join(str(text).split())
    if len(text) > TEXT_SHOWN:
        text = text[:TEXT_SHOWN - 1].rstrip() + "…"
    return f"“{text}”"


def on_off(value):
    """A yes/no value as settings show it."""
    return "On" if value else "Off"


def money(amount, currency):
    """An amount with its currency as the product formats money (Babel)."""
    try:
        return format_currency(Decimal(str(amount)), currency or "EUR", locale=LOCALE)
    except (InvalidOperation, ValueError, TypeError):
        return quoted(amount)


def percent(value):
    """A percentage with two decimals ("19.00 %")."""
    try:
        return format_decimal(Decimal(str(value)), format="0.00", locale=LOCALE) + " %"
    except (InvalidOperation, ValueError, TypeError):
        return quoted(value)


def number(value):
    """A number as the product writes numbers."""
    try:
        return format_decimal(Decimal(str(value)), locale=LOCALE)
    except (InvalidOperation, ValueError, TypeError):
        return quoted(value)


def month_name(value):
    """A month number as its name ("March")."""
    names = get_month_names("wide", locale=LOCALE)
    return names.get(value, str(value)) if isinstance(value, int) else str(value)


def a_date(value):
    """An ISO date as people read it ("Mar 4, 2021")."""
    try:
        return format_date(date.fromisoformat(str(value)), format="medium", locale=LOCALE)
    except ValueError:
        return quoted(value)


def empty(value):
    """Whether a value holds nothing (no value, an empty text or list)."""
    return value is None or value == "" or value == [] or value == {}


def part_label(key):
    """The label of a part of a structured value ("interval" → "Interval")."""
    return labels.SETTING_PARTS.get(key) or labels.field_label("", key)


def plain_words(value):
    """Any stored value in words, for fields the catalogue knows nothing special about (never a Python value)."""
    if empty(value):
        return ""
    if isinstance(value, bool):
        return on_off(value)
    if isinstance(value, (int, float, Decimal)):
        return number(value)
    if isinstance(value, list):
        return ", ".join(plain_words(item) for item in value if not empty(item))
    if isinstance(value, dict):
        return ", ".join(f"{part_label(key)} {plain_words(item)}"
                         for key, item in value.items() if not empty(item))
    return quoted(value)


def reference_words(kind, value, refs):
    """The name of what an id refers to; "a removed …" when it is gone."""
    if empty(value):
        return ""
    key = str(value)
    name = getattr(refs, kind).get(key)
    if name:
        return name
    if kind == "payment_methods" and refs.removed_payment_methods.get(key):
        return f"{REMOVED[kind]} ({refs.removed_payment_methods[key]})"
    return REMOVED[kind]


def _part_words(parts, key, value):
    kind = parts.get(key)
    if empty(value):
        return ""
    if kind:
        return labels.label(kind, value)
    if key == "month":
        return month_name(value)
    if isinstance(value, bool):
        return on_off(value)
    return str(value)


def billing_period_words(config):
    """One billing period configuration: "Monthly: On a set day (day 1), One invoice for all subscriptions"."""
    if not isinstance(config, dict):
        return plain_words(config)
    when = labels.label("billingPeriodType", config.get("type"))
    day = [f"day {config['day']}"] if not empty(config.get("day")) else []
    day += [month_name(config["month"])] if not empty(config.get("month")) else []
    when += f" ({', '.join(day)})" if day else ""
    rule = labels.label("billingPeriodRule", config.get("rule"))
    return f"{labels.label('interval', config.get('interval'))}: {when}" + (f", {rule}" if rule else "")


def statement_words(value):
    """Billing statements: "Detailed, Monthly, On a set day (day 1, January), Parent's activity only"."""
    if not isinstance(value, dict):
        return plain_words(value)
    when = labels.label("statementType", value.get("type"))
    day = [f"day {value['day']}"] if not empty(value.get("day")) else []
    day += [month_name(value["month"])] if not empty(value.get("month")) else []
    when += f" ({', '.join(day)})" if day else ""
    words = [labels.label("statementOption", value.get("option")), labels.label("interval", value.get("interval")),
             when, labels.label("statementActivityType", value.get("statementActivityType"))]
    return ", ".join(word for word in words if word)


def tracked_item_words(value):
    """Tracked item display: "Inline, under the charge; shows Name, Reference"."""
    if not isinstance(value, dict):
        return plain_words(value)
    shown = [labels.SETTING_PARTS[flag] for flag in TRACKED_ITEM_FLAGS if value.get(flag)]
    return (f"{labels.label('trackedItemDisplayFormat', value.get('trackedItemDisplayFormat'))}; "
            f"shows {', '.join(shown) if shown else 'no details'}")


STRUCTURED = {"billingPeriodConfigurations": lambda v: "; ".join(billing_period_words(c) for c in v)
              if isinstance(v, list) else plain_words(v),
              "customerBillingStatementSetting": statement_words, "trackedItemDisplay": tracked_item_words}


def setting_words(name, value, refs):
    """A billing setting's value (of a customer's or the organization's own layer) in words ("" when unset)."""
    setting = FIELDS_BY_NAME.get(name)
    if setting is None:
        return plain_words(value)
    if value is None:
        return ""
    if name == "defaultPaymentMethodId":
        return reference_words("payment_methods", value, refs)
    if name == "dunningLadderId":
        return reference_words("ladders", value, refs)
    if setting.kind == "bool":
        return on_off(value) if isinstance(value, bool) else plain_words(value)
    if setting.kind == "enum":
        return labels.label(labels.SETTING_ENUMS.get(name, name), value)
    if setting.kind == "term":
        try:
            return short_term(value)
        except ValueError:
            return quoted(value)
    if setting.kind == "decimal":
        return money(value, refs.currency) if name in AMOUNT_SETTINGS else number(value)
    if setting.kind == "int":
        return number(value)
    if setting.kind == "json":
        try:
            return STRUCTURED[name](value) if not empty(value) else ""
        except (TypeError, KeyError, AttributeError):
            return plain_words(value)
    return quoted(value) if value != "" else ""


def property_words(key, value, refs):
    """A property value by its definition's type (Yes/No as the Properties tab shows them)."""
    if empty(value):
        return ""
    info = refs.properties.get(key)
    kind = info.type if info else "text"
    if kind == "boolean":
        return {"true": "Yes", "false": "No"}.get(str(value), quoted(value))
    if kind == "date":
        return a_date(value)
    if kind == "number":
        return number(value)
    return quoted(value)


CUSTOMER_WORDS = {
    "language": labels.language_name, "country": labels.country_name, "taxCountry": labels.country_name,
    "currency": lambda code: f"{labels.currency_name(code)} ({code})" if labels.currency_name(code) != code
    else str(code),
    "taxRate": percent,
}


def value_words(entity, name, value, refs):
    """One field's value in product words ("" when there is none)."""
    if entity in ("settings", "organizationSettings"):
        return setting_words(name, value, refs)
    if entity == "properties":
        return property_words(name, value, refs)
    if empty(value):
        return ""
    kind = REFERENCE_FIELDS.get((entity, name))
    if kind:
        return reference_words(kind, value, refs)
    enum = labels.field_enum(entity, name)
    if enum:
        if isinstance(value, list):
            return ", ".join(labels.label(enum, item) for item in value)
        return labels.label(enum, value)
    if entity == "customer" and name in CUSTOMER_WORDS and isinstance(value, str):
        return CUSTOMER_WORDS[name](value)
    if entity == "address" and name == "country" and isinstance(value, str):
        return labels.country_name(value)
    if isinstance(value, list):
        return ", ".join(quoted(item) if isinstance(item, str) else plain_words(item) for item in value)
    if isinstance(value, bool):
        return on_off(value)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return number(value)
    return quoted(value) if isinstance(value, str) else plain_words(value)


# --- what changed inside a structured value ------------------------------------------------------------------

def _dict_details(parts, old, new):
    """Per part that differs: "Interval Monthly → Yearly"."""
    details = []
    for key in [*parts, *[k for k in {**old, **new} if k not in parts]]:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        label = part_label(key)
        details.append(f"{label} {_part_words(parts, key, before) or 'none'} → "
                       f"{_part_words(parts, key, after) or 'none'}")
    return details


def _billing_period_details(old, new):
    """Per interval: added, removed, or what changed in it ("Monthly: Day 1 → 15")."""
    by_interval = lambda configs: {c.get("interval"): c for c in configs if isinstance(c, dict)}  # noqa: E731
    before, after = by_interval(old), by_interval(new)
    details = []
    for interval in [*before, *[i for i in after if i not in before]]:
        if interval not in after:
            details.append(f"removed {billing_period_words(before[interval])}")
        elif interval not in before:
            details.append(f"added {billing_period_words(after[interval])}")
        elif before[interval] != after[interval]:
            inner = _dict_details(BILLING_PERIOD_PARTS, before[interval], after[interval])
            details.append(f"{labels.label('interval', interval)}: {', '.join(inner)}")
    return details


def _list_details(entity, name, old, new, refs):
    """What a list gained and lost: "added “crm-2”, removed “crm-1”"."""
    gained = [item for item in new if item not in old]
    lost = [item for item in old if item not in new]
    details = []
    if gained:
        details.append("added " + value_words(entity, name, gained, refs))
    if lost:
        details.append("removed " + value_words(entity, name, lost, refs))
    return details or ["new order"]


def inner_changes(entity, name, old, new, refs):
    """For a structured or list value changed from something to something: what changed inside it, else []."""
    try:
        if isinstance(old, list) and isinstance(new, list) and old and new:
            if name == "billingPeriodConfigurations":
                return _billing_period_details(old, new)
            return _list_details(entity, name, old, new, refs)
        if isinstance(old, dict) and isinstance(new, dict):
            parts = {"customerBillingStatementSetting": STATEMENT_PARTS,
                     "trackedItemDisplay": TRACKED_ITEM_PARTS}.get(name, {})
            return _dict_details(parts, old, new)
    except (TypeError, AttributeError):  # stored data of another shape: the whole values say it
        return []
    return []


# --- sentences ------------------------------------------------------------------------------------------------

def join_words(words):
    """"a", "a and b", "a, b and c"."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _inline(label):
    """A label inside a sentence: "Shipping address" → "shipping address" (but "VAT ID" stays)."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def change_phrase(label, old, new, of="", inheritable=False, details=(), revert=False):
    """One field's change as a phrase that follows the actor."""
    if revert:
        return f"reverted {label}{of} to {new or ('inherited' if inheritable else 'empty')}"
    if details:
        return f"changed {label}{of}: {'; '.join(details)}"
    if not old and new:
        return f"set {label}{of} to {new}" + (" (was inherited)" if inheritable else "")
    if old and not new:
        return (f"reset {label}{of} to inherited (was {old})" if inheritable
                else f"cleared {label}{of} (was {old})")
    return f"changed {label}{of} from {old or 'empty'} to {new or 'empty'}"


def address_name(is_main, kind, name, line1, city):
    """How the log names an address: "Invoice address 1", "the shipping address “Warehouse”"."""
    if is_main:
        return "Invoice address 1"
    what = _inline(labels.label("addressType", kind) or "Address")
    if name:
        return f"the {what} {quoted(name)}"
    where = ", ".join(part for part in (line1, city) if part)
    return f"the {what} at {where}" if where else f"an {what}" if what[:1] in "aeiou" else f"a {what}"


def contact_name(first_name, last_name, email):
    """How the log names a contact: their name, else their email."""
    return " ".join(part for part in (first_name, last_name) if part) or email or "a contact"


def _values_of(changes, index):
    return {name: change[index] for name, change in changes.items()}


def subject_words(entity, entity_id, action, changes, refs):
    """The thing an event is about, as a noun phrase ("" for the customer itself and its settings)."""
    key = str(entity_id)
    values = _values_of(changes, 1 if action == "create" else 0)
    if entity == "address":
        if key in refs.addresses:
            return refs.addresses[key]
        if action in ("create", "delete"):
            return address_name(False, values.get("type"), values.get("name"), values.get("line1"), values.get("city"))
        return REMOVED["address"]
    if entity == "contact":
        if key in refs.contacts:
            return refs.contacts[key]
        if action in ("create", "delete"):
            return contact_name(values.get("firstName"), values.get("lastName"), values.get("email"))
        return REMOVED["contact"]
    if entity == "paymentMethod":
        if key in refs.payment_methods:
            return refs.payment_methods[key]
        if action in ("create", "delete") and values.get("label"):
            return str(values["label"])
        return reference_words("payment_methods", key, refs)
    return ""


def field_label(entity, name, refs):
    """A field's label; a property's is its definition's (or "a removed property")."""
    if entity == "properties":
        info = refs.properties.get(name)
        return info.label if info else f"{REMOVED['property']} ({name})"
    return labels.field_label(entity, name)


def _inherits(entity, name):
    """Whether None in this field means "inherited" (a customer's or the organization's own settings layer)."""
    return entity in ("settings", "organizationSettings") and getattr(FIELDS_BY_NAME.get(name), "inheritable", False)


def shown_value(entity, name, value, refs):
    """A value as a list or the conflict view shows it: in words, "inherited" for an unset inheritable setting."""
    if value is None and _inherits(entity, name):
        return "inherited"
    return value_words(entity, name, value, refs)


def is_revertible(entity, action, name, change):
    """Whether a revert can put this field's old value back (see REVERTIBLE_FIELDS)."""
    if action != "update" or entity not in REVERTIBLE_FIELDS:
        return False
    fields = REVERTIBLE_FIELDS[entity]
    if fields is not None and name not in fields:
        return False
    # A customer with payment methods always has a default one: "none" is not a value to go back to.
    return not (entity == "settings" and name == "defaultPaymentMethodId" and change[0] is None)


def canonical(value):
    """A stored value in one comparable form (the audit trail's JSON, keys sorted)."""
    if value == "":  # an empty text and no value are the same (properties store "", the log records None)
        value = None
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def revert_state(change, current):
    """Where a field stands against one of its changes: still the new value, back at the old one, or changed since."""
    if current is MISSING:
        return "gone"
    if canonical(current) == canonical(change[1]):
        return "current"
    if canonical(current) == canonical(change[0]):
        return "back"
    return "changed"


def _changes(event):
    """The event's changes that have the shape {field: [old, new]} (other stored shapes are left out)."""
    changes = event.changes if isinstance(event.changes, dict) else {}
    return {str(name): list(change) for name, change in changes.items()
            if isinstance(change, (list, tuple)) and len(change) == 2}


ACTION_SENTENCES = {"archive": "archived the customer", "restore": "restored the customer"}


def describe(event, refs, current=None):
    """An event in words. `current(entity, entity_id, field)` gives a field's value now (or MISSING), so that each
    revertible field says whether a revert would apply, is not needed, or meets a later change."""
    entity, action = event.entity, event.action
    changes = _changes(event)
    subject = subject_words(entity, event.entity_id, action, changes, refs)
    of = f" of {subject}" if subject and action == "update" else ""
    is_revert = bool(getattr(event, "reverts_event_id", None))
    listing = action in ("create", "delete")
    words = []
    for name, change in changes.items():
        old, new = (shown_value(entity, name, value, refs) for value in change)
        label = field_label(entity, name, refs)
        setting_inherits = _inherits(entity, name)
        if listing:
            phrase = f"{label}: {new if action == 'create' else old}"
        else:
            details = inner_changes(entity, name, change[0], change[1], refs)
            phrase = _flag_phrase(entity, name, change, subject) or change_phrase(
                label, value_words(entity, name, change[0], refs), value_words(entity, name, change[1], refs), of,
                setting_inherits, details, revert=is_revert)
        revertible = is_revertible(entity, action, name, change) and (entity != "properties" or name in refs.properties)
        state = revert_state(change, current(entity, event.entity_id, name)) if revertible and current else ""
        words.append(FieldWords(name, label, old, new, phrase, revertible, state, old or "empty"))
    return EventWords(
        actor=actor_words(event.actor_type, event.actor_id, event.actor_name, refs.users),
        channel=channel_words(event.actor_type), sentence=_sentence(event, entity, action, subject, words, is_revert),
        section=_section_words(entity), subject=subject, fields=tuple(words), listing=listing,
        reason=event.reason, is_revert=is_revert)


def _flag_phrase(entity, name, change, subject):
    """The flags that move between records read as what happened to the record."""
    if entity == "contact" and name == "isPrimary":
        return f"made {subject} the primary contact" if change[1] else f"moved the primary contact away from {subject}"
    if entity == "paymentMethod" and name == "isDefault" and change[1]:
        return f"made {subject} the default payment method"
    return ""


def _section_words(entity):
    section = ENTITY_SECTION.get(entity)
    return labels.label("activitySection", section) if section else labels.entity_label(entity)


def _sentence(event, entity, action, subject, words, is_revert):
    """The event's one sentence (without the actor)."""
    if action in ACTION_SENTENCES and entity == "customer":
        return ACTION_SENTENCES[action]
    verb = labels.label("action", action) if action in labels.ENUMS["action"] else "changed"
    if action in ("create", "delete"):
        noun = _inline(labels.entity_label(entity))
        if entity == "customer":
            name = next((w.new for w in words if w.field == "name"), "")
            return f"{verb} the customer {name}".rstrip()
        if entity == "address":
            return f"{verb} {subject}"
        if entity in ("contact", "paymentMethod"):
            return f"{verb} the {noun} {subject}"
        return f"{verb} the {noun}"
    if len(words) == 1:
        return words[0].phrase
    if not words:
        return f"{verb} {subject or _inline(labels.entity_label(entity))}"
    of = f" of {subject}" if subject else ""
    return f"{'reverted' if is_revert else verb} {join_words(w.label for w in words)}{of}"


def referenced_ids(events):
    """What a page of events names by id, so that the service can look it all up at once: {kind: {id as text}}."""
    wanted = {"legal_entities": set(), "groups": set(), "ladders": set(), "payment_methods": set(),
              "email_templates": set(),
              "document_templates": set(), "users": set(), "properties": set()}
    for event in events:
        if event.actor_type == "user" and event.actor_id is not None:
            wanted["users"].add(event.actor_id)
        if event.entity == "paymentMethod":
            wanted["payment_methods"].add(str(event.entity_id))
        for name, change in _changes(event).items():
            if event.entity == "properties":
                wanted["properties"].add(name)
            kind = REFERENCE_FIELDS.get((event.entity, name))
            if kind:
                wanted[kind].update(str(value) for value in change if not empty(value))
    return wanted


# --- revert ---------------------------------------------------------------------------------------------------

def revert_reason(words, field_words, when):
    """The reason a revert's event carries: which change it undoes, by whom and when (UTC; stored text)."""
    what = field_words.label + (f" of {words.subject}" if words.subject else "")
    text = f"revert of {words.actor}'s {'revert' if words.is_revert else 'change'} of {what} on {when:%Y-%m-%d %H:%M} UTC"
    return text[:500]


def reverted_message(field_words):
    """What the toast says after a revert."""
    return f"Reverted {field_words.label} to {field_words.restore}."
