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
from portal.models import (
    Customer,
    CustomerGroup,
    CustomerSettings,
    DocumentTemplate,
    DunningLadder,
    EmailTemplate,
    LegalEntity,
    OrganizationSettings,
    OverdueRule,
)
from portal.services import audit, customer_search

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
    """The currencies the organization's customers are billed in (the overview's one query, in code order): what a
    fee comes to is shown in each; before the first customer, the legal entities' currencies."""
    currencies = customer_search.currencies_in_use(organization_id)
    if not currencies:
        currencies = db.session.scalars(sa.select(LegalEntity.currency).where(
            LegalEntity.organization_id == organization_id).group_by(LegalEntity.currency)
            .order_by(LegalEntity.currency)).all()
    return currencies


def ladder(ladder_id):
    """A ladder's rules by level."""
    return db.session.scalars(sa.select(OverdueRule).where(OverdueRule.ladder_id == ladder_id)
                              .order_by(OverdueRule.level, OverdueRule.id)).all()


# --- ladders -----------------------------------------------------------------------------------------------------

STANDARD_LADDER = "Standard"


def ladders(organization_id):
    """The organization's ladders by name."""
    return db.session.scalars(sa.select(DunningLadder).where(DunningLadder.organization_id == organization_id)
                              .order_by(DunningLadder.name, DunningLadder.id)).all()


def default_ladder_id(organization_id):
    """The id of the organization's default ladder (its settings layer's dunningLadderId), or None."""
    return db.session.scalar(sa.select(OrganizationSettings.dunning_ladder_id).where(
        OrganizationSettings.organization_id == organization_id))


def get_ladder(organization_id, ladder_id):
    """One of the organization's ladders, or None."""
    ladder_row = db.session.get(DunningLadder, ladder_id) if ladder_id else None
    return ladder_row if ladder_row is not None and ladder_row.organization_id == organization_id else None


def default_ladder(organization_id, create=False):
    """The organization's default ladder; with `create`, an organization without ladders gets "Standard"."""
    found = get_ladder(organization_id, default_ladder_id(organization_id))
    if found is None and create:
        found = create_ladder(organization_id, {"name": STANDARD_LADDER})
    return found


def _ladder_name(organization_id, data, current=None):
    errors = Errors()
    name = errors.check("name", rules.required_text, data.get("name"), 200, "Name")
    errors.raise_if_any()
    taken = db.session.scalar(sa.select(DunningLadder.id).where(
        DunningLadder.organization_id == organization_id, sa.func.lower(DunningLadder.name) == name.lower(),
        DunningLadder.id != (current.id if current is not None else -1)))
    if taken:
        raise ValidationFailed({"name": "Another ladder has this name; choose another."})
    return name


def create_ladder(organization_id, data):
    """A new, empty ladder; the organization's first becomes its default."""
    from portal.services import settings_store

    name = _ladder_name(organization_id, data)
    created = DunningLadder(organization_id=organization_id, name=name)
    db.session.add(created)
    db.session.flush()
    audit.record(organization_id, "dunningLadder", created.id, "create", {"name": [None, name]})
    if default_ladder_id(organization_id) is None or data.get("isDefault") is True:
        settings_store.update_organization_settings(organization_id, {"dunningLadderId": str(created.id)})
    return created


def rename_ladder(ladder_row, data):
    """A ladder's new name (unique in the organization, any case)."""
    name = _ladder_name(ladder_row.organization_id, data, ladder_row)
    if name != ladder_row.name:
        audit.record(ladder_row.organization_id, "dunningLadder", ladder_row.id, "update",
                     {"name": [ladder_row.name, name]})
        ladder_row.name = name
        db.session.flush()
    return ladder_row


def make_default(ladder_row):
    """This ladder becomes the organization's default (every customer and group without a ladder of its own
    follows it)."""
    from portal.services import settings_store

    settings_store.update_organization_settings(ladder_row.organization_id, {"dunningLadderId": str(ladder_row.id)})


def ladder_usage(ladder_row):
    """(customers, groups) that chose this ladder themselves."""
    customers = db.session.scalar(sa.select(sa.func.count()).select_from(CustomerSettings).join(
        Customer, Customer.id == CustomerSettings.customer_id).where(
        Customer.organization_id == ladder_row.organization_id, CustomerSettings.dunning_ladder_id == ladder_row.id))
    groups = db.session.scalar(sa.select(sa.func.count(CustomerGroup.id)).where(
        CustomerGroup.organization_id == ladder_row.organization_id,
        CustomerGroup.dunning_ladder_id == ladder_row.id))
    return customers, groups


