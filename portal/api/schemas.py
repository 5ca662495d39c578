"""JSON Schemas of the API's bodies: requests are validated with them and the OpenAPI document shows them."""
from portal.api.boundary import ID_DIGITS, MULTI_LINE, SINGLE_LINE
from portal.domain.validation import (
    ADDRESS_LINE1_LABEL,
    COUNTRY_CODES,
    CURRENCY_CODES,
    IDENT_PATTERN,
    LANGUAGE_CODES,
    MAX_ID,
    required_message,
)
from portal.models.customer import (
    ADDRESS_TYPES,
    CUSTOMER_TYPES,
    EMAIL_PREFERENCES,
    STATUSES,
)
from portal.services.customers import ALIAS_MAX, DEBTOR_IDENT_MAX


def nullable(schema):
    """The schema, or null."""
    if "enum" in schema:
        schema = {**schema, "enum": [*schema["enum"], None]}
    types = schema["type"] if isinstance(schema.get("type"), list) else [schema["type"]]
    return {**schema, "type": [*types, "null"]}


def read_only(schema=None):
    """A field the server sets: sent back unchanged it is ignored, so generators leave it out of requests."""
    return {**(schema or {}), "readOnly": True}


def text(max_length):
    """Single-line text (no control characters) of at most max_length characters; the rules trim it."""
    return {"type": "string", "maxLength": max_length, "pattern": SINGLE_LINE}


# Text that must not be blank: at least one character that is neither a space nor a control character.
_NOT_BLANK = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
# One entry of a list: no surrounding spaces (the rules trim entries and compare them trimmed).
_ENTRY = "^[^\\s\\x00-\\x1f\\x7f-\\x9f]([^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f])?$"


def required_field(schema, label):
    """A field the rules require: left out, null or blank, the API gives the message the form shows."""
    return {**schema, "x-messages": {**schema.get("x-messages", {}), "required": required_message(label)}}


def required_text(max_length, label="This field"):
    return required_field({"type": "string", "maxLength": max_length, "pattern": _NOT_BLANK,
                           "x-message-pattern": required_message(label)}, label)


