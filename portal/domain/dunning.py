"""Dunning rules that need no database: money in minor units, template placeholders, the timeline."""
import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision

from portal.domain import settings as settings_rules

MAX_RULES = 5
MAX_AMOUNT = Decimal(10) ** 10  # in major units: ten billion of any currency is no fee and no invoice
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2999, 12, 31)
RULE_TYPES = ("reminder", "dunning")
PLACEHOLDERS = {
    "customer_name": "Acme GmbH",
    "invoice_number": "INV-2026-0042",
    "amount": "1,190.00 EUR",
    "due_date": "2026-12-06",
    "new_due_date": "2026-12-18",
    "fee": "5.00 EUR",
    "level": "2",
}
PLACEHOLDER_PATTERN = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


# --- money ---------------------------------------------------------------------------------------------------

def minor_units(currency):
    """Decimals of the currency: 2 for EUR, 0 for JPY, 3 for BHD."""
    return get_currency_precision(currency)


def parse_money(value, currency):
    """An amount typed as money ("5.00", "5,00", "500" for JPY) in the currency's minor unit; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError("Enter an amount, e.g. 5.00.") from None
    places = minor_units(currency)
    if not amount.is_finite() or amount <= 0:
        raise ValueError("The amount must be more than 0.")
    if amount >= MAX_AMOUNT:  # before any arithmetic: 1e30 or 400 digits must not reach quantize
        raise ValueError("That amount is too large.")
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"{currency} has {places} decimal{'s' if places != 1 else ''}.")
    return int(amount.scaleb(places))


def money_input(cents, currency):
    """Minor units as the amount a form shows."""
    if cents is None:
        return ""
    places = minor_units(currency)
    return f"{Decimal(cents).scaleb(-places):.{places}f}"


def format_money(cents, currency, locale="en_US"):
    return format_currency(Decimal(cents or 0).scaleb(-minor_units(currency)), currency, locale=locale)


# --- templates -----------------------------------------------------------------------------------------------------

def render_placeholders(text, values=None):
    """Fill {{ placeholder }} with sample (or given) values; unknown ones stay visible."""
    values = values or PLACEHOLDERS
    return PLACEHOLDER_PATTERN.sub(lambda m: values.get(m.group(1), m.group(0)), text or "")


def unknown_placeholders(text):
    return sorted({name for name in PLACEHOLDER_PATTERN.findall(text or "") if name not in PLACEHOLDERS})


# --- the timeline ---------------------------------------------------------------------------------------------------

def timeline(resolved, overdue_rules, invoice_date, amount_in_cents, currency):
    """What happens to an unpaid invoice: its due date and each enabled rule's send date, due date and fee."""
    effective = settings_rules.effective_values(resolved)
    label = settings_rules.SOURCE_LABELS
    term = effective["term"]
    due = settings_rules.due_date(term, invoice_date)
    notes = [f"Payment term {term} ({label[resolved['term'].source]}): due {due.isoformat()}."]
    steps = []
    enabled = sorted((r for r in overdue_rules if r.is_enabled), key=lambda r: r.level)
    disabled = [r.level for r in overdue_rules if not r.is_enabled]
    if not effective["sendPaymentReminders"]:
        notes.append(f"Payment reminders are off ({label[resolved['sendPaymentReminders'].source]}): "
                     "no reminders and no dunning notices are sent.")
    elif effective["dunningExempt"]:
        notes.append(f"The customer is dunning exempt ({label[resolved['dunningExempt'].source]}): "
                     "no reminders and no dunning notices are sent.")
    else:
        fees_on = effective["chargeDunningFees"]
        previous_due = due
        for rule in enabled:
            send = previous_due + timedelta(days=rule.days_overdue)
            step_due = send + timedelta(days=rule.due_in_days)
            steps.append({"level": rule.level, "type": rule.type, "sendDate": send.isoformat(),
                          "dueDate": step_due.isoformat(), "feeInCents": (rule.amount_in_cents or 0) if fees_on else 0})
            previous_due = step_due
        if not fees_on:
            notes.append(f"Dunning fees are off ({label[resolved['chargeDunningFees'].source]}): every fee is 0.")
        if not enabled:
            notes.append("No overdue rule is enabled: nothing is sent.")
        if disabled:
            notes.append("Disabled, so left out: level " + ", ".join(str(level) for level in disabled) + ".")
    return {"invoiceDate": invoice_date.isoformat(), "amountInCents": amount_in_cents, "currency": currency,
            "dueDate": due.isoformat(), "steps": steps, "totalFeesInCents": sum(s["feeInCents"] for s in steps),
            "notes": notes}


def parse_invoice_date(value):
    """An invoice date typed as YYYY-MM-DD, in 1900-2999 (far enough from the calendar's end for every rule)."""
    if not value:
        return date.today()
    try:
        invoice_date = date.fromisoformat(value)
    except ValueError:
        raise ValueError("A date as YYYY-MM-DD.") from None
    if not FIRST_DATE <= invoice_date <= LAST_DATE:
        raise ValueError("A date from 1900 to 2999.")
    return invoice_date
