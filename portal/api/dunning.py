"""Dunning ladders, their overdue rules (bodies as in the vendor's reference) and the dunning timeline."""
import sqlalchemy as sa
from flask import g, request, url_for
from sqlalchemy.orm import selectinload

from portal.api import WRITE_METHODS, ApiError, bp
from portal.api.common import (
    JSON_TYPES,
    MERGE_PATCH_TYPES,
    check_if_match,
    etag_of,
    json_body,
    no_content,
    object_id,
    respond,
)
from portal.api.customers import load_customer, write
from portal.api.representations import timestamp
from portal.domain import dunning as dunning_domain
from portal.api.boundary import ID_DIGITS
from portal.api.schemas import ID, ID_INPUT, read_only, required_field, required_text
from portal.domain.validation import MAX_ID, ValidationFailed, whole_number
from portal.extensions import db
from portal.models import DunningLadder, OverdueRule
from portal.services import dunning
from portal.services import settings_store as store

_TEMPLATE_ID = {"oneOf": [{"type": "string", "pattern": ID_DIGITS}, {"type": "integer", "minimum": 0,
                                                                          "maximum": MAX_ID}]}
TEMPLATE_REF = {"type": ["object", "null"], "required": ["id"], "additionalProperties": False,
                "properties": {"id": _TEMPLATE_ID, "name": read_only({"type": "string"})}}


def _days(label):
    """A count of days, with the messages the rule editor shows."""
    return {"type": "integer", "minimum": 1, "maximum": dunning.MAX_DAYS,
            "x-messages": {"required": dunning.days_message(label), "type": dunning.days_message(label),
                           "minimum": dunning.days_message(label),
                           "maximum": dunning.days_message(label, too_many=True)}}


_FEE_MESSAGES = {"type": dunning_domain.FEE_RULE, "minimum": dunning_domain.FEE_RULE,
                 "maximum": dunning_domain.FEE_TOO_LARGE}
OVERDUE_RULE_INPUT = {
    "type": "object", "additionalProperties": False,
    "required": ["daysOverdue", "emailTemplate"],
    "properties": {
        "daysOverdue": _days("Days overdue"), "dueInDays": _days("Due in days"),
        "type": {"type": "string", "enum": list(dunning_domain.RULE_TYPES)},
        "emailTemplate": required_field({**TEMPLATE_REF, "type": "object"}, "Email template"),
        "documentTemplate": TEMPLATE_REF,
        "amountInCents": {"type": ["integer", "null"], "minimum": 1, "maximum": dunning_domain.MAX_FEE,
                          "description": "The fee, in the minor unit of the invoice's currency: "
                                         f"{dunning_domain.fee_example()}; required for a dunning",
                          "x-messages": _FEE_MESSAGES},
        "attachOriginalInvoice": {"type": "boolean"}, "sendLetter": {"type": "boolean"},
        "isEnabled": {"type": "boolean"},
        "level": {"type": "integer", "minimum": 1, "maximum": dunning_domain.MAX_RULES},
        "ladderId": {**ID_INPUT, "description": "The ladder a new rule joins (null or left out: the default ladder); "
                                                "a rule stays on its ladder"},
        "id": read_only(), "createdAt": read_only(), "updatedAt": read_only(), "uri": read_only(),
    },
    # A dunning notice carries a letter and a fee (section 7).
    "if": {"required": ["type"], "properties": {"type": {"const": "dunning"}}},
    "then": {"required": ["documentTemplate", "amountInCents"],
             "properties": {"documentTemplate": required_field({"type": "object"}, "Document template"),
                            "amountInCents": {"type": "integer", "x-messages": {
                                **_FEE_MESSAGES, "required": dunning_domain.FEE_REQUIRED}}}},
}
_REF_OUT = {"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "string"},
                                                                       "name": {"type": "string"}}}