def entries(max_length, max_items=50):
    """A list of distinct, trimmed, non-empty strings."""
    return {"type": "array", "maxItems": max_items, "uniqueItems": True,
            "items": {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": _ENTRY}}


def decimal_input(maximum, exclusive=False, pattern="^[0-9]{1,12}(\\.[0-9]{1,2})?$"):
    """A decimal of scale 2, from 0: a JSON number or a string of ASCII digits; it goes out as a string."""
    bound = {"exclusiveMaximum": maximum} if exclusive else {"maximum": maximum}
    return {"x-decimal-scale": 2, "oneOf": [
        {"type": "number", "minimum": 0, "multipleOf": 0.01, **bound},
        {"type": "string", "pattern": pattern, "description": "ASCII digits with up to two decimals"},
    ]}


def decimal_output(description="A decimal with two decimals, as a string"):
    return {"type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$", "description": description}


STRING = {"type": "string"}
ID = {"type": "string", "pattern": "^[0-9]+$", "description": "Numeric id, as a string."}
TIMESTAMP = {"type": "string", "format": "date-time"}
STRING_LIST = {"type": "array", "items": {"type": "string"}}
ID_INPUT = {"oneOf": [{"type": "string", "pattern": ID_DIGITS}, {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                      {"type": "null"}], "description": "An id (as the API shows it, or as a number); null for none"}
COUNTRY = {"type": "string", "enum": sorted(COUNTRY_CODES), "description": "ISO 3166-1 alpha-2",
           "x-message": "Choose a country (ISO 3166-1 alpha-2 code)."}
CURRENCY = {"type": "string", "enum": sorted(CURRENCY_CODES), "description": "ISO 4217",
            "x-message": "Choose a currency (ISO 4217 code)."}
LANGUAGE = {"type": "string", "enum": sorted(LANGUAGE_CODES), "description": "ISO 639-1",
            "x-message": "Choose a language (ISO 639-1 code)."}
TAX_RATE_INPUT = {**decimal_input(100, pattern="^(100(\\.00?)?|[0-9]{1,2}(\\.[0-9]{1,2})?)$"),
                  "x-message": "Enter a number from 0.00 to 100.00."}
EMAIL = {"type": "string", "format": "email", "maxLength": 254, "pattern": SINGLE_LINE}

ADDRESS_FIELDS = {
    "line1": nullable(text(200)), "line2": nullable(text(200)), "city": nullable(text(100)),
    "state": nullable(text(100)), "postalCode": nullable(text(20)), "country": nullable(COUNTRY),
}
CONTACT_FIELDS = {
    "firstName": nullable(text(100)), "lastName": nullable(text(100)), "email": nullable(EMAIL),
    "phone": nullable(text(40)),
    "emailPreferences": nullable({"type": "array", "uniqueItems": True,
                                  "items": {"type": "string", "enum": list(EMAIL_PREFERENCES)}}),
    "isPrimary": nullable({"type": "boolean", "description": "null is false"}),
}
CUSTOMER_WRITABLE = {
    "name": required_text(200, "Name"),
    "customerType": {"type": "string", "enum": list(CUSTOMER_TYPES)},
    "language": required_field(LANGUAGE, "Language"),
    "country": required_field(COUNTRY, "Country"),
    "currency": required_field(CURRENCY, "Currency"),
    "legalEntityId": ID_INPUT,
    "groupId": {**ID_INPUT, "description": "One of the organization's customer groups; null for none"},
    "vatId": nullable(text(32)),
    "taxCountry": nullable(COUNTRY),
    "taxId": nullable(text(64)),
    "taxRate": TAX_RATE_INPUT,
    "aliases": nullable(entries(ALIAS_MAX)),
    "contractorReferences": nullable(entries(128)),
}
DEBTOR_IDENT = {"type": "string", "maxLength": DEBTOR_IDENT_MAX, "pattern": IDENT_PATTERN.pattern,
                "description": "Letters, digits and . _ - /; generated when left out"}

CUSTOMER_CREATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "customerType", "language", "country", "currency", "primaryContact"],
    "properties": {
        **CUSTOMER_WRITABLE,
        "debtorIdent": nullable(DEBTOR_IDENT),
        "primaryContact": {
            "type": "object", "additionalProperties": False, "required": ["email"],
            "properties": {**{k: CONTACT_FIELDS[k] for k in ("firstName", "lastName")},
                           "email": required_field(EMAIL, "Email")},
        },
        "invoiceAddress": nullable({"type": "object", "additionalProperties": False,
                                    "properties": ADDRESS_FIELDS}),
    },
}

# Read-only fields may be sent back unchanged (GET, modify, PATCH); a different value is an error.
CUSTOMER_READ_ONLY = ("id", "debtorIdent", "accountNumber", "createdAt", "updatedAt", "version", "uri",
                      "primaryContact", "addresses", "contacts")
CUSTOMER_PATCH = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **CUSTOMER_WRITABLE,
        "status": {"type": "string", "enum": list(STATUSES)},
        **{name: read_only() for name in CUSTOMER_READ_ONLY},
    },
}

