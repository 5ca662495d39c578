"""Billing settings (SPEC §6): three layers resolved field by field, and the rules of every field."""
import calendar
import html
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from portal.domain.settings_fields import (
    DEFAULTS,
    FIELDS_BY_NAME,
    INHERITABLE_FIELDS,
    SETTING_FIELDS,
    TERM_PATTERN,
)
from babel.dates import get_month_names

from portal.domain.labels import ENUMS, SETTING_ENUMS, SETTING_PARTS, field_label, label
from portal.domain.validation import MAX_ID, no_control_characters

DEFAULT, ORGANIZATION, GROUP, CUSTOMER = "default", "organization", "group", "customer"
SOURCE_LABELS = ENUMS["source"]


@dataclass(frozen=True)
class Resolved:
    """The effective value of one field, the layer it comes from, and that layer's name (a group's)."""

    value: object
    source: str
    via: str = ""


@dataclass(frozen=True)
class Layer:
    """One settings layer above the system defaults: organization, group or customer; `values` is {field name:
    value}, a missing key or None meaning "not set on this layer"; `name` names it on screen (the group's name)."""

    source: str
    values: dict
    name: str = ""


class Message(str):
    """A rule's message: its text (what the API answers), the words a screen shows, and the part of a structured
    value it is about (e.g. (0, "day"): the first configuration's day), so that a form shows it at that input."""

    def __new__(cls, text, screen=None, part=None):
        message = super().__new__(cls, text)
        message.screen = screen or str(text)
        message.part = part
        return message

    def __html__(self):
        # Put into a page (Jinja escapes through __html__), a message shows its screen words; JSON keeps the text.
        return html.escape(self.screen)


def _fail(text, screen=None, part=None):
    raise ValueError(Message(text, screen, part))


def message_of(error):
    """The Message a rule's ValueError carries (a plain message is its own screen text)."""
    said = error.args[0] if error.args else ""
    return said if isinstance(said, Message) else Message(str(said))


# --- resolution: one pure function ------------------------------------------------------------------------

def resolve(layers=()):
    """Every field's effective value: the highest layer that sets it, else the system default. `layers` are in
    order from the lowest (organization) to the highest (customer); only the customer layer holds the customer-only
    fields, the others are read for the inheritable ones."""
    resolved = {}
    for setting in SETTING_FIELDS:
        found = Resolved(DEFAULTS[setting.name], DEFAULT)
        for layer in reversed(layers):
            if not setting.inheritable and layer.source != CUSTOMER:
                continue
            value = layer.values.get(setting.name)
            if value is not None:
                found = Resolved(value, layer.source, layer.name)
                break
        resolved[setting.name] = found
    return resolved


def source_words(item):
    """Where a Resolved value comes from, as the customer's Settings tab says it ("Inherited from Group NAME")."""
    words = SOURCE_LABELS[item.source]
    return f"{words} {item.via}" if item.source == GROUP else words


def effective_values(resolved):
    return {name: item.value for name, item in resolved.items()}


def sources(resolved):
    return {name: item.source for name, item in resolved.items()}


# --- payment terms and due dates ----------------------------------------------------------------------------

TERM_FORMAT = "Use NetN (N 0–365), DayOfMonthD (D 1–31) or MFI1."
NET_DAYS = (0, 365)
DAYS_OF_MONTH = (1, 31)
_NET_MESSAGE = Message("NetN takes N from 0 to 365.", "Enter a whole number of days from 0 to 365.", "days")
_DAY_MESSAGE = Message("DayOfMonthD takes D from 1 to 31.", "Enter a day of the month from 1 to 31.", "day")