OVERDUE_RULE = {
    "type": "object",
    "required": ["id", "ladderId", "level", "daysOverdue", "dueInDays", "type", "emailTemplate", "documentTemplate",
                 "amountInCents", "attachOriginalInvoice", "sendLetter", "isEnabled", "createdAt", "updatedAt"],
    "properties": {
        "id": {"type": "string"}, "ladderId": ID, "level": {"type": "integer", "minimum": 1, "maximum": 5},
        "daysOverdue": {"type": "integer", "minimum": 1}, "dueInDays": {"type": "integer", "minimum": 1},
        "type": {"type": "string", "enum": list(dunning_domain.RULE_TYPES)}, "emailTemplate": _REF_OUT,
        "documentTemplate": {"anyOf": [_REF_OUT, {"type": "null"}]},
        "amountInCents": {"type": ["integer", "null"]}, "attachOriginalInvoice": {"type": "boolean"},
        "sendLetter": {"type": "boolean"}, "isEnabled": {"type": "boolean"},
        "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"},
        "uri": {"type": "string"},
    },
}
OVERDUE_RULE_LIST = {"type": "object", "required": ["data"],
                     "properties": {"data": {"type": "array", "items": OVERDUE_RULE}}}
LADDER_READ_ONLY = ("id", "rules", "uri")
_LADDER_INPUT = {"name": required_text(200, "Name"),
                 "isDefault": {"type": "boolean", "description": "true makes it the organization's default ladder; "
                                                                 "one ladder always is"},
                 **{name: read_only() for name in LADDER_READ_ONLY}}
LADDER_CREATE = {"type": "object", "additionalProperties": False, "required": ["name"], "properties": _LADDER_INPUT}
LADDER_PATCH = {"type": "object", "additionalProperties": False, "properties": _LADDER_INPUT}
LADDER = {
    "type": "object", "required": ["id", "name", "isDefault", "rules", "uri"],
    "properties": {"id": ID, "name": {"type": "string"}, "isDefault": {"type": "boolean"},
                   "rules": {"type": "array", "maxItems": dunning_domain.MAX_RULES, "items": OVERDUE_RULE},
                   "uri": {"type": "string"}},
}
LADDER_LIST = {"type": "object", "required": ["data"], "properties": {"data": {"type": "array", "items": LADDER}}}
TIMELINE = {
    "type": "object",
    "required": ["invoiceDate", "amountInCents", "currency", "dueDate", "ladder", "steps", "totalFeesInCents",
                 "notes"],
    "properties": {
        "invoiceDate": {"type": "string", "format": "date"}, "amountInCents": {"type": "integer"},
        "currency": {"type": "string"}, "dueDate": {"type": "string", "format": "date"},
        "ladder": {"anyOf": [_REF_OUT, {"type": "null"}],
                   "description": "The customer's effective dunning ladder (null: the organization has none)"},
        "steps": {"type": "array", "items": {"type": "object", "required": ["level", "type", "sendDate", "dueDate",
                                                                             "feeInCents"]}},
        "totalFeesInCents": {"type": "integer"}, "notes": {"type": "array", "items": {"type": "string"}},
    },
}


# The timeline's query: a date the rules can count from (parse_invoice_date), an amount of minor units.
INVOICE_DATE = {"type": "string", "format": "date", "pattern": "^(19[0-9]{2}|2[0-9]{3})-",
                "description": "YYYY-MM-DD, from 1900 to 2999"}
MAX_TIMELINE_AMOUNT = 10**13
TIMELINE_AMOUNT = {"type": "integer", "minimum": 0, "maximum": MAX_TIMELINE_AMOUNT,
                   "description": "The invoice amount in the minor unit of the customer's currency"}


def rule_json(rule):
    """An overdue rule as the vendor's reference shows it."""
    document = rule.document_template
    return {
        "id": str(rule.id), "ladderId": str(rule.ladder_id), "level": rule.level, "daysOverdue": rule.days_overdue,
        "dueInDays": rule.due_in_days, "type": rule.type,
        "emailTemplate": {"id": str(rule.email_template.id), "name": rule.email_template.name},
        "documentTemplate": {"id": str(document.id), "name": document.name} if document else None,
        "amountInCents": rule.amount_in_cents, "attachOriginalInvoice": rule.attach_original_invoice,
        "sendLetter": rule.send_letter, "isEnabled": rule.is_enabled, "createdAt": timestamp(rule.created_at),
        "updatedAt": timestamp(rule.updated_at), "uri": url_for("api.overdue_rule", rule_id=str(rule.id)),
    }


