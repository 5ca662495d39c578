"""JSON Schemas of the API's bodies: requests are validated with them and the OpenAPI document shows them."""
from portal.models.customer import (
    ADDRESS_TYPES,
    CUSTOMER_TYPES,
    EMAIL_PREFERENCES,
    STATUSES,
)


def nullable(schema):
    """The schema, or null."""
    types = schema["type"] if isinstance(schema.get("type"), list) else [schema["type"]]
    return {**schema, "type": [*types, "null"]}


STRING = {"type": "string"}
ID = {"type": "string", "pattern": "^[0-9]+$", "description": "Numeric id, as a string."}
TIMESTAMP = {"type": "string", "format": "date-time"}
STRING_LIST = {"type": "array", "items": {"type": "string"}}
ID_INPUT = {"type": ["string", "integer", "null"]}
DECIMAL_INPUT = {"type": ["number", "string", "null"]}

ADDRESS_FIELDS = {
    "line1": nullable(STRING), "line2": nullable(STRING), "city": nullable(STRING), "state": nullable(STRING),
    "postalCode": nullable(STRING), "country": nullable(STRING),
}
CONTACT_FIELDS = {
    "firstName": nullable(STRING), "lastName": nullable(STRING), "email": nullable(STRING),
    "phone": nullable(STRING),
    "emailPreferences": nullable({"type": "array", "items": {"type": "string", "enum": list(EMAIL_PREFERENCES)}}),
    "isPrimary": nullable({"type": "boolean"}),
}
CUSTOMER_WRITABLE = {
    "name": STRING,
    "customerType": {"type": "string", "enum": list(CUSTOMER_TYPES)},
    "language": STRING,
    "country": STRING,
    "currency": STRING,
    "legalEntityId": ID_INPUT,
    "vatId": nullable(STRING),
    "taxCountry": nullable(STRING),
    "taxId": nullable(STRING),
    "taxRate": DECIMAL_INPUT,
    "aliases": nullable(STRING_LIST),
    "contractorReferences": nullable(STRING_LIST),
}

CUSTOMER_CREATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "customerType", "language", "country", "currency", "primaryContact"],
    "properties": {
        **CUSTOMER_WRITABLE,
        "debtorIdent": nullable(STRING),
        "primaryContact": {
            "type": "object", "additionalProperties": False, "required": ["email"],
            "properties": {k: CONTACT_FIELDS[k] for k in ("firstName", "lastName", "email")},
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
        **{name: {} for name in CUSTOMER_READ_ONLY},
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
                 "legalEntityId", "vatId", "taxCountry", "taxId", "taxRate", "contractorReferences", "aliases",
                 "status", "createdAt", "updatedAt", "version", "primaryContact", "addresses", "contacts", "uri"],
    "properties": {
        "id": ID, "debtorIdent": STRING, "accountNumber": STRING, "name": STRING,
        "customerType": {"type": "string", "enum": list(CUSTOMER_TYPES)}, "language": STRING, "country": STRING,
        "currency": STRING, "legalEntityId": nullable(ID), "vatId": nullable(STRING),
        "taxCountry": nullable(STRING), "taxId": nullable(STRING),
        "taxRate": {"type": "number", "minimum": 0, "maximum": 100},
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

_ADDRESS_INPUT = {"type": nullable({"type": "string", "enum": list(ADDRESS_TYPES)}), "name": nullable(STRING),
                  **ADDRESS_FIELDS, "isMain": {}, "id": {}, "uri": {}}
ADDRESS_CREATE = {"type": "object", "additionalProperties": False, "required": ["line1", "country"],
                  "properties": _ADDRESS_INPUT}
ADDRESS_PATCH = {"type": "object", "additionalProperties": False, "properties": _ADDRESS_INPUT}
_CONTACT_INPUT = {**CONTACT_FIELDS, "id": {}, "uri": {}}
CONTACT_CREATE = {"type": "object", "additionalProperties": False, "required": ["email"],
                  "properties": _CONTACT_INPUT}
CONTACT_PATCH = {"type": "object", "additionalProperties": False, "properties": _CONTACT_INPUT}
ADDRESS_LIST = {"type": "object", "required": ["data"], "properties": {"data": {"type": "array", "items": ADDRESS}}}
CONTACT_LIST = {"type": "object", "required": ["data"], "properties": {"data": {"type": "array", "items": CONTACT}}}
