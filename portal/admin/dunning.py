"""Organization → Dunning: the overdue-rule ladder and the email and document templates. Each rule and each
template is an entry of the inline-edit flow; reorder, enable/disable and delete are buttons on the ladder."""
import sqlalchemy as sa
from flask import flash, request, url_for

from portal.admin import bp
from portal.admin.forms import DocumentTemplateForm, EmailTemplateForm, RuleForm
from portal.auth import current_org_id, get_in_org_or_404, role_required
from portal.domain import dunning as dunning_domain
from portal.domain.validation import ValidationFailed, whole_number
from portal.extensions import db
from portal.models import DocumentTemplate, EmailTemplate, OverdueRule
from portal.services import dunning
from portal.web.inline import CreatableEntry, register
from portal.web.render import done, redirect_to, render, targets

LADDER_PAGE = "admin/dunning.html"
TEMPLATES_PAGE = "admin/templates.html"


def _templates(model):
    return db.session.scalars(sa.select(model).where(model.organization_id == current_org_id())
                              .order_by(model.name)).all()


def _ladder_context(**extra):
    context = {"rules": dunning.ladder(current_org_id()), "currencies": dunning.currencies_in_use(current_org_id()),
               "editing": None, "focus": None, "form": None, "conflict": None, "max_rules": dunning_domain.MAX_RULES,
               "fee_in_currencies": dunning_domain.fee_in_currencies, "fee_example": dunning_domain.fee_example(),
               "fee_preview_of": fee_preview_of,
               "adding": bool(request.args.get("add"))}
    context.update(extra)
    return context


def _ladder(status=200, **extra):
    """The ladder: the page, or for htmx its block (with a toast for what was just done)."""
    return render(LADDER_PAGE, "ladder", status=status, **_ladder_context(**extra))


@bp.route("/dunning")
@role_required("admin")
def dunning_rules():
    """The ladder of overdue rules."""
    return _ladder(focus=f"rule-{request.args['focus']}" if whole_number(request.args.get("focus")) else None)


class RuleEntry(CreatableEntry):
    """An overdue rule: its card on the ladder turns into its form; new rules are added at the bottom."""

    name = "rule"
    template = LADDER_PAGE
    read_block = "rule_read"
    form_block = "rule_form"
    new_block = "rule_new"
    page_template = LADDER_PAGE
    role = read_role = "admin"

    def load(self, for_update=False, rule_id=None):
        return get_in_org_or_404(OverdueRule, rule_id, for_update=for_update)

    def load_parent(self, for_update=False):
        return current_org_id()

    def form_class(self, subject):
        return RuleForm

    def prefix(self, subject):
        return f"rule-{subject.id}" if subject is not None else "new-rule"

    def setup_form(self, form, subject):
        form.set_templates(_templates(EmailTemplate), _templates(DocumentTemplate))
        return form

    def initial(self, subject):
        return RuleForm.initial(subject)

    def save(self, subject, form):
        dunning.update_rule(subject, {**form.to_api(), "level": subject.level})

    def create(self, parent, form):
        return dunning.create_rule(parent, form.to_api())

    def key(self, subject):
        return f"rule-{subject.id}"

    def new_key(self):
        return "rule-new"

    def context(self, subject, **extra):
        return _ladder_context(rule=subject, **extra)

    def new_context(self, parent, **extra):
        return _ladder_context(**extra)

    def done_url(self, subject):
        return url_for("admin.dunning_rules")

    def saved_message(self, subject):
        return f"Level {subject.level} saved."

    def created(self, parent, subject):
        return done(f"Level {subject.level} {subject.type} added.", self.done_url(subject), lambda: render(
            LADDER_PAGE, "ladder", headers={"HX-Retarget": "#ladder", "HX-Reswap": "outerHTML"},
            **_ladder_context(focus=self.key(subject))))


register(bp, RuleEntry(), "/dunning/<int:rule_id>", "/dunning/new", "/dunning")


@bp.get("/dunning/fee-preview")
@role_required("admin")
def fee_preview():
    """What the fee being typed comes to in each currency the customers use (the rule editor asks as you type; the
    one fee rule checks it). The editor's fee field sends itself under its form's prefix."""
    typed = next((value for name, value in request.args.items() if name == "fee" or name.endswith("-fee")), "")
    return render(LADDER_PAGE, "fee_preview", **_ladder_context(preview=fee_preview_of(typed)))


def fee_preview_of(typed):
    """The preview of a typed fee: its amount in minor units, or why it is no fee."""
    try:
        return {"amount": dunning_domain.fee_in_minor_units(typed), "problem": None}
    except ValueError as error:
        return {"amount": None, "problem": str(error)}