def load_rule(raw_id):
    rule = db.session.scalar(sa.select(OverdueRule).where(OverdueRule.id == object_id(raw_id),
                                                          OverdueRule.organization_id == g.api_token.organization_id))
    if rule is None:
        raise ApiError(404, "Not Found", "No such overdue rule.")
    return rule


def _input():
    body = json_body(OVERDUE_RULE_INPUT)
    return {k: v for k, v in body.items() if k not in ("id", "createdAt", "updatedAt", "uri")}


NO_SUCH_LADDER = "No such dunning ladder."
# A rule moves up and down its ladder (level), not to another one.
STAYS_ON_ITS_LADDER = "A rule stays on its ladder; add a rule to the other ladder instead."


def _ladder_or_404(raw_id):
    found = dunning.get_ladder(g.api_token.organization_id, whole_number(raw_id))
    if found is None:
        raise ApiError(404, "Not Found", NO_SUCH_LADDER)
    return found


def _queried_ladder(create=False):
    """The ladder `?ladderId=` names (404 when it is not one of the organization's), else the default one."""
    if "ladderId" in request.args:
        return _ladder_or_404(request.args["ladderId"])
    return dunning.default_ladder(g.api_token.organization_id, create=create)


def _body_ladder(value):
    """The ladder a body's ladderId names; not one of the organization's is a field error."""
    found = dunning.get_ladder(g.api_token.organization_id, whole_number(value))
    if found is None:
        raise ValidationFailed({"ladderId": store.LADDER_MESSAGE})
    return found


@bp.get("/dunning/overdue-rules")
def overdue_rules():
    """The default ladder's rules by level, or those of the ladder `?ladderId=` names."""
    ladder = _queried_ladder()
    return respond({"data": [rule_json(r) for r in dunning.ladder(ladder.id)] if ladder else []})


@bp.post("/dunning/overdue-rules")
@write
def create_overdue_rule():
    """Add a rule at the bottom of a ladder: the body's ladderId, else `?ladderId=`, else the default ladder (an
    organization without ladders gets its "Standard" ladder first)."""
    body = _input()
    ladder_id = body.pop("ladderId", None)
    ladder = _body_ladder(ladder_id) if ladder_id is not None else _queried_ladder(create=True)
    rule = dunning.create_rule(ladder, body)
    db.session.flush()
    db.session.refresh(rule)
    return respond(rule_json(rule), 201, {"Location": url_for("api.overdue_rule", rule_id=str(rule.id))})


@bp.get("/dunning/overdue-rules/<rule_id>")
def overdue_rule(rule_id):
    return respond(rule_json(load_rule(rule_id)))


@bp.put("/dunning/overdue-rules/<rule_id>")
@write
def put_overdue_rule(rule_id):
    body = _input()
    ladder_id = body.pop("ladderId", None)
    rule = load_rule(rule_id)
    check_if_match(etag_of(rule_json(rule)))
    if ladder_id is not None and _body_ladder(ladder_id).id != rule.ladder_id:
        raise ValidationFailed({"ladderId": STAYS_ON_ITS_LADDER})
    dunning.update_rule(rule, body)
    db.session.flush()
    db.session.refresh(rule)
    return respond(rule_json(rule))


@bp.delete("/dunning/overdue-rules/<rule_id>")
@write
def delete_overdue_rule(rule_id):
    rule = load_rule(rule_id)
    check_if_match(etag_of(rule_json(rule)))
    dunning.delete_rule(rule)
    return no_content()


# --- ladders ---------------------------------------------------------------------------------------------------

def ladder_json(ladder, default_id):
    """A ladder with its rules by level; `default_id` is the organization's default ladder's id."""
    return {"id": str(ladder.id), "name": ladder.name, "isDefault": ladder.id == default_id,
            "rules": [rule_json(r) for r in ladder.rules], "uri": url_for("api.ladder", ladder_id=str(ladder.id))}


def _ladder_json(ladder):
    return ladder_json(ladder, dunning.default_ladder_id(ladder.organization_id))


