"""Organization → Dunning: the overdue-rule ladder and the email and document templates."""
import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for

from portal.admin.routes import bp
from portal.auth import current_org_id, get_in_org_or_404, role_required
from portal.domain import dunning as dunning_domain
from portal.domain.validation import CURRENCY_CODES, ValidationFailed, whole_number
from portal.extensions import db
from portal.models import DocumentTemplate, EmailTemplate, LegalEntity, OverdueRule
from portal.services import dunning
from portal.web.render import is_htmx, render


def _currency():
    """The currency fees are shown and entered in: chosen, else the first legal entity's, else EUR."""
    chosen = (request.values.get("currency") or "").upper()
    if chosen in CURRENCY_CODES:
        return chosen
    first = db.session.scalar(sa.select(LegalEntity.currency).where(LegalEntity.organization_id == current_org_id())
                              .order_by(LegalEntity.id))
    return first or "EUR"


def _templates(model):
    return db.session.scalars(sa.select(model).where(model.organization_id == current_org_id())
                              .order_by(model.name)).all()


def _rule_form_data(currency):
    """The rule form in API shape (the fee converted to minor units by the currency's decimals)."""
    form = request.form
    data = {"type": form.get("type") or "reminder", "daysOverdue": form.get("days_overdue"),
            "dueInDays": form.get("due_in_days"), "emailTemplate": form.get("email_template") or None,
            "documentTemplate": form.get("document_template") or None,
            "attachOriginalInvoice": form.get("attach_original_invoice") == "on",
            "sendLetter": form.get("send_letter") == "on", "isEnabled": form.get("is_enabled") == "on"}
    try:
        data["amountInCents"] = dunning_domain.parse_money(form.get("fee"), currency)
    except ValueError as error:
        raise ValidationFailed({"amountInCents": str(error)}) from None
    return data


def _ladder_page(status=200, **extra):
    currency = _currency()
    context = {"rules": dunning.ladder(current_org_id()), "currency": currency, "editing": None, "errors": {},
               "values": {}, "email_templates": _templates(EmailTemplate),
               "document_templates": _templates(DocumentTemplate), "max_rules": dunning_domain.MAX_RULES,
               "money_input": dunning_domain.money_input, "format_money": dunning_domain.format_money}
    context.update(extra)
    block = "ladder" if is_htmx() else None
    return render("admin/dunning.html", block, status=status, **context)


def _done(message):
    flash(message, "success")
    target = url_for("admin.dunning_rules", currency=_currency())
    if is_htmx():
        return _ladder_page()
    return redirect(target)


@bp.route("/dunning")
@role_required("admin")
def dunning_rules():
    """The ladder of overdue rules."""
    editing = whole_number(request.args.get("edit", ""))
    return _ladder_page(editing=editing)


@bp.post("/dunning")
@role_required("admin")
def create_overdue_rule():
    currency = _currency()
    try:
        data = _rule_form_data(currency)
        rule = dunning.create_rule(current_org_id(), data)
        db.session.commit()
    except ValidationFailed as failed:
        db.session.rollback()
        return _ladder_page(422, errors=failed.errors, values=request.form, editing="new")
    return _done(f"Level {rule.level} {rule.type} added.")


def _rule(rule_id):
    return get_in_org_or_404(OverdueRule, rule_id)


@bp.post("/dunning/<int:rule_id>")
@role_required("admin")
def update_overdue_rule(rule_id):
    rule = _rule(rule_id)
    try:
        data = _rule_form_data(_currency())
        dunning.update_rule(rule, {**data, "level": rule.level})
        db.session.commit()
    except ValidationFailed as failed:
        db.session.rollback()
        return _ladder_page(422, errors=failed.errors, values=request.form, editing=rule_id)
    return _done(f"Level {rule.level} saved.")


@bp.post("/dunning/<int:rule_id>/<any(enable, disable, up, down, delete):action>")
@role_required("admin")
def overdue_rule_action(rule_id, action):
    rule = _rule(rule_id)
    level = rule.level
    if action in ("enable", "disable"):
        dunning.set_enabled(rule, action == "enable")
        message = f"Level {level} {'enabled' if action == 'enable' else 'disabled'}."
    elif action == "delete":
        dunning.delete_rule(rule)
        message = f"Level {level} deleted; the levels below moved up."
    else:
        target = level - 1 if action == "up" else level + 1
        if not 1 <= target <= len(dunning.ladder(current_org_id())):
            abort(422, "That rule is already at the end of the ladder.")
        dunning.move_rule(rule, target)
        message = f"Moved to level {target}."
    db.session.commit()
    return _done(message)


# --- templates ----------------------------------------------------------------------------------------------

TEMPLATE_KINDS = {"email": EmailTemplate, "document": DocumentTemplate}


def _templates_page(status=200, **extra):
    context = {"email_templates": _templates(EmailTemplate), "document_templates": _templates(DocumentTemplate),
               "placeholders": dunning_domain.PLACEHOLDERS, "errors": {}, "values": {}, "editing": None, "preview": None,
               "render_placeholders": dunning_domain.render_placeholders, "rules_using": dunning.rules_using}
    context.update(extra)
    return render("admin/templates.html", None, status=status, **context)


@bp.route("/templates")
@role_required("admin")
def templates():
    """Email and document templates that overdue rules use."""
    kind, template_id = request.args.get("kind"), whole_number(request.args.get("edit", ""))
    editing = (kind, template_id) if kind in TEMPLATE_KINDS and template_id is not None else None
    preview = whole_number(request.args.get("preview", ""))
    return _templates_page(editing=editing, preview=preview)


@bp.post("/templates/<any(email, document):kind>")
@bp.post("/templates/<any(email, document):kind>/<int:template_id>")
@role_required("admin")
def save_template(kind, template_id=None):
    model = TEMPLATE_KINDS[kind]
    template = get_in_org_or_404(model, template_id) if template_id else None
    try:
        saved = dunning.save_template(model, current_org_id(), request.form, template)
        db.session.commit()
    except ValidationFailed as failed:
        db.session.rollback()
        return _templates_page(422, errors=failed.errors, values=request.form, editing=(kind, template_id or 0))
    flash(f"Template “{saved.name}” saved.", "success")
    return redirect(url_for("admin.templates", preview=saved.id) if kind == "email" else url_for("admin.templates"))


@bp.post("/templates/<any(email, document):kind>/<int:template_id>/delete")
@role_required("admin")
def delete_template(kind, template_id):
    template = get_in_org_or_404(TEMPLATE_KINDS[kind], template_id)
    try:
        dunning.delete_template(template)
        db.session.commit()
    except ValidationFailed as failed:
        db.session.rollback()
        flash(failed.errors["template"], "error")
        return redirect(url_for("admin.templates"))
    flash("Template deleted.", "success")
    return redirect(url_for("admin.templates"))
