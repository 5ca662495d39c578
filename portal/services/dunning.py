"""Dunning on the database: overdue rules (the ladder) and their email and document templates."""
import sqlalchemy as sa

from portal.domain import dunning as dunning_domain
from portal.domain import validation as rules
from portal.domain.dunning import (
    MAX_RULES,
    RULE_TYPES,
    fee_in_minor_units,
    unknown_placeholders,
)
from portal.domain.validation import Errors, ValidationFailed
from portal.extensions import db
from portal.models import Customer, DocumentTemplate, EmailTemplate, LegalEntity, OverdueRule
from portal.services import audit

# --- templates ---------------------------------------------------------------------------------------------------

def _template_fields(data, errors, email):
    cleaned = {"name": errors.check("name", rules.required_text, data.get("name"), 200, "Name")}
    if email:
        cleaned["subject"] = errors.check("subject", rules.required_text, data.get("subject"), 255, "Subject")
        body = data.get("body") or ""
        if len(body) > 20000:
            errors["body"] = "At most 20,000 characters."
        errors.check("body", rules.no_control_characters, body, multiline=True)
        unknown = unknown_placeholders(f"{cleaned['subject'] or ''} {body}")
        if unknown:
            errors["body"] = "Unknown placeholder: " + ", ".join("{{" + u + "}}" for u in unknown) + "."
        cleaned["body"] = body
    else:
        cleaned["description"] = errors.check("description", rules.text, data.get("description"), 2000, multiline=True) or ""
    return cleaned


def save_template(model, organization_id, data, template=None):
    """Create or change an email or document template."""
    errors = Errors()
    cleaned = _template_fields(data, errors, model is EmailTemplate)
    errors.raise_if_any()
    entity = "emailTemplate" if model is EmailTemplate else "documentTemplate"
    if template is None:
        template = model(organization_id=organization_id, **cleaned)
        db.session.add(template)
        db.session.flush()
        audit.record(organization_id, entity, template.id, "create", {k: [None, v] for k, v in cleaned.items()})
        return template
    before = {k: getattr(template, k) for k in cleaned}
    for key, value in cleaned.items():
        setattr(template, key, value)
    changed = audit.diff(before, cleaned)
    if changed:
        audit.record(organization_id, entity, template.id, "update", changed)
    return template


def rules_using(template):
    column = OverdueRule.email_template_id if isinstance(template, EmailTemplate) else OverdueRule.document_template_id
    return db.session.scalars(sa.select(OverdueRule).where(column == template.id).order_by(OverdueRule.level)).all()


def delete_template(template):
    """Remove a template no rule uses; otherwise say which rules do."""
    using = rules_using(template)
    if using:
        names = ", ".join(f"level {r.level} ({r.type})" for r in using)
        raise ValidationFailed({"template": f"“{template.name}” is used by the overdue rule{'s' if len(using) > 1 else ''} "
                                            f"{names}; change {'them' if len(using) > 1 else 'it'} first."})
    entity = "emailTemplate" if isinstance(template, EmailTemplate) else "documentTemplate"
    audit.record(template.organization_id, entity, template.id, "delete", {"name": [template.name, None]})
    db.session.delete(template)


# --- overdue rules -----------------------------------------------------------------------------------------------

def currencies_in_use(organization_id):
    """The currencies the organization's customers are billed in, the most used first: what a fee comes to is shown
    in each (one query; before the first customer, the legal entities' currencies)."""
    counted = sa.select(Customer.currency).where(Customer.organization_id == organization_id) \
        .group_by(Customer.currency).order_by(sa.func.count().desc(), Customer.currency)
    currencies = db.session.scalars(counted).all()
    if not currencies:
        currencies = db.session.scalars(sa.select(LegalEntity.currency).where(
            LegalEntity.organization_id == organization_id).group_by(LegalEntity.currency)
            .order_by(LegalEntity.currency)).all()
    return currencies


def ladder(organization_id):
    """The organization's rules by level."""
    return db.session.scalars(sa.select(OverdueRule).where(OverdueRule.organization_id == organization_id)
                              .order_by(OverdueRule.level, OverdueRule.id)).all()


MAX_DAYS = 3650


def days_message(label, too_many=False):
    """What a count of days must be (the rule editor and the API's schema say the same)."""
    return f"{label} must be at most {MAX_DAYS}." if too_many else f"{label} must be a whole number above 0."


def _positive_int(value, label):
    number = rules.whole_number(value if isinstance(value, int) else str(value if value is not None else ""))
    if not number:
        raise ValueError(days_message(label))
    if number > MAX_DAYS:
        raise ValueError(days_message(label, too_many=True))
    return number


def _template_id(model, organization_id, value, label, required):
    if isinstance(value, dict):
        value = value.get("id")
    if value in (None, ""):
        if required:
            raise ValueError(rules.required_message(label))
        return None
    template_id = rules.whole_number(value if isinstance(value, int) else str(value))
    if template_id is None or not db.session.scalar(sa.select(model.id).where(
            model.id == template_id, model.organization_id == organization_id)):
        raise ValueError(f"Choose one of your {label.lower()}s.")
    return template_id


def _flag(value, default):
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ValueError("Must be true or false.")
    return value


