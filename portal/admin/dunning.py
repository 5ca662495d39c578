"""Organization → Dunning: the overdue-rule ladder and the email and document templates. Each rule and each
template is an entry of the inline-edit flow; reorder, enable/disable and delete are buttons on the ladder."""
import sqlalchemy as sa
from flask import abort, flash, request, url_for

from portal.admin import bp
from portal.admin.forms import DocumentTemplateForm, EmailTemplateForm, LadderForm, RuleForm
from portal.auth import current_org_id, get_in_org_or_404, role_required
from portal.domain import dunning as dunning_domain
from portal.domain.validation import ValidationFailed, whole_number
from portal.extensions import db
from portal.models import DocumentTemplate, DunningLadder, EmailTemplate, OverdueRule
from portal.services import dunning
from portal.web.inline import CreatableEntry, register
from portal.web.render import done, redirect_to, render, targets

LADDER_PAGE = "admin/dunning.html"
TEMPLATES_PAGE = "admin/templates.html"


def _templates(model):
    return db.session.scalars(sa.select(model).where(model.organization_id == current_org_id())
                              .order_by(model.name)).all()


def selected_ladder():
    """The ladder the page shows: `?ladder=` (or the form's `ladder`), else the organization's default; 404 for
    one that is not the organization's; None when it has no ladder."""
    raw = request.values.get("ladder")
    if raw not in (None, ""):
        return dunning.get_ladder(current_org_id(), whole_number(raw)) or abort(404)
    return dunning.default_ladder(current_org_id())


def _ladder_context(ladder=None, **extra):
    organization_id = current_org_id()
    context = {"ladder": ladder, "rules": dunning.ladder(ladder.id) if ladder else [],
               "ladders": dunning.ladders(organization_id), "default_id": dunning.default_ladder_id(organization_id),
               "usages": dunning.ladder_usages(organization_id), "new_ladder_form": LadderForm(formdata=None,
                                                                                               prefix="new-ladder"),
               "currencies": dunning.currencies_in_use(organization_id),
               "editing": None, "focus": None, "form": None, "conflict": None, "max_rules": dunning_domain.MAX_RULES,
               "fee_in_currencies": dunning_domain.fee_in_currencies, "fee_example": dunning_domain.fee_example(),
               "fee_preview_of": fee_preview_of,
               "adding": bool(request.args.get("add"))}
    context.update(extra)
    return context


def _ladder(ladder, status=200, block="ladder", headers=None, **extra):
    """The ladder: the page, or for htmx its block (with a toast for what was just done)."""
    return render(LADDER_PAGE, block, status=status, headers=headers, **_ladder_context(ladder, **extra))


def _page_url(ladder):
    return url_for("admin.dunning_rules", ladder=ladder.id if ladder else None)


@bp.route("/dunning")
@role_required("admin")
def dunning_rules():
    """The organization's dunning ladders and the overdue rules of one of them."""
    return _ladder(selected_ladder(), block=None,
                   focus=f"rule-{request.args['focus']}" if whole_number(request.args.get("focus")) else None)


class LadderEntry(CreatableEntry):
    """A dunning ladder's name: its line in the list of ladders turns into its form; new ones are added below."""

    name = "ladder"
    template = page_template = LADDER_PAGE
    read_block = "ladder_item"
    form_block = "ladder_form"
    new_block = "ladder_new"
    role = read_role = "admin"

    def load(self, for_update=False, ladder_id=None):
        return get_in_org_or_404(DunningLadder, ladder_id, for_update=for_update)

    def load_parent(self, for_update=False):
        return current_org_id()

    def form_class(self, subject):
        return LadderForm

    def prefix(self, subject):
        return f"ladder-{subject.id}" if subject is not None else "new-ladder"

    def initial(self, subject):
        return LadderForm.initial(subject)

    def save(self, subject, form):
        dunning.rename_ladder(subject, form.to_api())

    def create(self, parent, form):
        return dunning.create_ladder(parent, form.to_api())

    def key(self, subject):
        return f"ladder-{subject.id}"

    def new_key(self):
        return "ladder-new"

    def context(self, subject, **extra):
        return _ladder_context(selected_ladder(), item=subject, **extra)

    def new_context(self, parent, form=None, **extra):
        return _ladder_context(selected_ladder(), new_ladder_form=form or LadderForm(formdata=None,
                                                                                      prefix="new-ladder"),
                               **({"form": form} if form is not None else {}), **extra)

    def done_url(self, subject):
        return url_for("admin.dunning_rules", ladder=subject.id)

    def saved_message(self, subject):
        return f"Ladder “{subject.name}” saved."

    def created(self, parent, subject):
        return done(f"Ladder “{subject.name}” added; add its rules below.", self.done_url(subject), lambda: render(
            LADDER_PAGE, "page_body", headers={"HX-Retarget": "#dunning-page", "HX-Reswap": "outerHTML",
                                               "HX-Push-Url": self.done_url(subject)},
            **_ladder_context(subject, focus="rule-add")))


