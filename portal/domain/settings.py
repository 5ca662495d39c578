"""Billing settings (SPEC §6): three layers resolved field by field, and the rules of every field."""
import calendar
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
from portal.domain.labels import ENUMS
from portal.domain.validation import no_control_characters

DEFAULT, ORGANIZATION, CUSTOMER = "default", "organization", "customer"
SOURCE_LABELS = ENUMS["source"]


@dataclass(frozen=True)
class Resolved:
    """The effective value of one field and the layer it comes from."""

    value: object
    source: str


# --- resolution: one pure function ------------------------------------------------------------------------

def resolve(organization_layer, customer_layer=None):
    """For every field: the customer's own value, else the organization's (inheritable fields), else the default.

    Layers are {field name: value}; a missing key or None means "not set on this layer".
    """
    customer_layer = customer_layer or {}
    resolved = {}
    for setting in SETTING_FIELDS:
        own = customer_layer.get(setting.name)
        organization = organization_layer.get(setting.name) if setting.inheritable else None
        if own is not None:
            resolved[setting.name] = Resolved(own, CUSTOMER)
        elif organization is not None:
            resolved[setting.name] = Resolved(organization, ORGANIZATION)
        else:
            resolved[setting.name] = Resolved(DEFAULTS[setting.name], DEFAULT)
    return resolved


def effective_values(resolved):
    return {name: item.value for name, item in resolved.items()}


def sources(resolved):
    return {name: item.source for name, item in resolved.items()}


# --- payment terms and due dates ----------------------------------------------------------------------------

def parse_term(term):
    """('net', N) | ('day_of_month', D) | ('mfi', 1); ValueError for anything else."""
    match = TERM_PATTERN.match(term or "") if isinstance(term, str) else None
    if not match:
        raise ValueError("Use NetN (N 0–365), DayOfMonthD (D 1–31) or MFI1.")
    net, day = match.groups()
    if net is not None:
        if not 0 <= int(net) <= 365 or (len(net) > 1 and net.startswith("0")):
            raise ValueError("NetN takes N from 0 to 365.")
        return ("net", int(net))
    if day is not None:
        if not 1 <= int(day) <= 31 or day.startswith("0"):
            raise ValueError("DayOfMonthD takes D from 1 to 31.")
        return ("day_of_month", int(day))
    return ("mfi", 1)


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


def describe_term(term):
    kind, number = parse_term(term)
    if kind == "net":
        return "Due on receipt" if number == 0 else f"Net {number} days"
    if kind == "mfi":
        return "1st of the following month"
    return f"Next {number}{'st' if number in (1, 21, 31) else 'nd' if number in (2, 22) else 'rd' if number in (3, 23) else 'th'} of a month"


# --- the rule of each field ------------------------------------------------------------------------------

def _bool(value):
    if not isinstance(value, bool):
        raise ValueError("Must be true or false.")
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


def _enum(setting):
    def rule(value):
        if value not in setting.choices:
            raise ValueError("One of: " + ", ".join(setting.choices) + ".")
        return value
    return rule


def _term(value):
    parse_term(value)
    return value


def _object(value, keys):
    if not isinstance(value, dict):
        raise ValueError("Must be an object.")
    unknown = set(value) - set(keys)
    if unknown:
        raise ValueError(f"Unknown key: {sorted(unknown)[0]}.")
    return value


def _choice(value, choices, name):
    if value not in choices:
        raise ValueError(f"{name} must be one of: {', '.join(choices)}.")
    return value


def _day_month(item, kind, interval, what):
    """day only (and then required) for SpecifiedDate; month only for SpecifiedDate + Yearly."""
    day, month = item.get("day"), item.get("month")
    if kind == "SpecifiedDate":
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 31:
            raise ValueError(f"{what}: day 1–31 is required for SpecifiedDate.")
        if interval == "Yearly":
            if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
                raise ValueError(f"{what}: month 1–12 is required for SpecifiedDate + Yearly.")
        elif month is not None:
            raise ValueError(f"{what}: month only goes with SpecifiedDate + Yearly.")
    elif day is not None or month is not None:
        raise ValueError(f"{what}: day and month only go with SpecifiedDate.")
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


def _tracked_item_display(value):
    _object(value, ("trackedItemDisplayFormat", *TRACKED_ITEM_FLAGS))
    cleaned = {"trackedItemDisplayFormat": _choice(value.get("trackedItemDisplayFormat", "Inline"),
                                                   ("Inline", "SeparatePage"), "trackedItemDisplayFormat")}
    for flag in TRACKED_ITEM_FLAGS:
        flag_value = value.get(flag, False)
        if not isinstance(flag_value, bool):
            raise ValueError(f"{flag} must be true or false.")
        cleaned[flag] = flag_value
    return cleaned


def _billing_periods(value):
    if not isinstance(value, list):
        raise ValueError("Must be a list.")
    cleaned, intervals = [], set()
    for index, item in enumerate(value, 1):
        what = f"Configuration {index}"
        _object(item, ("type", "rule", "interval", "day", "month"))
        kind = _choice(item.get("type"), ("SpecifiedDate", "CustomerActivation", "FirstSubscriptionActivation"),
                       f"{what}: type")
        _choice(item.get("rule"), ("SingleInvoice", "MultipleInvoices", "OneInvoicePerDay", "Prompt"),
                f"{what}: rule")
        interval = _choice(item.get("interval"), ("Monthly", "Yearly"), f"{what}: interval")
        if interval in intervals:
            raise ValueError(f"At most one configuration per interval ({interval} twice).")
        intervals.add(interval)
        cleaned.append(_day_month(item, kind, interval, what))
    return cleaned


def _statement_setting(value):
    _object(value, ("option", "type", "interval", "day", "month", "statementActivityType"))
    _choice(value.get("option"), ("Detailed", "BySubscription", "Summarized"), "option")
    kind = _choice(value.get("type"), ("CustomerAnniversary", "SpecifiedDate"), "type")
    interval = _choice(value.get("interval"), ("Monthly", "Yearly"), "interval")
    _choice(value.get("statementActivityType"), ("OnlyParentActivity", "OnlyChildActivity", "ParentAndChildActivity"),
            "statementActivityType")
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
            errors[name] = str(error)
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
        problems.append(("rechargeTargetAmount", "Threshold and target amounts are needed for BringBalanceBackTo.",
                         recharge))
    if threshold is not None and target is not None and Decimal(str(target)) <= Decimal(str(threshold)):
        problems.append(("rechargeTargetAmount", "The target must be above the threshold.", recharge))
    if effective["autoCollectSettingType"] == "Threshold" and not effective["rechargeType"]:
        problems.append(("rechargeType", "Threshold collection needs a recharge type (BringBalanceBackTo).",
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