@bp.post("/dunning/<int:rule_id>/<any(enable, disable, up, down, delete):action>")
@role_required("admin")
def overdue_rule_action(rule_id, action):
    """Enable, disable, move or delete a rule; the ladder is redrawn with a confirmation."""
    rule = get_in_org_or_404(OverdueRule, rule_id, for_update=True)
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
            # The page was older than the ladder (someone reordered it meanwhile): show the ladder as it is now.
            flash(f"Level {level} is already at the {'top' if action == 'up' else 'bottom'}; the ladder is shown "
                  "as it is now.", "error")
            return done(None, url_for("admin.dunning_rules"), lambda: _ladder(status=409))
        dunning.move_rule(rule, target)
        message = f"Moved to level {target}."
    db.session.commit()
    focus = None if action == "delete" else f"{action}-{rule_id}"
    if action in ("up", "down") and target in (1, len(dunning.ladder(current_org_id()))):
        # At the top or bottom the pressed arrow is gone: the moved rule's other arrow keeps the focus in its place.
        focus = f"{'down' if action == 'up' else 'up'}-{rule_id}"
    return done(message, url_for("admin.dunning_rules"), lambda: _ladder(focus=focus))


# --- templates ----------------------------------------------------------------------------------------------

TEMPLATE_KINDS = {"email": (EmailTemplate, EmailTemplateForm), "document": (DocumentTemplate, DocumentTemplateForm)}


def _kind_of(template):
    return "email" if isinstance(template, EmailTemplate) else "document"


def _templates_context(**extra):
    context = {"email_templates": _templates(EmailTemplate), "document_templates": _templates(DocumentTemplate),
               "placeholders": dunning_domain.PLACEHOLDERS, "editing": None, "focus": None, "form": None,
               "conflict": None, "preview": whole_number(request.args.get("preview", "")),
               "render_placeholders": dunning_domain.render_placeholders, "rules_using": dunning.rules_using}
    context.update(extra)
    if context.get("kind"):  # one kind's list, as its block shows it
        context["items"] = context[f"{context['kind']}_templates"]
    return context


@bp.route("/templates")
@role_required("admin")
def templates():
    """Email and document templates that overdue rules use."""
    return render(TEMPLATES_PAGE, **_templates_context())


class TemplateEntry(CreatableEntry):
    """An email or document template: its card turns into its form; new ones are added at the top of the list."""

    name = "template"
    template = TEMPLATES_PAGE
    read_block = "template_read"
    form_block = "template_form"
    new_block = "template_new"
    page_template = TEMPLATES_PAGE
    role = read_role = "admin"

    def load(self, for_update=False, kind=None, template_id=None):
        return get_in_org_or_404(TEMPLATE_KINDS[kind][0], template_id, for_update=for_update)

    def load_parent(self, for_update=False, kind=None):
        return current_org_id()

    def form_class(self, subject):
        return TEMPLATE_KINDS[_kind_of(subject) if subject is not None else request.view_args["kind"]][1]

    def prefix(self, subject):
        return f"{_kind_of(subject)}-{subject.id}" if subject is not None else f"new-{request.view_args['kind']}"

    def initial(self, subject):
        return self.form_class(subject).initial(subject)

    def save(self, subject, form):
        dunning.save_template(type(subject), subject.organization_id, form.to_api(), subject)

    def create(self, parent, form):
        return dunning.save_template(TEMPLATE_KINDS[request.view_args["kind"]][0], parent, form.to_api())

    def key(self, subject):
        return f"{_kind_of(subject)}-template-{subject.id}"

    def new_key(self):
        return f"{request.view_args['kind']}-template-new"

    def context(self, subject, **extra):
        return _templates_context(template=subject, kind=_kind_of(subject), **extra)

    def new_context(self, parent, **extra):
        return _templates_context(kind=request.view_args["kind"], **extra)

    def done_url(self, subject):
        return url_for("admin.templates", preview=subject.id if _kind_of(subject) == "email" else None)

    def saved_message(self, subject):
        return f"Template “{subject.name}” saved."

    def created(self, parent, subject):
        kind = _kind_of(subject)
        return done(f"Template “{subject.name}” added.", self.done_url(subject), lambda: render(
            TEMPLATES_PAGE, "templates_list", headers={"HX-Retarget": f"#{kind}-templates", "HX-Reswap": "outerHTML"},
            **_templates_context(kind=kind, focus=self.key(subject))))


register(bp, TemplateEntry(), "/templates/<any(email, document):kind>/<int:template_id>",
         "/templates/<any(email, document):kind>/new", "/templates/<any(email, document):kind>")


@bp.post("/templates/<any(email, document):kind>/<int:template_id>/delete")
@role_required("admin")
def delete_template(kind, template_id):
    """Delete a template no rule uses; otherwise say which rules do."""
    template = get_in_org_or_404(TEMPLATE_KINDS[kind][0], template_id, for_update=True)
    try:
        dunning.delete_template(template)
        db.session.commit()
        flash("Template deleted.", "success")
    except ValidationFailed as failed:
        db.session.rollback()
        flash(failed.errors["template"], "error")
    if targets(f"{kind}-templates"):
        return render(TEMPLATES_PAGE, "templates_list", **_templates_context(kind=kind))
    return redirect_to(url_for("admin.templates"))
