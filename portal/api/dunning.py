"""Overdue rules (bodies as in the vendor's reference) and the dunning timeline."""
import sqlalchemy as sa
from flask import g, request, url_for

from portal.api import ApiError, bp
from portal.api.common import (
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
from portal.api.schemas import read_only, required_field
from portal.domain.validation import MAX_ID, whole_number
from portal.extensions import db
from portal.models import OverdueRule
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
    "required": ["id", "level", "daysOverdue", "dueInDays", "type", "emailTemplate", "documentTemplate",
                 "amountInCents", "attachOriginalInvoice", "sendLetter", "isEnabled", "createdAt", "updatedAt"],
    "properties": {
        "id": {"type": "string"}, "level": {"type": "integer", "minimum": 1, "maximum": 5},
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
TIMELINE = {
    "type": "object",
    "required": ["invoiceDate", "amountInCents", "currency", "dueDate", "steps", "totalFeesInCents", "notes"],
    "properties": {
        "invoiceDate": {"type": "string", "format": "date"}, "amountInCents": {"type": "integer"},
        "currency": {"type": "string"}, "dueDate": {"type": "string", "format": "date"},
        "steps": {"type": "array", "items": {"type": "object", "required": ["level", "type", "sendDate", "dueDate",
                                                                             "feeInCents"]}},
        "totalFeesInCents": {"type": "integer"}, "notes": {"type": "array", "items": {"type": "string"}},
    },
}


def rule_json(rule):
    """An overdue rule as the vendor's reference shows it."""
    document = rule.document_template
    return {
        "id": str(rule.id), "level": rule.level, "daysOverdue": rule.days_overdue, "dueInDays": rule.due_in_days,
        "type": rule.type, "emailTemplate": {"id": str(rule.email_template.id), "name": rule.email_template.name},
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


@bp.get("/dunning/overdue-rules")
def overdue_rules():
    return respond({"data": [rule_json(r) for r in dunning.ladder(g.api_token.organization_id)]})


@bp.post("/dunning/overdue-rules")
@write
def create_overdue_rule():
    rule = dunning.create_rule(g.api_token.organization_id, _input())
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
    rule = load_rule(rule_id)
    check_if_match(etag_of(rule_json(rule)))
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


@bp.get("/customers/<customer_id>/dunning-timeline")
def dunning_timeline(customer_id):
    """What happens to this customer's invoice if it is not paid."""
    customer = load_customer(customer_id)
    errors = []
    try:
        invoice_date = dunning_domain.parse_invoice_date(request.args.get("invoiceDate"))
    except ValueError as error:
        errors.append({"field": "invoiceDate", "message": str(error)})
    amount = whole_number(request.args.get("amountInCents", ""), 10**13)
    if amount is None:
        errors.append({"field": "amountInCents", "message": "A whole number of minor units, 0 or more."})
    if errors:
        raise ApiError(422, "Unprocessable Content", "Invalid query parameters.", errors)
    return respond(dunning_domain.timeline(store.resolve_customer(customer), dunning.ladder(customer.organization_id),
                                    invoice_date, amount, customer.currency))
