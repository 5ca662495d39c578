"""Dunning rules that need no database: money in minor units, template placeholders, the timeline."""
import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision

from portal.domain import settings as settings_rules
from portal.domain.validation import MAX_ID

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


MONEY_TEXT = re.compile(r"^[0-9]{1,20}([.,][0-9]{1,20})?$")


def parse_money(value, currency):
    """An amount typed as money ("5.00", "5,00", "500" for JPY) in the currency's minor unit; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    typed = str(value).strip()
    if not MONEY_TEXT.match(typed):  # Decimal() also reads "1e5", "NaN" and "١٢": an amount is typed in ASCII digits
        raise ValueError("Enter an amount, e.g. 5.00.")
    try:
        amount = Decimal(typed.replace(",", "."))
    except InvalidOperation:
        raise ValueError("Enter an amount, e.g. 5.00.") from None
    places = minor_units(currency)
    if not amount.is_finite() or amount <= 0:
        raise ValueError("The amount must be more than 0.")
    if amount >= MAX_AMOUNT:  # before any arithmetic: 1e30 or 400 digits must not reach quantize
        raise ValueError("That amount is too large.")
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"{currency} amounts have no decimals: enter a whole amount." if places == 0 else
                         f"{currency} amounts have at most {places} decimal{'s' if places != 1 else ''}.")
    return int(amount.scaleb(places))


def money_input(cents, currency):
    """Minor units as the amount a form shows."""
    if cents is None:
        return ""
    places = minor_units(currency)
    return f"{Decimal(cents).scaleb(-places):.{places}f}"


def format_money(cents, currency, locale="en_US"):
    """An amount in the currency's minor unit as money: 500 is €5.00 in EUR and ¥500 in JPY (Babel knows each
    currency's decimals)."""
    return format_currency(Decimal(cents or 0).scaleb(-minor_units(currency)), currency, locale=locale)


# --- the fee of an overdue rule: one number, in the minor unit of whatever currency the invoice is in --------

MAX_FEE = MAX_ID  # the column is a 32-bit INTEGER (found by the form fuzzer on PostgreSQL)
FEE_EXAMPLE = 500
FEE_EXAMPLE_CURRENCIES = ("EUR", "GBP", "JPY")


def fee_example():
    """The seed's rule with numbers: "500 is €5.00, £5.00 or ¥500"."""
    amounts = [format_money(FEE_EXAMPLE, currency) for currency in FEE_EXAMPLE_CURRENCIES]
    return f"{FEE_EXAMPLE} is {', '.join(amounts[:-1])} or {amounts[-1]}"


FEE_REQUIRED = "A dunning charges a fee: enter an amount above 0."
FEE_RULE = f"The fee is a whole number above 0 in the minor unit of the invoice's currency: {fee_example()}."
FEE_NO_DECIMALS = (f"Enter the fee in minor units, without a decimal point ({fee_example()}): the invoice's currency "
                   "decides what it comes to.")
FEE_TOO_LARGE = "That amount is too large."
DECIMAL_TEXT = re.compile(r"^[0-9]*[.,][0-9]*$")


def fee_in_minor_units(value, required=False):
    """An overdue rule's fee: a whole number of minor units of the invoice's currency (an int, or ASCII digits as a
    form sends them), or None when none is given and none is required."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(FEE_REQUIRED)
        return None
    if isinstance(value, str):
        typed = value.strip()
        if DECIMAL_TEXT.match(typed) and any(ch.isdigit() for ch in typed):
            raise ValueError(FEE_NO_DECIMALS)
        if not (typed.isascii() and typed.isdigit()):
            raise ValueError(FEE_RULE)
        if len(typed) > 12:  # before int(): 400 digits are no fee
            raise ValueError(FEE_TOO_LARGE)
        value = int(typed)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(FEE_RULE)
    if value > MAX_FEE:
        raise ValueError(FEE_TOO_LARGE)
    return value


def fee_in_currencies(amount_in_cents, currencies):
    """What one fee comes to in each currency: [(currency, "€5.00"), ...] (Babel formats it)."""
    return [(currency, format_money(amount_in_cents, currency)) for currency in currencies]


# --- templates -----------------------------------------------------------------------------------------------------

def render_placeholders(text, values=None):
    """Fill {{ placeholder }} with sample (or given) values; unknown ones stay visible."""
    values = values or PLACEHOLDERS
    return PLACEHOLDER_PATTERN.sub(lambda m: values.get(m.group(1), m.group(0)), text or "")


def unknown_placeholders(text):
    return sorted({name for name in PLACEHOLDER_PATTERN.findall(text or "") if name not in PLACEHOLDERS})


# --- the timeline ---------------------------------------------------------------------------------------------------

def timeline(resolved, overdue_rules, invoice_date, amount_in_cents, currency, ladder=None):
    """What happens to an unpaid invoice: its due date and each enabled rule's send date, due date and fee.
    `ladder` ({id, name}) is the effective dunning ladder the rules are of (None: the organization has none)."""
    effective = settings_rules.effective_values(resolved)
    source = settings_rules.source_words
    term = effective["term"]
    due = settings_rules.due_date(term, invoice_date)
    notes = [f"Payment term {settings_rules.describe_term(term)} ({source(resolved['term'])}): "
             f"due {due.isoformat()}."]
    if ladder is not None:
        notes.append(f"Dunning ladder “{ladder['name']}” ({source(resolved['dunningLadderId'])}).")
    steps = []
    enabled = sorted((r for r in overdue_rules if r.is_enabled), key=lambda r: r.level)
    disabled = [r.level for r in overdue_rules if not r.is_enabled]
    if not effective["sendPaymentReminders"]:
        notes.append(f"Payment reminders are off ({source(resolved['sendPaymentReminders'])}): "
                     "no reminders and no dunning notices are sent.")
    elif effective["dunningExempt"]:
        notes.append(f"The customer is dunning exempt ({source(resolved['dunningExempt'])}): "
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
            notes.append(f"Dunning fees are off ({source(resolved['chargeDunningFees'])}): every fee is 0.")
        if ladder is None:
            notes.append("The organization has no dunning ladder yet: nothing is sent.")
        elif not enabled:
            notes.append("No overdue rule is enabled: nothing is sent.")
        if disabled:
            notes.append("Disabled, so left out: level " + ", ".join(str(level) for level in disabled) + ".")
    return {"invoiceDate": invoice_date.isoformat(), "amountInCents": amount_in_cents, "currency": currency,
            "dueDate": due.isoformat(), "ladder": ladder, "steps": steps, "totalFeesInCents": sum(s["feeInCents"] for s in steps),
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
