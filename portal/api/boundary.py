"""The JSON body boundary: what any string or number in a request body may be, checked before any rule or query.

PostgreSQL refuses NUL bytes in text and both databases' drivers refuse lone surrogates (they cannot be encoded as
UTF-8); an integer beyond the column's range overflows on PostgreSQL; `1e309` parses as infinity. Each of these is a
field error here, with the JSON path of the value, so no such value reaches a query on either database.
"""
import math
from decimal import Decimal

from portal.domain.validation import MAX_ID, no_control_characters

# JSON paths (dotted, list indexes left out) of fields that hold several lines in the product: a customer group's
# description (no other body has a field of that name); a template body would be listed here.
MULTILINE_FIELDS = frozenset({"description"})

# No column the API writes holds more than this (ids and counts are 32-bit; decimals are NUMERIC(14, 2)).
MAX_MAGNITUDE = 10**15

# A JSON Schema pattern for text without control characters (JSON Schema patterns are ECMA-262, where \x escapes
# mean the same as here); the OpenAPI document states it on every single-line string.
SINGLE_LINE = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"
MULTI_LINE = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"


def string_problem(value, multiline=False):
    """Why a string cannot be stored, or None (the one text rule the forms use too)."""
    try:
        no_control_characters(value, multiline=multiline)
    except ValueError as error:
        return str(error)
    return None


def number_problem(value):
    """Why a number cannot be stored anywhere, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return "Out of range."
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and abs(value) >= MAX_MAGNITUDE:
        return "Out of range."
    return None


def _display(key):
    """An object key as it may appear in a field path (a hostile key must not break the error document)."""
    return key if string_problem(key) is None else key.encode("utf-8", "backslashreplace").decode("ascii",
                                                                                                   "backslashreplace")


def problems(body):
    """Every string and number of a parsed JSON body that no column can hold: [{field, message}]."""
    found = []

    def walk(value, path, shape):
        if isinstance(value, dict):
            for key, item in value.items():
                key_path = [*path, _display(key)]
                problem = string_problem(key)
                if problem:
                    found.append({"field": ".".join(key_path), "message": "Field name: " + problem})
                    continue
                walk(item, key_path, [*shape, key])
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, [*path, str(index)], shape)
        elif isinstance(value, str):
            problem = string_problem(value, multiline=".".join(shape) in MULTILINE_FIELDS)
            if problem:
                found.append({"field": ".".join(path) or "(body)", "message": problem})
        else:
            problem = number_problem(value)
            if problem:
                found.append({"field": ".".join(path) or "(body)", "message": problem})

    walk(body, [], [])
    return found


def digits_up_to(maximum):
    """A regular expression of the decimal numbers 0..maximum without leading zeros (for ids given as strings)."""
    text = str(maximum)
    alternatives = ["0"]
    if len(text) > 1:
        alternatives.append(f"[1-9][0-9]{{0,{len(text) - 2}}}" if len(text) > 2 else "[1-9]")
    for position, digit in enumerate(text):
        rest = len(text) - position - 1
        low = "1" if position == 0 else "0"
        if int(digit) > int(low):
            upper = str(int(digit) - 1)
            span = low if upper == low else f"[{low}-{upper}]"
            alternatives.append(text[:position] + span + (f"[0-9]{{{rest}}}" if rest else ""))
    alternatives.append(text)
    return "^(" + "|".join(alternatives) + ")$"


ID_DIGITS = digits_up_to(MAX_ID)