def parse_term(term):
    """('net', N) | ('day_of_month', D) | ('mfi', 1); ValueError for anything else."""
    match = TERM_PATTERN.match(term or "") if isinstance(term, str) else None
    if not match:
        _fail(TERM_FORMAT, "Choose a payment term.", "kind")
    net, day = match.groups()
    if net is not None:
        if not NET_DAYS[0] <= int(net) <= NET_DAYS[1] or (len(net) > 1 and net.startswith("0")):
            raise ValueError(_NET_MESSAGE)
        return ("net", int(net))
    if day is not None:
        if not DAYS_OF_MONTH[0] <= int(day) <= DAYS_OF_MONTH[1] or day.startswith("0"):
            raise ValueError(_DAY_MESSAGE)
        return ("day_of_month", int(day))
    return ("mfi", 1)


# The payment term picker's kinds (the API code's prefix; their words are the catalogue's "termKind").
TERM_KINDS = {"net": "Net", "day_of_month": "DayOfMonth", "mfi": "MFI1"}


def term_parts(term):
    """A term code as the picker shows it: (kind, number) — ("Net", 30), ("DayOfMonth", 15), ("MFI1", None);
    ("", None) for no term (inherit)."""
    if not term:
        return "", None
    kind, number = parse_term(term)
    return TERM_KINDS[kind], (None if kind == "mfi" else number)


