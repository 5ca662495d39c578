"""Billing settings endpoints: the customer, group and organization layers, with effective values and sources."""
from decimal import Decimal

from flask import g, url_for

from portal.api import ApiError, bp
from portal.api.common import (
    MERGE_PATCH_TYPES,
    check_if_match,
    etag_of,
    json_body,
    respond,
)
from portal.api.customers import load_customer, write
from portal.api.groups import load_group
from portal.api.representations import decimal_text
from portal.api.schemas import ID, ID_INPUT, decimal_input, decimal_output, nullable, read_only, text
from portal.domain import settings as rules
from portal.domain.settings_fields import INHERITABLE_FIELDS, SETTING_FIELDS
from portal.extensions import db
from portal.services import settings_store as store

READ_ONLY = ("id", "uri", "effective", "sources", "hasPaymentMethod", "overrideCounts", "groupOverrideCounts")
_TERM = ("^(Net([0-9]|[1-9][0-9]|[12][0-9]{2}|3[0-5][0-9]|36[0-5])|DayOfMonth([1-9]|[12][0-9]|3[01])|MFI1)$")
_KIND_SCHEMAS = {
    "bool": {"type": ["boolean", "null"]},
    "int": {"type": ["integer", "null"], "minimum": 0, "maximum": 36500, "description": "days"},
    "term": {"type": ["string", "null"], "pattern": _TERM, "description": "NetN (0–365), DayOfMonthD (1–31) or MFI1",
             "x-message": "Use NetN (N 0–365), DayOfMonthD (D 1–31) or MFI1."},
}
DECIMAL_INPUT = decimal_input(10**12, exclusive=True)
_INTERVAL = {"type": "string", "enum": ["Monthly", "Yearly"]}
_DAY_MONTH = [  # day only (and then required) for SpecifiedDate; month only for SpecifiedDate + Yearly
    {"if": {"properties": {"type": {"const": "SpecifiedDate"}}},
     "then": {"required": ["day"], "properties": {"day": {"type": "integer"}}},
     "else": {"properties": {"day": {"type": "null", "x-message": "Day and month only go with SpecifiedDate."},
                             "month": {"type": "null", "x-message": "Day and month only go with SpecifiedDate."}}}},
    {"if": {"properties": {"type": {"const": "SpecifiedDate"}, "interval": {"const": "Yearly"}}},
     "then": {"required": ["month"], "properties": {"month": {"type": "integer"}}},
     "else": {"properties": {"month": {"type": "null", "x-message": "Month only goes with SpecifiedDate + Yearly."}}}},
]
_DAY = {"type": ["integer", "null"], "minimum": 1, "maximum": 31}
_MONTH = {"type": ["integer", "null"], "minimum": 1, "maximum": 12}
JSON_SCHEMAS = {
    "trackedItemDisplay": {"type": ["object", "null"], "additionalProperties": False, "properties": {
        "trackedItemDisplayFormat": {"type": "string", "enum": ["Inline", "SeparatePage"]},
        **{flag: {"type": "boolean"} for flag in rules.TRACKED_ITEM_FLAGS}}},
    "billingPeriodConfigurations": {"type": ["array", "null"], "maxItems": 2, "items": {
        "type": "object", "additionalProperties": False, "required": ["type", "rule", "interval"],
        "properties": {"type": {"type": "string", "enum": ["SpecifiedDate", "CustomerActivation",
                                                           "FirstSubscriptionActivation"]},
                       "rule": {"type": "string", "enum": ["SingleInvoice", "MultipleInvoices", "OneInvoicePerDay",
                                                           "Prompt"]},
                       "interval": _INTERVAL, "day": _DAY, "month": _MONTH},
        "allOf": _DAY_MONTH}, "description": "At most one configuration per interval"},
    "customerBillingStatementSetting": {
        "type": ["object", "null"], "additionalProperties": False,
        "required": ["option", "type", "interval", "statementActivityType"],
        "properties": {"option": {"type": "string", "enum": ["Detailed", "BySubscription", "Summarized"]},
                       "type": {"type": "string", "enum": ["CustomerAnniversary", "SpecifiedDate"]},
                       "interval": _INTERVAL, "day": _DAY, "month": _MONTH,
                       "statementActivityType": {"type": "string", "enum": [
                           "OnlyParentActivity", "OnlyChildActivity", "ParentAndChildActivity"]}},
        "allOf": _DAY_MONTH},
}


