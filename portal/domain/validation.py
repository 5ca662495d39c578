"""Validation rules, each in one place; the HTML forms and the JSON API both call them."""
import re
from decimal import Decimal, InvalidOperation

import pycountry
from email_validator import EmailNotValidError, validate_email
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError


class ValidationFailed(Exception):
    """One or more fields are invalid; `errors` maps a field name (API spelling) to its message."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)

    def as_list(self):
        return [{"field": field, "message": message} for field, message in self.errors.items()]


class Errors(dict):
    """Collects field errors; `check` runs one rule and records its message under the field."""

    def check(self, field, rule, *args, **kwargs):
        try:
            return rule(*args, **kwargs)
        except ValueError as error:
            self.setdefault(field, str(error))
            return None

    def raise_if_any(self):
        if self:
            raise ValidationFailed(self)


COUNTRY_CODES = frozenset(c.alpha_2 for c in pycountry.countries)
CURRENCY_CODES = frozenset(c.alpha_3 for c in pycountry.currencies)
LANGUAGE_CODES = frozenset(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2"))
# stdnum's member states are lower-case and include XI (Northern Ireland); Greece's VAT prefix is EL.
EU_VAT_COUNTRIES = frozenset(code.upper() for code in eu_vat.MEMBER_STATES) | {"GR"}
IDENT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")


# Every id and count column is a 32-bit INTEGER on PostgreSQL: a larger number is no id of ours.
MAX_ID = 2**31 - 1


def whole_number(value, maximum=MAX_ID):
    """A non-negative int from an int or a string of ASCII digits, at most `maximum`; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        return None
    return number if 0 <= number <= maximum else None


def required_message(label):
    """The one message for a field left empty: the forms, the services and the API's schema all say it."""
    return f"{label} is required."


def text(value, max_length, required=False, label="This field", multiline=False):
    """A trimmed string of at most max_length characters (one line unless `multiline`); empty is None unless
    required."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError("Must be text.")
    value = value.strip()
    if not value:
        if required:
            raise ValueError(required_message(label))
        return None
    if len(value) > max_length:
        raise ValueError(f"At most {max_length} characters.")
    return no_control_characters(value, multiline=multiline)


def no_control_characters(value, multiline=False):
    """The text unchanged, or ValueError when it holds a NUL or another control character (line breaks and tabs
    only where the field has several lines)."""
    allowed = "\t\n\r" if multiline else ""
    if any((ord(ch) < 32 or 0x7f <= ord(ch) < 0xa0) and ch not in allowed for ch in value):
        raise ValueError("Remove the control characters (such as NUL) from the text." if multiline else
                         "Use one line of text: no line breaks, tabs or other control characters.")
    if any(0xd800 <= ord(ch) <= 0xdfff for ch in value):  # a lone surrogate: no UTF-8 encodes it
        raise ValueError("Contains a character that is not valid Unicode.")
    return value


PASSWORD_MIN = 10
PASSWORD_MAX = 128


def password(value):
    """A new password: 10 to 128 characters, kept exactly as typed (spaces count), in valid Unicode."""
    if not isinstance(value, str) or not value:
        raise ValueError(required_message("Password"))
    if len(value) < PASSWORD_MIN:
        raise ValueError(f"Use at least {PASSWORD_MIN} characters.")
    if len(value) > PASSWORD_MAX:
        raise ValueError(f"At most {PASSWORD_MAX} characters.")
    if any(0xd800 <= ord(ch) <= 0xdfff or ord(ch) == 0 for ch in value):
        raise ValueError("Contains a character that is not valid Unicode.")
    return value


def search_text(value, max_length):
    """What a search box or filter typed, as text the database can compare: control characters and lone
    surrogates become spaces (a search is lenient, not an error), trimmed and cut to max_length."""
    if not isinstance(value, str):
        return ""
    cleaned = "".join(" " if ord(ch) < 32 or 0x7f <= ord(ch) < 0xa0 or 0xd800 <= ord(ch) <= 0xdfff else ch
                      for ch in value)
    return " ".join(cleaned.split())[:max_length]


def required_text(value, max_length, label="This field"):
    return text(value, max_length, required=True, label=label)


def country(value, required=True):
    """An ISO 3166-1 alpha-2 country code."""
    code = text(value, 2, required=required, label="Country") if value is not None or required else None
    if code is None:
        return None
    code = code.upper()
    if code not in COUNTRY_CODES:
        raise ValueError("Choose a country (ISO 3166-1 alpha-2 code).")
    return code


def currency(value):
    """An ISO 4217 currency code."""
    code = (text(value, 3, required=True, label="Currency") or "").upper()
    if code not in CURRENCY_CODES:
        raise ValueError("Choose a currency (ISO 4217 code).")
    return code


def language(value):
    """An ISO 639-1 language code."""
    code = (text(value, 2, required=True, label="Language") or "").lower()
    if code not in LANGUAGE_CODES:
        raise ValueError("Choose a language (ISO 639-1 code).")
    return code


def choice(value, choices, label="Value"):
    if value not in choices:
        raise ValueError(f"{label} must be one of: {', '.join(choices)}.")
    return value


def email(value, required=True):
    """A syntactically valid email address, normalized (no DNS look-up)."""
    raw = text(value, 254, required=required, label="Email")
    if raw is None:
        return None
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"Not a valid email address: {error}") from None


def vat_id(value, country_code=None):
    """A VAT id; for EU countries it must pass the country's check digits (python-stdnum)."""
    raw = text(value, 32)
    if raw is None:
        return None
    try:
        compact = eu_vat.compact(raw)
    except StdnumError:  # not a prefix stdnum knows: keep it as typed, without spaces
        compact = re.sub(r"\s+", "", raw).upper()
    prefix = compact[:2].upper()
    if prefix in EU_VAT_COUNTRIES or prefix == "EL" or (country_code and country_code in EU_VAT_COUNTRIES):
        try:
            return eu_vat.validate(compact)
        except StdnumError:
            raise ValueError("Not a valid EU VAT id (check the country prefix and digits).") from None
    return compact