def _whole(text):
    text = str(text if text is not None else "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def term_from_parts(kind, days="", day=""):
    """The term code the picker's parts make ("Net" and 30 → "Net30"); None when no kind is chosen (inherit).
    The number that does not go with the kind is ignored."""
    if not kind:
        return None
    if kind == "Net":
        number = _whole(days)
        if number is None or not NET_DAYS[0] <= number <= NET_DAYS[1]:
            raise ValueError(_NET_MESSAGE)
        return f"Net{number}"
    if kind == "DayOfMonth":
        number = _whole(day)
        if number is None or not DAYS_OF_MONTH[0] <= number <= DAYS_OF_MONTH[1]:
            raise ValueError(_DAY_MESSAGE)
        return f"DayOfMonth{number}"
    if kind == "MFI1":
        return "MFI1"
    _fail(TERM_FORMAT, "Choose how the due date is set.", "kind")


_TERM_WORDS = (
    (re.compile(r"^(?:net)?\s*(\d+)\s*(?:days?)?$"), "Net"),
    (re.compile(r"^(?:day\s*(?:of\s*(?:the\s*)?month)?|dayofmonth|on\s*the)\s*(\d+)(?:st|nd|rd|th)?"
                r"(?:\s*of\s*(?:the\s*|each\s*)?month)?$"), "DayOfMonth"),
    (re.compile(r"^(?:mfi1|(?:the\s*)?(?:first|1st)\s*of\s*the\s*next\s*month)$"), "MFI1"),
)


def term_from_text(text):
    """A typed term: the code ("Net30") or its words ("Net 30", "30 days", "day 15", "first of the next month")."""
    if TERM_PATTERN.match(text):
        parse_term(text)
        return text
    words = " ".join(text.lower().split())
    for pattern, kind in _TERM_WORDS:
        match = pattern.match(words)
        if match:
            number = match.group(1) if match.groups() else None
            return term_from_parts(kind, number, number)
    _fail(TERM_FORMAT, "Enter a payment term such as “Net 30”, “day 15 of the month” or “first of the next month”.")


def _day_in_month(year, month, day):
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def due_date(term, invoice_date):
    """NetN: +N days; DayOfMonthD: the next date after the invoice date on day D (or the month's last day);
    MFI1: the first of the month after the invoice month."""
    kind, number = parse_term(term)
    if kind == "net":
        return invoice_date + timedelta(days=number)
    if kind == "mfi":
        return date(invoice_date.year + invoice_date.month // 12, invoice_date.month % 12 + 1, 1)
    candidate = _day_in_month(invoice_date.year, invoice_date.month, number)
    if candidate <= invoice_date:
        year, month = invoice_date.year + invoice_date.month // 12, invoice_date.month % 12 + 1
        candidate = _day_in_month(year, month, number)
    return candidate


def ordinal(number):
    """1 → "1st", 2 → "2nd", 11 → "11th", 23 → "23rd"."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def short_term(term):
    """A payment term in a few words, for sentences about a change: "Net 30 days", "day 15 of the month"."""
    kind, number = parse_term(term)
    if kind == "net":
        return "due on receipt" if number == 0 else f"Net {number} day{'s' if number != 1 else ''}"
    if kind == "mfi":
        return "the first of the next month"
    return f"day {number} of the month"


def describe_term(term):
    """A payment term as a sentence: "Due 30 days after the invoice date"."""
    kind, number = parse_term(term)
    if kind == "net":
        if number == 0:
            return "Due on the invoice date"
        return f"Due {number} day{'s' if number != 1 else ''} after the invoice date"
    if kind == "mfi":
        return "Due on the first of the month after the invoice month"
    shorter = " (the last day of a shorter month)" if number > 28 else ""
    return f"Due on the next {ordinal(number)} after the invoice date{shorter}"


MONTH_NAMES = get_month_names("wide", locale="en")


def _lower_first(words):
    return words[:1].lower() + words[1:]


def _when(kind_words, item):
    """"on day 1", "on 1 July" or the type's words, for a configuration or statement."""
    if item.get("type") != "SpecifiedDate":
        return _lower_first(label(kind_words, item.get("type")))
    if item.get("month"):
        return f"on {item.get('day')} {MONTH_NAMES.get(item['month'], item['month'])}"
    return f"on day {item.get('day')}"


def describe_billing_periods(configurations):
    """Billing period configurations in words: "Monthly on day 1: one invoice for all subscriptions"."""
    if not configurations:
        return "No configurations"
    return "; ".join(f"{label('interval', item.get('interval'))} {_when('billingPeriodType', item)}: "
                     f"{_lower_first(label('billingPeriodRule', item.get('rule')))}" for item in configurations)


def describe_statements(statement):
    """The billing statement setting in words: "Detailed, monthly on the customer's anniversary; parent's activity
    only"."""
    if not statement:
        return "No statements"
    return (f"{label('statementOption', statement.get('option'))}, "
            f"{label('interval', statement.get('interval')).lower()} {_when('statementType', statement)}; "
            f"{_lower_first(label('statementActivityType', statement.get('statementActivityType')))}")


def _listed(words):
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe_tracked_items(display):
    """Tracked item display in words: "Inline, under the charge; shows name and reference"."""
    shown = [SETTING_PARTS[flag].lower() for flag in TRACKED_ITEM_FLAGS if display.get(flag)]
    return (f"{label('trackedItemDisplayFormat', display.get('trackedItemDisplayFormat'))}; "
            f"shows {_listed(shown) if shown else 'no details'}")


# --- the rule of each field ------------------------------------------------------------------------------

def _bool(value):
    if not isinstance(value, bool):
        _fail("Must be true or false.", "Choose On or Off.")
    return value


def _int_days(value):
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            value = int(value.strip())
        else:
            raise ValueError("A whole number of days, 0 or more.")
    if not 0 <= value <= 36500:
        raise ValueError("A whole number of days, 0 or more.")
    return value


def _decimal(value):
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError("A number, 0 or more.")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError("A number, 0 or more.") from None
    if not number.is_finite() or number < 0 or number >= Decimal("1e12"):
        raise ValueError("A number, 0 or more.")
    if number != number.quantize(Decimal("0.01")):
        raise ValueError("At most two decimals.")
    return number.quantize(Decimal("0.01"))


def _string(setting):
    def rule(value):
        if not isinstance(value, str):
            raise ValueError("Must be text.")
        value = value.strip()
        if not value:
            return None
        if len(value) > setting.max_length:
            raise ValueError(f"At most {setting.max_length} characters.")
        return no_control_characters(value)
    return rule


def _one_of(choices, kind):
    """"Choose one of: …" in the catalogue's words, for a screen."""
    return "Choose one of: " + ", ".join(label(kind, code) for code in choices) + "."


def _enum(setting):
    def rule(value):
        if value not in setting.choices:
            _fail("One of: " + ", ".join(setting.choices) + ".", _one_of(setting.choices, SETTING_ENUMS[setting.name]))
        return value
    return rule


def _term(value):
    parse_term(value)
    return value


def _ladder_id(value):
    """A dunning ladder's id as the API shows it (text); whether the organization has it is checked on the
    database (services.settings_store)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        _fail("A dunning ladder's id.", "Choose a dunning ladder.")
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or not 0 < int(text) <= MAX_ID:
        _fail("A dunning ladder's id.", "Choose a dunning ladder.")
    return str(int(text))


def _object(value, keys, part=None):
    if not isinstance(value, dict):
        _fail("Must be an object.", part=part)
    unknown = set(value) - set(keys)
    if unknown:
        _fail(f"Unknown key: {sorted(unknown)[0]}.", part=part)
    return value


def _choice(value, choices, name, kind, part):
    """`value` if it is one of `choices`; the message names the codes for the API, the labels for a screen."""
    if value not in choices:
        _fail(f"{name} must be one of: {', '.join(choices)}.", _one_of(choices, kind), part)
    return value


def _is_number_in(value, low, high):
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high


def _day_month(item, kind, interval, what, at=()):
    """day only (and then required) for SpecifiedDate; month only for SpecifiedDate + Yearly. `at` prefixes the
    parts a message is about (the configuration's index)."""
    day, month = item.get("day"), item.get("month")
    specified = label("billingPeriodType", "SpecifiedDate")
    if kind == "SpecifiedDate":
        if not _is_number_in(day, 1, 31):
            _fail(f"{what}: day 1–31 is required for SpecifiedDate.", "Enter a day from 1 to 31.", (*at, "day"))
        if interval == "Yearly":
            if not _is_number_in(month, 1, 12):
                _fail(f"{what}: month 1–12 is required for SpecifiedDate + Yearly.", "Enter a month from 1 to 12.",
                      (*at, "month"))
        elif month is not None:
            _fail(f"{what}: month only goes with SpecifiedDate + Yearly.",
                  f"A month goes only with “{specified}” and {label('interval', 'Yearly').lower()}.", (*at, "month"))
    elif day is not None or month is not None:
        _fail(f"{what}: day and month only go with SpecifiedDate.", f"A day and month go only with “{specified}”.",
              (*at, "day" if day is not None else "month"))
    cleaned = {**item, "day": day}
    if kind == "SpecifiedDate" and interval == "Yearly":
        cleaned["month"] = month
    else:
        cleaned.pop("month", None)
    if kind != "SpecifiedDate":
        cleaned.pop("day", None)
    return cleaned


TRACKED_ITEM_FLAGS = ("showTrackedItemName", "showTrackedItemReference", "showTrackedItemDescription",
                      "showTrackedItemCreatedDate")
TRACKED_ITEM_FORMATS = ("Inline", "SeparatePage")
BILLING_PERIOD_TYPES = ("SpecifiedDate", "CustomerActivation", "FirstSubscriptionActivation")
BILLING_PERIOD_RULES = ("SingleInvoice", "MultipleInvoices", "OneInvoicePerDay", "Prompt")
INTERVALS = ("Monthly", "Yearly")
STATEMENT_OPTIONS = ("Detailed", "BySubscription", "Summarized")
STATEMENT_TYPES = ("CustomerAnniversary", "SpecifiedDate")
STATEMENT_ACTIVITY_TYPES = ("OnlyParentActivity", "OnlyChildActivity", "ParentAndChildActivity")


def _tracked_item_display(value):
    _object(value, ("trackedItemDisplayFormat", *TRACKED_ITEM_FLAGS))
    cleaned = {"trackedItemDisplayFormat": _choice(value.get("trackedItemDisplayFormat", "Inline"),
                                                   TRACKED_ITEM_FORMATS, "trackedItemDisplayFormat",
                                                   "trackedItemDisplayFormat", "trackedItemDisplayFormat")}
    for flag in TRACKED_ITEM_FLAGS:
        flag_value = value.get(flag, False)
        if not isinstance(flag_value, bool):
            _fail(f"{flag} must be true or false.", "Tick it or leave it empty.", flag)
        cleaned[flag] = flag_value
    return cleaned


def _billing_periods(value):
    if not isinstance(value, list):
        _fail("Must be a list.")
    cleaned, intervals = [], set()
    for index, item in enumerate(value):
        what = f"Configuration {index + 1}"
        _object(item, ("type", "rule", "interval", "day", "month"), (index, "type"))
        kind = _choice(item.get("type"), BILLING_PERIOD_TYPES, f"{what}: type", "billingPeriodType", (index, "type"))
        _choice(item.get("rule"), BILLING_PERIOD_RULES, f"{what}: rule", "billingPeriodRule", (index, "rule"))
        interval = _choice(item.get("interval"), INTERVALS, f"{what}: interval", "interval", (index, "interval"))
        if interval in intervals:
            _fail(f"At most one configuration per interval ({interval} twice).",
                  f"At most one configuration per interval ({label('interval', interval)} twice).",
                  (index, "interval"))
        intervals.add(interval)
        cleaned.append(_day_month(item, kind, interval, what, (index,)))
    return cleaned


def _statement_setting(value):
    _object(value, ("option", "type", "interval", "day", "month", "statementActivityType"), "option")
    _choice(value.get("option"), STATEMENT_OPTIONS, "option", "statementOption", "option")
    kind = _choice(value.get("type"), STATEMENT_TYPES, "type", "statementType", "type")
    interval = _choice(value.get("interval"), INTERVALS, "interval", "interval", "interval")
    _choice(value.get("statementActivityType"), STATEMENT_ACTIVITY_TYPES, "statementActivityType",
            "statementActivityType", "statementActivityType")
    return _day_month(value, kind, interval, "Statement")


JSON_RULES = {
    "trackedItemDisplay": _tracked_item_display,
    "billingPeriodConfigurations": _billing_periods,
    "customerBillingStatementSetting": _statement_setting,
}


def field_rule(setting):
    """The check of one field's own value (not null); cross-field rules come after."""
    if setting.kind == "bool":
        return _bool
    if setting.kind == "int":
        return _int_days
    if setting.kind == "decimal":
        return _decimal
    if setting.kind == "string":
        return _string(setting)
    if setting.kind == "enum":
        return _enum(setting)
    if setting.kind == "term":
        return _term
    if setting.kind == "ladder":
        return _ladder_id
    return JSON_RULES[setting.name]


def clean_layer_values(changes, fields):
    """Each changed field checked by its rule; None stays None (inherit / unset). Returns (cleaned, errors)."""
    cleaned, errors = {}, {}
    for name, value in changes.items():
        setting = fields.get(name)
        if setting is None:
            errors[name] = "Unknown or read-only field."
            continue
        if value is None:
            cleaned[name] = None
            continue
        try:
            cleaned[name] = field_rule(setting)(value)
        except ValueError as error:
            errors[name] = message_of(error)
    return cleaned, errors


XRECHNUNG = ("xrechnung-ubl", "xrechnung-cii")


def cross_field_problems(effective, has_payment_method, own=None):
    """Rules between fields, on the effective values: [(field, message, fields involved)]."""
    own = own or {}
    problems = []
    if effective["taxExempt"] and not effective["taxExemptCode"]:
        problems.append(("taxExemptCode", "Required when the customer is tax exempt.",
                         {"taxExempt", "taxExemptCode"}))
    if effective["eInvoiceFormat"] in XRECHNUNG and not effective["eInvoiceBuyerReference"]:
        problems.append(("eInvoiceBuyerReference", "The buyer reference (Leitweg-ID) is required for XRechnung.",
                         {"eInvoiceFormat", "eInvoiceBuyerReference"}))
    participant = effective["peppolParticipantId"]
    if effective["eInvoiceFormat"] == "peppol-bis" and not participant:
        problems.append(("peppolParticipantId", "The Peppol participant ID is required for Peppol BIS.",
                         {"eInvoiceFormat", "peppolParticipantId"}))
    if participant and (":" not in participant or not all(participant.split(":", 1))):
        problems.append(("peppolParticipantId", "Use scheme:id, e.g. 0088:4000001000005.", {"peppolParticipantId"}))
    if own.get("autoCollect") is True and not has_payment_method:
        problems.append(("autoCollect", "Auto-collect needs a payment method; add one first.", {"autoCollect"}))
    threshold, target = effective["rechargeThresholdAmount"], effective["rechargeTargetAmount"]
    recharge = {"rechargeType", "rechargeThresholdAmount", "rechargeTargetAmount"}
    if effective["rechargeType"] and (threshold is None or target is None):
        problems.append(("rechargeTargetAmount", "A recharge needs both a threshold and a target amount.", recharge))
    if threshold is not None and target is not None and Decimal(str(target)) <= Decimal(str(threshold)):
        problems.append(("rechargeTargetAmount", "The target must be above the threshold.", recharge))
    if effective["autoCollectSettingType"] == "Threshold" and not effective["rechargeType"]:
        problems.append(("rechargeType", f"Collecting “{_lower_first(label('autoCollectSettingType', 'Threshold'))}” "
                                         f"needs a {field_label('settings', 'rechargeType').lower()}.",
                         {"autoCollectSettingType", "rechargeType"}))
    return problems


def cross_field_errors(effective, has_payment_method, own=None, changed=None):
    """The problems a change causes: those involving a changed field (all of them when `changed` is None)."""
    errors = {}
    for name, message, involved in cross_field_problems(effective, has_payment_method, own):
        if changed is None or involved & set(changed):
            errors.setdefault(name, message)
    return errors


CUSTOMER_FIELDS = {f.name: f for f in SETTING_FIELDS}
ORGANIZATION_FIELDS = {f.name: f for f in INHERITABLE_FIELDS}


def field(name):
    return FIELDS_BY_NAME[name]


# --- settings edited together: their cross-field rules tie them, so one form holds them all ---------------------
DEPENDENT_GROUPS = {
    "eInvoicing": ("eInvoiceFormat", "eInvoiceBuyerReference", "peppolParticipantId"),
    "taxExemption": ("taxExempt", "taxExemptCode"),
    "thresholdRecharge": ("rechargeType", "rechargeThresholdAmount", "rechargeTargetAmount"),
    "autoCollect": ("autoCollect", "autoCollectSettingType", "defaultPaymentMethodId"),
}
GROUP_OF = {name: group for group, names in DEPENDENT_GROUPS.items() for name in names}
# The fields a cross-field rule ties together, for a form that shows a rule's message at a field it holds.
_RELATED = {
    "autoCollect": ("autoCollect",),
    "rechargeType": ("rechargeType", "autoCollectSettingType"),
    "rechargeTargetAmount": ("rechargeTargetAmount", "rechargeThresholdAmount", "rechargeType"),
    "taxExemptCode": ("taxExemptCode", "taxExempt"),
    "eInvoiceBuyerReference": ("eInvoiceBuyerReference", "eInvoiceFormat"),
    "peppolParticipantId": ("peppolParticipantId", "eInvoiceFormat"),
}


def related_fields(name):
    """The fields a rule's message about `name` may be shown at, the field itself first."""
    return _RELATED.get(name, (name,))