def ladder_usages(organization_id):
    """{ladder id: (customers, groups) that chose it themselves, rules}: three grouped queries for all ladders."""
    customers = dict(db.session.execute(
        sa.select(CustomerSettings.dunning_ladder_id, sa.func.count()).join(
            Customer, Customer.id == CustomerSettings.customer_id).where(
            Customer.organization_id == organization_id, CustomerSettings.dunning_ladder_id.is_not(None))
        .group_by(CustomerSettings.dunning_ladder_id)).all())
    groups = dict(db.session.execute(
        sa.select(CustomerGroup.dunning_ladder_id, sa.func.count()).where(
            CustomerGroup.organization_id == organization_id, CustomerGroup.dunning_ladder_id.is_not(None))
        .group_by(CustomerGroup.dunning_ladder_id)).all())
    rules_per = dict(db.session.execute(
        sa.select(OverdueRule.ladder_id, sa.func.count()).where(OverdueRule.organization_id == organization_id)
        .group_by(OverdueRule.ladder_id)).all())
    return {ladder_id: (customers.get(ladder_id, 0), groups.get(ladder_id, 0), rules_per.get(ladder_id, 0))
            for ladder_id in {*customers, *groups, *rules_per}}


def _counted(number, word):
    return f"{number} {word}{'s' if number != 1 else ''}"


def delete_ladder(ladder_row):
    """Remove a ladder (and its rules) that no customer or group uses and that is not the default."""
    if ladder_row.id == default_ladder_id(ladder_row.organization_id):
        raise ValidationFailed({"ladder": f"“{ladder_row.name}” is the default ladder; make another ladder the "
                                          "default first."})
    customers, groups = ladder_usage(ladder_row)
    if customers or groups:
        users = " and ".join(_counted(n, w) for n, w in ((customers, "customer"), (groups, "group")) if n)
        raise ValidationFailed({"ladder": f"“{ladder_row.name}” is used by {users}; choose another ladder for "
                                          f"{'them' if customers + groups > 1 else 'it'} first."})
    for rule in ladder(ladder_row.id):
        audit.record(rule.organization_id, "overdueRule", rule.id, "delete",
                     {k: [v, None] for k, v in _summary(rule).items()})
        db.session.delete(rule)
    audit.record(ladder_row.organization_id, "dunningLadder", ladder_row.id, "delete", {"name": [ladder_row.name, None]})
    db.session.delete(ladder_row)
    db.session.flush()


def effective_ladder(organization_id, resolved):
    """The ladder a customer's effective dunningLadderId names, or None."""
    value = resolved["dunningLadderId"].value
    return get_ladder(organization_id, int(value)) if value else None


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


def create_rule(ladder_row, data):
    """Add a rule at the bottom of a ladder (at most five)."""
    organization_id = ladder_row.organization_id
    existing = ladder(ladder_row.id)
    if len(existing) >= MAX_RULES:
        raise ValidationFailed({"level": f"At most {MAX_RULES} overdue rules per ladder; delete or change one "
                                         "instead."})
    cleaned = clean_rule(organization_id, data)
    rule = OverdueRule(organization_id=organization_id, ladder_id=ladder_row.id, level=len(existing) + 1, **cleaned)
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
    others = [r for r in ladder(rule.ladder_id) if r.id != rule.id]
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= len(others) + 1:
        raise ValidationFailed({"level": f"Level is 1 to {len(others) + 1}."})
    others.insert(level - 1, rule)
    _renumber(others)


def delete_rule(rule):
    audit.record(rule.organization_id, "overdueRule", rule.id, "delete", {k: [v, None] for k, v in _summary(rule).items()})
    ladder_id = rule.ladder_id
    db.session.delete(rule)
    db.session.flush()
    _renumber(ladder(ladder_id))




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
    result = None if errors else customer_timeline(customer, resolved, invoice_date, amount)
    return {"timeline": result, "timeline_errors": errors,
            "timeline_input": {"invoice_date": raw_date or (invoice_date.isoformat() if invoice_date else ""),
                               "amount": raw_amount or dunning_domain.money_input(amount, customer.currency)},
            "format_money": dunning_domain.format_money}


def customer_timeline(customer, resolved, invoice_date, amount):
    """The timeline of one invoice on the customer's effective ladder."""
    used = effective_ladder(customer.organization_id, resolved)
    return dunning_domain.timeline(resolved, ladder(used.id) if used else [], invoice_date, amount, customer.currency,
                                   {"id": str(used.id), "name": used.name} if used else None)