RATE_TEXT = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{1,20})?")


def tax_rate(value):
    """A percentage from 0.00 to 100.00 with at most two decimals; empty means 0.00."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0.00")
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError("Enter a number from 0.00 to 100.00.")
    if isinstance(value, str) and not RATE_TEXT.fullmatch(value.strip()):
        # Decimal() also reads "١٢", "1_2" and "-0": typed text is plain ASCII digits
        raise ValueError("Enter a number from 0.00 to 100.00.")
    try:
        rate = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError("Enter a number from 0.00 to 100.00.") from None
    rate = abs(rate) if rate == 0 else rate  # -0 is 0
    if not rate.is_finite() or rate < 0 or rate > 100:
        raise ValueError("Enter a number from 0.00 to 100.00.")
    if rate != rate.quantize(Decimal("0.01")):
        raise ValueError("At most two decimals.")
    return rate.quantize(Decimal("0.01"))


def identifier(value, max_length, label):
    """An external identifier: letters, digits and . _ - /, no spaces."""
    ident = text(value, max_length, label=label)
    if ident is None:
        return None
    if not IDENT_PATTERN.match(ident):
        raise ValueError(f"{label} may hold letters, digits and . _ - / only.")
    return ident


def string_list(values, max_length, label, max_items=50):
    """A list of distinct non-empty strings (from a list, or one per line/comma from a form)."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [v for v in re.split(r"[\n,]", values)]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{label} must be a list of strings.")
    cleaned = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        if len(value) > max_length:
            raise ValueError(f"Each entry is at most {max_length} characters.")
        no_control_characters(value)
        if value in cleaned:
            raise ValueError(f"'{value}' is listed twice.")
        cleaned.append(value)
    if len(cleaned) > max_items:
        raise ValueError(f"At most {max_items} entries.")
    return cleaned


# --- addresses: one rule for every address, from the forms, the New customer form and the API ---------------

ADDRESS_TEXT_LIMITS = {"line1": 200, "line2": 200, "city": 100, "state": 100, "postalCode": 20}
ADDRESS_LINE1_LABEL = "Address line 1"


def address_complete(address, may_be_empty=False):
    """An address has its first line. Only one that may be empty (Invoice address 1: the address is optional when a
    customer is created) may lack it, and then it holds no other part either; the country alone is no address."""
    if (address.get("line1") or "").strip():
        return address
    if may_be_empty and not any((address.get(part) or "").strip() for part in ADDRESS_TEXT_LIMITS):
        return address
    raise ValueError(required_message(ADDRESS_LINE1_LABEL))
