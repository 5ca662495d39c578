"""Reading a customer CSV file as spreadsheet programs write it: its encoding, delimiter, header and rows, and each
cell's text as the value the customer rules take. Pure: no Flask, no database."""
import codecs
from functools import cache
import csv
import io
from decimal import Decimal, InvalidOperation

from portal.domain import labels

MAX_BYTES = 10 * 1024 * 1024
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}

# The fields an import writes, in the export's order (its columns are the template); debtorIdent matches rows to
# customers. The export's other columns are its own (ids, numbers and dates the portal gives, effective settings).
IMPORT_FIELDS = ("debtorIdent", "name", "customerType", "country", "currency", "legalEntityId", "groupId",
                 "primaryEmail", "vatId", "taxRate", "language")
EXPORT_ONLY = ("id", "accountNumber", "status", "createdAt")
EXPORT_SETTINGS = ("term", "autoCollect", "sendPaymentReminders", "dunningExempt", "eInvoiceFormat")


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message says why and what to do."""


def decode(data):
    """(text, how it was read) for the bytes of a CSV file: UTF-8 or UTF-16 (with or without a byte order mark),
    else Windows-1252, the Latin-1 superset spreadsheet programs write in Western Europe."""
    if not data.strip():
        raise FileProblem("The file is empty.")
    if data.startswith(codecs.BOM_UTF8):
        text, how = data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "UTF-8"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, how = _utf16(data, "utf-16"), "UTF-16"
    elif b"\x00" in data[:4096]:
        even, odd = data[0:4096:2].count(0), data[1:4096:2].count(0)
        if not (even or odd) or min(even, odd) > max(even, odd) / 4:  # UTF-16 text has its zeros on one side
            raise FileProblem(NOT_TEXT)
        text, how = _utf16(data, "utf-16-be" if even > odd else "utf-16-le"), "UTF-16"
    else:
        try:
            text, how = data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            text, how = data.decode("cp1252", errors="replace"), "Windows-1252 (Latin-1)"
            if "\ufffd" in text:  # bytes Windows-1252 leaves undefined: ISO 8859-1 reads every byte
                text, how = data.decode("latin-1"), "ISO 8859-1 (Latin-1)"
    if "\x00" in text:
        raise FileProblem(NOT_TEXT)
    return text, how


NOT_TEXT = "This is not a text file. Save the spreadsheet as “CSV” and upload that."


def _utf16(data, codec):
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        raise FileProblem(NOT_TEXT) from None


def delimiter_of(header_line):
    """The delimiter the header line uses most (outside quotes): comma, semicolon, tab or vertical bar."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read(text):
    """(delimiter, header, [(line number, cells)]) of a decoded file; FileProblem for a header missing, a quote
    never closed or a stray quote, with the line where the row starts."""
    first_line = text.splitlines()[0] if text else ""
    delimiter = delimiter_of(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows = []
    header = None
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise FileProblem(f"Line {start}: a quoted cell is not closed or has a stray quote. Check the quotes on "
                              "that line, or save the file again from the spreadsheet.") from None
        if header is None:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines before the header
            header = [cell.strip() for cell in cells]
            continue
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        rows.append((start, cells))
    if header is None:
        raise FileProblem("The file has no header row.")
    if len(set(h.lower() for h in header if h)) < len([h for h in header if h]):
        seen, twice = set(), None
        for h in header:
            if h and h.lower() in seen:
                twice = h
            seen.add(h.lower())
        raise FileProblem(f"The column “{twice}” appears twice in the header. Give each column its own name.")
    return delimiter, header, rows


@cache
def known_headers():
    """{header, lower-cased: field} for the export's labels and the API's names, and "" for the export's columns an
    import leaves alone."""
    known = {}
    for name in IMPORT_FIELDS:
        known[labels.field_label("customer", name).lower()] = name
        known[name.lower()] = name
    for name in EXPORT_ONLY:
        known[labels.field_label("customer", name).lower()] = ""
    for name in EXPORT_SETTINGS:
        known[labels.field_label("settings", name).lower()] = ""
    known["debtor ident"] = "debtorIdent"
    known["email"] = "primaryEmail"
    return known


def suggested_mapping(header, remembered):
    """A field (or "" to leave the column out) per column: what the organization chose for that header last time,
    else the export's label or API name, else nothing."""
    known = known_headers()
    mapping = []
    for title in header:
        key = title.strip().lower()
        field = remembered.get(key) if key in remembered else known.get(key, "")
        mapping.append(field if field in IMPORT_FIELDS else "")
    return mapping


def cell_text(text):
    """A cell's text, or ValueError for a formula: the export writes a quote before = + - @ so that spreadsheets do
    not run them, and that quote comes off here."""
    text = text.strip()
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    if text[:1] in ("=", "@") or (text[:1] in "+-" and len(text) > 1 and not (text[1].isdigit() or text[1] in " .(")):
        raise ValueError("This cell is a formula. Import its value instead (copy, then paste as values).")
    return text


def _reverse(pairs):
    return {text.lower(): code for code, text in pairs}


_COUNTRIES = _reverse(labels.COUNTRIES)
_LANGUAGES = _reverse(labels.LANGUAGES)


_COUNTRY_CODES = {code for code, _name in labels.COUNTRIES}
_LANGUAGE_CODES = {code for code, _name in labels.LANGUAGES}


def unknown_code(field, text, value):
    """Why a country or language cell names none (its name or code), or None."""
    codes, example = {"country": (_COUNTRY_CODES, "Germany or DE"), "language": (_LANGUAGE_CODES, "German or de")}[
        field]
    if text and value not in codes:
        return f"No {field} is called “{text}”: use its English name or its code (e.g. {example})."
    return None


def enum_value(kind, text):
    """A code from its code or its label (any case); unknown text as it is, for the rule to refuse."""
    for code, words in labels.ENUMS[kind].items():
        if text.lower() in (code.lower(), words.lower()):
            return code
    return text


def field_value(field, text):
    """The value a customer rule takes for one cell's text (the rules check it after)."""
    if field == "customerType":
        return enum_value("customerType", text) if text else None
    if field == "country":
        return _COUNTRIES.get(text.lower(), text.upper()) if text else None
    if field == "language":
        return _LANGUAGES.get(text.lower(), text.lower()) if text else None
    if field == "currency":
        return text.upper() or None
    if field == "taxRate":
        number = text.replace("%", "").replace(" ", "")
        if "," in number and "." not in number:
            number = number.replace(",", ".")  # a decimal comma, as German spreadsheets write it
        try:
            return str(Decimal(number)) if number else None
        except InvalidOperation:
            return text
    return text or None