def clean_rule(organization_id, data):
    """Check an overdue rule (API field names; the fee in the invoice currency's minor unit, as the API and the rule
    editor both take it)."""
    errors = Errors()
    rule_type = data.get("type") or "reminder"
    if rule_type not in RULE_TYPES:
        errors["type"] = "reminder or dunning."
    dunning = rule_type == "dunning"
    cleaned = {
        "type": rule_type,
        "days_overdue": errors.check("daysOverdue", _positive_int, data.get("daysOverdue"), "Days overdue"),
        "due_in_days": errors.check("dueInDays", _positive_int,
                                    7 if data.get("dueInDays") in (None, "") else data.get("dueInDays"), "Due in days"),
        "email_template_id": errors.check("emailTemplate", _template_id, EmailTemplate, organization_id,
                                          data.get("emailTemplate"), "Email template", True),
        "document_template_id": errors.check("documentTemplate", _template_id, DocumentTemplate, organization_id,
                                             data.get("documentTemplate"), "Document template", dunning),
        "attach_original_invoice": errors.check("attachOriginalInvoice", _flag, data.get("attachOriginalInvoice"),
                                                True),
        "send_letter": errors.check("sendLetter", _flag, data.get("sendLetter"), False),
        "is_enabled": errors.check("isEnabled", _flag, data.get("isEnabled"), True),
    }
    cleaned["amount_in_cents"] = errors.check("amountInCents", fee_in_minor_units, data.get("amountInCents"),
                                              required=dunning)
    errors.raise_if_any()
    return cleaned


def _summary(rule):
    return {"level": rule.level, "daysOverdue": rule.days_overdue, "dueInDays": rule.due_in_days, "type": rule.type,
            "emailTemplateId": rule.email_template_id, "documentTemplateId": rule.document_template_id,
            "amountInCents": rule.amount_in_cents, "attachOriginalInvoice": rule.attach_original_invoice,
            "sendLetter": rule.send_letter, "isEnabled": rule.is_enabled}


def create_rule(organization_id, data):
    """Add a rule at the bottom of the ladder (at most five)."""
    existing = ladder(organization_id)
    if len(existing) >= MAX_RULES:
        raise ValidationFailed({"level": f"At most {MAX_RULES} overdue rules; delete or change one instead."})
    cleaned = clean_rule(organization_id, data)
    rule = OverdueRule(organization_id=organization_id, level=len(existing) + 1, **cleaned)
    db.session.add(rule)
    db.session.flush()
    audit.record(organization_id, "overdueRule", rule.id, "create", {k: [None, v] for k, v in _summary(rule).items()})
    if data.get("level") not in (None, rule.level):
        move_rule(rule, data["level"])
    return rule


def update_rule(rule, data):
    """Replace a rule's fields (PUT semantics); a different `level` moves it on the ladder."""
    cleaned = clean_rule(rule.organization_id, data)
    before = _summary(rule)
    for key, value in cleaned.items():
        setattr(rule, key, value)
    db.session.flush()
    changed = audit.diff(before, _summary(rule))
    if changed:
        audit.record(rule.organization_id, "overdueRule", rule.id, "update", changed)
    if data.get("level") not in (None, rule.level):
        move_rule(rule, data["level"])
    return rule


def set_enabled(rule, enabled):
    if rule.is_enabled != enabled:
        audit.record(rule.organization_id, "overdueRule", rule.id, "update", {"isEnabled": [rule.is_enabled, enabled]})
        rule.is_enabled = enabled


def _renumber(rules_in_order):
    # Two passes so that no two rules hold the same level in between (clean audit, no surprises).
    for index, rule in enumerate(rules_in_order, 1):
        if rule.level != index:
            audit.record(rule.organization_id, "overdueRule", rule.id, "update", {"level": [rule.level, index]})
            rule.level = index
    db.session.flush()


def move_rule(rule, level):
    """Put the rule at `level` (1..n); the others close up so levels stay 1..n without gaps."""
    others = [r for r in ladder(rule.organization_id) if r.id != rule.id]
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= len(others) + 1:
        raise ValidationFailed({"level": f"Level is 1 to {len(others) + 1}."})
    others.insert(level - 1, rule)
    _renumber(others)


def delete_rule(rule):
    audit.record(rule.organization_id, "overdueRule", rule.id, "delete", {k: [v, None] for k, v in _summary(rule).items()})
    organization_id = rule.organization_id
    db.session.delete(rule)
    db.session.flush()
    _renumber(ladder(organization_id))




# --- the timeline of a customer -----------------------------------------------------------------------------------

DEFAULT_INVOICE_AMOUNT = 100  # in major units: what the Settings tab shows before anything is typed


def timeline_for(customer, resolved, raw_date="", raw_amount=""):
    """What the Settings tab shows: the timeline of an invoice of the given date and amount (as typed), or — while
    either is invalid — only the errors at their fields, with what was typed kept. No timeline is built from a
    value that stands in for an invalid one (an invoice over ¥0)."""
    errors = {}
    try:
        invoice_date = dunning_domain.parse_invoice_date(raw_date)
    except ValueError as error:
        errors["invoice_date"], invoice_date = str(error), None
    try:
        amount = dunning_domain.parse_money(raw_amount, customer.currency) if raw_amount.strip() else \
            DEFAULT_INVOICE_AMOUNT * 10 ** dunning_domain.minor_units(customer.currency)
    except ValueError as error:
        errors["amount"], amount = str(error), None
    result = None if errors else dunning_domain.timeline(resolved, ladder(customer.organization_id), invoice_date,
                                                         amount, customer.currency)
    return {"timeline": result, "timeline_errors": errors,
            "timeline_input": {"invoice_date": raw_date or (invoice_date.isoformat() if invoice_date else ""),
                               "amount": raw_amount or dunning_domain.money_input(amount, customer.currency)},
            "format_money": dunning_domain.format_money}