def _field_schema(setting, output=False):
    """The JSON Schema of one setting, as sent (input) or as shown (output: decimals as strings)."""
    if setting.kind == "enum":
        return {"type": ["string", "null"], "enum": [*setting.choices, None]}
    if setting.kind == "decimal":
        return nullable(decimal_output()) if output else {"oneOf": [*DECIMAL_INPUT["oneOf"], {"type": "null"}],
                                                          "x-decimal-scale": 2}
    if setting.kind == "string":
        return nullable(text(setting.max_length or 255))
    if setting.name in JSON_SCHEMAS:
        return JSON_SCHEMAS[setting.name]
    if setting.kind == "ladder":
        return nullable(ID) if output else {**ID_INPUT, "description": "One of the organization's dunning ladders"}
    return _KIND_SCHEMAS[setting.kind]


def _input_schema(fields):
    return {"type": "object", "additionalProperties": False,
            "properties": {**{f.name: _field_schema(f) for f in fields}, **{name: read_only() for name in READ_ONLY}}}


CUSTOMER_SETTINGS_INPUT = _input_schema(SETTING_FIELDS)
CUSTOMER_SETTINGS_PUT = {**CUSTOMER_SETTINGS_INPUT, "required": [f.name for f in SETTING_FIELDS]}
ORGANIZATION_SETTINGS_INPUT = _input_schema(INHERITABLE_FIELDS)
ORGANIZATION_SETTINGS_PUT = {**ORGANIZATION_SETTINGS_INPUT, "required": [f.name for f in INHERITABLE_FIELDS]}
GROUP_SETTINGS_INPUT = ORGANIZATION_SETTINGS_INPUT  # a group's layer holds what the organization's does
GROUP_SETTINGS_PUT = ORGANIZATION_SETTINGS_PUT


def _sources(*layers):
    return {"type": "object", "additionalProperties": {"type": "string", "enum": list(layers)},
            "description": "Field → the layer its effective value comes from"}


_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
CUSTOMER_SETTINGS = {
    "type": "object",
    "required": [*(f.name for f in SETTING_FIELDS), "hasPaymentMethod", "effective", "sources", "id", "uri"],
    "properties": {**{f.name: _field_schema(f, output=True) for f in SETTING_FIELDS}, "hasPaymentMethod": {"type": "boolean"},
                   "effective": {"type": "object"},
                   "sources": _sources(rules.CUSTOMER, rules.GROUP, rules.ORGANIZATION, rules.DEFAULT),
                   "id": {"type": "string"}, "uri": {"type": "string"}},
}
_LAYER_PROPERTIES = {**{f.name: _field_schema(f, output=True) for f in INHERITABLE_FIELDS},
                     "effective": {"type": "object"},
                     "overrideCounts": {**_COUNTS, "description": "Field → how many customers set it themselves"},
                     "uri": {"type": "string"}}
ORGANIZATION_SETTINGS = {
    "type": "object",
    "required": [*(f.name for f in INHERITABLE_FIELDS), "effective", "sources", "overrideCounts",
                 "groupOverrideCounts", "uri"],
    "properties": {**_LAYER_PROPERTIES, "sources": _sources(rules.ORGANIZATION, rules.DEFAULT),
                   "groupOverrideCounts": {**_COUNTS, "description": "Field → how many customer groups set it"}},
}
GROUP_SETTINGS = {
    "type": "object",
    "required": [*(f.name for f in INHERITABLE_FIELDS), "effective", "sources", "overrideCounts", "id", "uri"],
    "properties": {**_LAYER_PROPERTIES, "sources": _sources(rules.GROUP, rules.ORGANIZATION, rules.DEFAULT),
                   "overrideCounts": {**_COUNTS, "description": "Field → how many of the group's customers set it "
                                                                "themselves"},
                   "id": {**ID, "description": "The group's id"}},
}