register(bp, LadderEntry(), "/dunning/ladders/<int:ladder_id>", "/dunning/ladders/new", "/dunning/ladders")


@bp.post("/dunning/ladders/<int:ladder_id>/<any(default, delete):action>")
@role_required("admin")
def ladder_action(ladder_id, action):
    """Make a ladder the default, or delete one that nobody uses; the page is redrawn with a confirmation."""
    ladder = get_in_org_or_404(DunningLadder, ladder_id, for_update=True)
    name = ladder.name
    try:
        if action == "default":
            dunning.make_default(ladder)
            message, shown = f"“{name}” is now the default ladder.", ladder
        else:
            dunning.delete_ladder(ladder)
            message, shown = f"Ladder “{name}” deleted.", None
        db.session.commit()
    except ValidationFailed as failed:
        db.session.rollback()
        flash(failed.errors["ladder"], "error")
        return done(None, _page_url(ladder), lambda: _ladder(ladder, status=409, block="page_body"))
    shown = shown or dunning.default_ladder(current_org_id())
    return done(message, _page_url(shown), lambda: _ladder(shown, block="page_body", headers={
        "HX-Push-Url": _page_url(shown)}))


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
        return selected_ladder() or abort(404)

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
        return _ladder_context(subject.ladder, rule=subject, **extra)

    def new_context(self, parent, **extra):
        return _ladder_context(parent, **extra)

    def done_url(self, subject):
        return url_for("admin.dunning_rules", ladder=subject.ladder_id)

    def saved_message(self, subject):
        return f"Level {subject.level} saved."

    def created(self, parent, subject):
        # the whole page: the list of ladders counts the new rule too
        return done(f"Level {subject.level} {subject.type} added.", self.done_url(subject), lambda: render(
            LADDER_PAGE, "page_body", headers={"HX-Retarget": "#dunning-page", "HX-Reswap": "outerHTML"},
            **_ladder_context(parent, focus=self.key(subject))))


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
    level, ladder = rule.level, rule.ladder
    if action in ("enable", "disable"):
        dunning.set_enabled(rule, action == "enable")
        message = f"Level {level} {'enabled' if action == 'enable' else 'disabled'}."
    elif action == "delete":
        dunning.delete_rule(rule)
        message = f"Level {level} deleted; the levels below moved up."
    else:
        target = level - 1 if action == "up" else level + 1
        if not 1 <= target <= len(dunning.ladder(ladder.id)):
            # The page was older than the ladder (someone reordered it meanwhile): show the ladder as it is now.
            flash(f"Level {level} is already at the {'top' if action == 'up' else 'bottom'}; the ladder is shown "
                  "as it is now.", "error")
            return done(None, _page_url(ladder), lambda: _ladder(ladder, status=409))
        dunning.move_rule(rule, target)
        message = f"Moved to level {target}."
    db.session.commit()
    focus = None if action == "delete" else f"{action}-{rule_id}"
    if action in ("up", "down") and target in (1, len(dunning.ladder(ladder.id))):
        # At the top or bottom the pressed arrow is gone: the moved rule's other arrow keeps the focus in its place.
        focus = f"{'down' if action == 'up' else 'up'}-{rule_id}"
    if action == "delete":  # the list of ladders counts its rules: the whole page
        return done(message, _page_url(ladder), lambda: _ladder(ladder, block="page_body", headers={
            "HX-Retarget": "#dunning-page", "HX-Reswap": "outerHTML"}))
    return done(message, _page_url(ladder), lambda: _ladder(ladder, focus=focus))


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