def load_ladder(raw_id):
    """The token's organization's ladder, or 404; locked for a write (If-Match and the change are one step)."""
    query = sa.select(DunningLadder).where(DunningLadder.id == object_id(raw_id),
                                           DunningLadder.organization_id == g.api_token.organization_id)
    ladder = db.session.scalar(query.with_for_update() if request.method in WRITE_METHODS else query)
    if ladder is None:
        raise ApiError(404, "Not Found", NO_SUCH_LADDER)
    return ladder


def _ladder_input(schema, content_types=JSON_TYPES):
    return {k: v for k, v in json_body(schema, content_types).items() if k not in LADDER_READ_ONLY}


def _refuse_no_default():
    raise ValidationFailed({"isDefault": store.DEFAULT_LADDER_MESSAGE})


@bp.get("/dunning/ladders")
def ladders():
    """The organization's ladders by name, each with its rules."""
    organization_id = g.api_token.organization_id
    default_id = dunning.default_ladder_id(organization_id)
    found = db.session.scalars(sa.select(DunningLadder).where(DunningLadder.organization_id == organization_id)
                               .options(selectinload(DunningLadder.rules))
                               .order_by(DunningLadder.name, DunningLadder.id)).all()
    return respond({"data": [ladder_json(ladder, default_id) for ladder in found]})


@bp.post("/dunning/ladders")
@write
def create_ladder():
    """A new, empty ladder; `isDefault: true` makes it the default (the organization's first ladder is anyway)."""
    body = _ladder_input(LADDER_CREATE)
    organization_id = g.api_token.organization_id
    if body.get("isDefault") is False and dunning.default_ladder_id(organization_id) is None:
        _refuse_no_default()
    ladder = dunning.create_ladder(organization_id, body)
    db.session.flush()
    return respond(_ladder_json(ladder), 201, {"Location": url_for("api.ladder", ladder_id=str(ladder.id))})


@bp.get("/dunning/ladders/<ladder_id>")
def ladder(ladder_id):
    return respond(_ladder_json(load_ladder(ladder_id)))


@bp.patch("/dunning/ladders/<ladder_id>")
@write
def patch_ladder(ladder_id):
    """Rename a ladder, or make it the default (`isDefault: true`); the default cannot stop being it but by another
    ladder becoming the default."""
    body = _ladder_input(LADDER_PATCH, MERGE_PATCH_TYPES)
    ladder = load_ladder(ladder_id)
    current = _ladder_json(ladder)
    check_if_match(etag_of(current))
    if body.get("isDefault") is False and current["isDefault"]:
        _refuse_no_default()
    if "name" in body:
        dunning.rename_ladder(ladder, body)
    if body.get("isDefault") is True and not current["isDefault"]:
        dunning.make_default(ladder)
    db.session.flush()
    return respond(_ladder_json(ladder))


@bp.delete("/dunning/ladders/<ladder_id>")
@write
def delete_ladder(ladder_id):
    """Delete a ladder and its rules; the default ladder, or one a customer or group uses, is a 409 that says which
    and how many."""
    ladder = load_ladder(ladder_id)
    check_if_match(etag_of(_ladder_json(ladder)))
    try:
        dunning.delete_ladder(ladder)
    except ValidationFailed as refused:
        raise ApiError(409, "Conflict", refused.errors["ladder"]) from None
    return no_content()


@bp.get("/customers/<customer_id>/dunning-timeline")
def dunning_timeline(customer_id):
    """What happens to this customer's invoice if it is not paid."""
    customer = load_customer(customer_id)
    errors = []
    try:
        invoice_date = dunning_domain.parse_invoice_date(request.args.get("invoiceDate"))
    except ValueError as error:
        errors.append({"field": "invoiceDate", "message": str(error)})
    amount = whole_number(request.args.get("amountInCents", ""), MAX_TIMELINE_AMOUNT)
    if amount is None:
        errors.append({"field": "amountInCents", "message": "A whole number of minor units, 0 or more."})
    if errors:
        raise ApiError(422, "Unprocessable Content", "Invalid query parameters.", errors)
    return respond(dunning.customer_timeline(customer, store.resolve_customer(customer), invoice_date, amount))