ADDRESS = {
    "type": "object",
    "required": ["id", "type", "name", "isMain", "line1", "line2", "city", "state", "postalCode", "country", "uri"],
    "properties": {
        "id": ID, "type": {"type": "string", "enum": list(ADDRESS_TYPES)}, "name": nullable(STRING),
        "isMain": {"type": "boolean"}, "line1": STRING, "line2": STRING, "city": STRING, "state": STRING,
        "postalCode": STRING, "country": STRING, "uri": STRING,
    },
}
CONTACT = {
    "type": "object",
    "required": ["id", "firstName", "lastName", "email", "phone", "emailPreferences", "isPrimary", "uri"],
    "properties": {
        "id": ID, "firstName": STRING, "lastName": STRING, "email": STRING, "phone": STRING,
        "emailPreferences": {"type": "array", "items": {"type": "string", "enum": list(EMAIL_PREFERENCES)}},
        "isPrimary": {"type": "boolean"}, "uri": STRING,
    },
}
CUSTOMER = {
    "type": "object",
    "required": ["id", "debtorIdent", "accountNumber", "name", "customerType", "language", "country", "currency",
                 "legalEntityId", "groupId", "vatId", "taxCountry", "taxId", "taxRate", "contractorReferences",
                 "aliases", "status", "createdAt", "updatedAt", "version", "primaryContact", "addresses", "contacts",
                 "uri"],
    "properties": {
        "id": ID, "debtorIdent": STRING, "accountNumber": STRING, "name": STRING,
        "customerType": {"type": "string", "enum": list(CUSTOMER_TYPES)}, "language": STRING, "country": STRING,
        "currency": STRING, "legalEntityId": nullable(ID), "groupId": nullable(ID), "vatId": nullable(STRING),
        "taxCountry": nullable(STRING), "taxId": nullable(STRING),
        "taxRate": decimal_output("Percent, 0.00 to 100.00, as a string"),
        "contractorReferences": STRING_LIST, "aliases": STRING_LIST,
        "status": {"type": "string", "enum": list(STATUSES)}, "createdAt": TIMESTAMP, "updatedAt": TIMESTAMP,
        "version": {"type": "integer"}, "primaryContact": nullable(CONTACT),
        "addresses": {"type": "array", "items": ADDRESS}, "contacts": {"type": "array", "items": CONTACT},
        "uri": STRING,
    },
}
CUSTOMER_LIST = {
    "type": "object", "required": ["data", "nextCursor"],
    "properties": {"data": {"type": "array", "items": CUSTOMER}, "nextCursor": nullable(STRING)},
}
EVENT = {
    "type": "object",
    "required": ["id", "entity", "entityId", "action", "actor", "reason", "changes", "createdAt"],
    "properties": {
        "id": ID, "entity": STRING, "entityId": STRING, "action": STRING, "customerId": nullable(ID),
        "actor": {"type": "object", "required": ["type", "name"],
                  "properties": {"type": {"type": "string", "enum": ["user", "token", "cli"]},
                                 "id": nullable(ID), "name": STRING}},
        "reason": nullable(STRING),
        "changes": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["old", "new"], "properties": {"old": {}, "new": {}}}},
        "createdAt": TIMESTAMP,
    },
}
EVENT_LIST = {
    "type": "object", "required": ["data", "nextCursor"],
    "properties": {"data": {"type": "array", "items": EVENT}, "nextCursor": nullable(STRING)},
}
PROBLEM = {
    "type": "object", "required": ["type", "title", "status"],
    "properties": {
        "type": STRING, "title": STRING, "status": {"type": "integer"}, "detail": STRING,
        "errors": {"type": "array", "items": {"type": "object", "required": ["field", "message"],
                                              "properties": {"field": STRING, "message": STRING}}},
    },
}

# One address rule (portal.domain.validation.address_complete): a new address has its first line; a change may
# empty it only on Invoice address 1, which depends on the address changed, so PATCH leaves it to the rule.
_ADDRESS_INPUT = {"type": nullable({"type": "string", "enum": list(ADDRESS_TYPES)}), "name": nullable(text(200)),
                  **ADDRESS_FIELDS, "country": required_field(COUNTRY, "Country"),
                  "isMain": read_only(), "id": read_only(), "uri": read_only()}
ADDRESS_CREATE = {"type": "object", "additionalProperties": False, "required": ["line1", "country"],
                  "properties": {**_ADDRESS_INPUT, "line1": required_text(200, ADDRESS_LINE1_LABEL)}}
ADDRESS_PATCH = {"type": "object", "additionalProperties": False, "properties": _ADDRESS_INPUT}
_CONTACT_INPUT = {**CONTACT_FIELDS, "email": required_field(CONTACT_FIELDS["email"], "Email"), "id": read_only(),
                  "uri": read_only()}
CONTACT_CREATE = {"type": "object", "additionalProperties": False, "required": ["email"],
                  "properties": _CONTACT_INPUT}
CONTACT_PATCH = {"type": "object", "additionalProperties": False, "properties": _CONTACT_INPUT}
ADDRESS_LIST = {"type": "object", "required": ["data"], "properties": {"data": {"type": "array", "items": ADDRESS}}}
CONTACT_LIST = {"type": "object", "required": ["data"], "properties": {"data": {"type": "array", "items": CONTACT}}}

GROUP_READ_ONLY = ("id", "customerCount", "uri")
_GROUP_INPUT = {"name": required_text(200, "Name"),
                "description": nullable({"type": "string", "maxLength": 2000, "pattern": MULTI_LINE,
                                         "description": "Several lines allowed; null is empty"}),
                **{name: read_only() for name in GROUP_READ_ONLY}}
GROUP_CREATE = {"type": "object", "additionalProperties": False, "required": ["name"], "properties": _GROUP_INPUT}
GROUP_PATCH = {"type": "object", "additionalProperties": False, "properties": _GROUP_INPUT}
GROUP = {
    "type": "object", "required": ["id", "name", "description", "customerCount", "uri"],
    "properties": {"id": ID, "name": STRING, "description": STRING,
                   "customerCount": {"type": "integer", "minimum": 0, "description": "Customers in the group, any "
                                                                                    "status"},
                   "uri": STRING},
}
GROUP_LIST = {"type": "object", "required": ["data"], "properties": {"data": {"type": "array", "items": GROUP}}}