def jsonable(value):
    """Decimals as strings of their scale ("12.50"), the rest as is."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    return value


def customer_settings_json(customer):
    resolved = store.resolve_customer(customer)
    own = store.customer_layer(customer)
    body = {f.name: jsonable(own.get(f.name)) for f in SETTING_FIELDS}
    body.update({
        "hasPaymentMethod": bool(customer.payment_methods),
        "effective": {name: jsonable(value) for name, value in rules.effective_values(resolved).items()},
        "sources": rules.sources(resolved),
        "id": str(customer.id),
        "uri": url_for("api.customer_settings", customer_id=str(customer.id)),
    })
    return body


def _layer_json(own, resolved, override_counts):
    """An organization's or a group's layer: its own values (null inherits), effective values, their sources, and
    how many customers below it set each field themselves."""
    inheritable = [f.name for f in INHERITABLE_FIELDS]
    body = {name: jsonable(own.get(name)) for name in inheritable}
    body.update({
        "effective": {name: jsonable(resolved[name].value) for name in inheritable},
        "sources": {name: resolved[name].source for name in inheritable},
        "overrideCounts": override_counts,
    })
    return body


def organization_settings_json(organization_id):
    own = store.organization_layer(organization_id)
    body = _layer_json(own, rules.resolve(store.layers_of(own)), store.override_counts(organization_id))
    body.update({"groupOverrideCounts": store.group_override_counts(organization_id),
                 "uri": url_for("api.organization_settings")})
    return body


def group_settings_json(group):
    """The group's layer; its ETag changes with the organization's layer too (the effective values show it)."""
    body = _layer_json(store.group_layer(group), store.resolve_group(group),
                       store.override_counts(group.organization_id, group.id))
    body.update({"id": str(group.id), "uri": url_for("api.group_settings", group_id=str(group.id))})
    return body


def _without_read_only(body):
    return {k: v for k, v in body.items() if k not in READ_ONLY}


@bp.get("/customers/<customer_id>/settings")
def customer_settings(customer_id):
    """Every field: the customer's own value (null inherits), plus effective values and their sources."""
    return respond(customer_settings_json(load_customer(customer_id)))


@bp.put("/customers/<customer_id>/settings")
@write
def put_customer_settings(customer_id):
    """Replace the customer layer: every writable field present (null inherits); read-only fields are ignored."""
    body = _without_read_only(json_body(CUSTOMER_SETTINGS_INPUT))
    customer = load_customer(customer_id)
    check_if_match(etag_of(customer_settings_json(customer)))
    store.replace_customer_settings(customer, body)
    db.session.flush()
    return respond(customer_settings_json(customer))


@bp.patch("/customers/<customer_id>/settings")
@write
def patch_customer_settings(customer_id):
    """JSON merge patch of the customer layer: null resets a field to inherited."""
    body = _without_read_only(json_body(CUSTOMER_SETTINGS_INPUT, MERGE_PATCH_TYPES))
    customer = load_customer(customer_id)
    check_if_match(etag_of(customer_settings_json(customer)))
    store.update_customer_settings(customer, body)
    db.session.flush()
    return respond(customer_settings_json(customer))


@bp.get("/organization/settings")
def organization_settings():
    """The organization layer: its values (null uses the default), effective values, sources, override counts."""
    return respond(organization_settings_json(g.api_token.organization_id))


def _change_organization(body):
    organization_id = g.api_token.organization_id
    check_if_match(etag_of(organization_settings_json(organization_id)))
    store.update_organization_settings(organization_id, body)
    db.session.flush()
    return respond(organization_settings_json(organization_id))


@bp.put("/organization/settings")
@write
def put_organization_settings():
    body = _without_read_only(json_body(ORGANIZATION_SETTINGS_INPUT))
    missing = [f.name for f in INHERITABLE_FIELDS if f.name not in body]
    if missing:
        raise ApiError(422, "Unprocessable Content", "PUT replaces every field (null uses the default).",
                       [{"field": name, "message": "Missing."} for name in missing])
    return _change_organization(body)


@bp.patch("/organization/settings")
@write
def patch_organization_settings():
    return _change_organization(_without_read_only(json_body(ORGANIZATION_SETTINGS_INPUT, MERGE_PATCH_TYPES)))


@bp.get("/groups/<group_id>/settings")
def group_settings(group_id):
    """The group's layer: its values (null inherits from the organization), effective values, sources, and how many
    of its customers override each field."""
    return respond(group_settings_json(load_group(group_id)))


@bp.put("/groups/<group_id>/settings")
@write
def put_group_settings(group_id):
    """Replace the group layer: every inheritable field present (null inherits)."""
    body = _without_read_only(json_body(GROUP_SETTINGS_INPUT))
    group = load_group(group_id)
    check_if_match(etag_of(group_settings_json(group)))
    store.replace_group_settings(group, body)
    db.session.flush()
    return respond(group_settings_json(group))


@bp.patch("/groups/<group_id>/settings")
@write
def patch_group_settings(group_id):
    """JSON merge patch of the group layer: null resets a field to inherited."""
    body = _without_read_only(json_body(GROUP_SETTINGS_INPUT, MERGE_PATCH_TYPES))
    group = load_group(group_id)
    check_if_match(etag_of(group_settings_json(group)))
    store.update_group_settings(group, body)
    db.session.flush()
    return respond(group_settings_json(group))
