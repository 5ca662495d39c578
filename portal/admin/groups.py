"""Organization → Customer groups: create, rename and describe in place, delete while empty; each group's settings
page is the organization's page one layer up (its values for its customers, or inherit from the organization)."""
from flask import abort, flash, url_for

from portal.admin import bp
from portal.admin.forms import GroupForm
from portal.auth import current_org_id, get_in_org_or_404, role_required
from portal.domain import settings as settings_rules
from portal.domain.settings_fields import INHERITABLE_FIELDS
from portal.domain.validation import ValidationFailed
from portal.extensions import db
from portal.models import CustomerGroup
from portal.services import groups as service
from portal.services import settings_store
from portal.web.inline import CreatableEntry, register
from portal.web.render import done, redirect_to, render, targets
from portal.web.settings_rows import (
    SettingRowEntry,
    SettingSubject,
    build_row,
    row_names,
    rows_for,
)

PAGE = "admin/groups.html"
SETTINGS_PAGE = "admin/group_settings.html"
GROUP_ROWS = row_names(INHERITABLE_FIELDS)


def _page_context(**extra):
    organization_id = current_org_id()
    context = {"groups": service.organization_groups(organization_id),
               "counts": service.customer_counts(organization_id), "editing": None, "focus": None, "form": None,
               "conflict": None, "new_form": GroupForm(formdata=None, prefix="new")}
    context.update(extra)
    return context


@bp.route("/groups")
@role_required("admin")
def groups():
    """Customer groups, with how many customers each has."""
    return render(PAGE, **_page_context())


class GroupEntry(CreatableEntry):
    """A group: a row of the table, its form in place; new ones are added below."""

    name = "group"
    template = page_template = PAGE
    read_block = "group_read"
    form_block = "group_form"
    new_block = "group_new"
    role = read_role = "admin"

    def load(self, for_update=False, group_id=None):
        return get_in_org_or_404(CustomerGroup, group_id, for_update=for_update)

    def load_parent(self, for_update=False):
        return current_org_id()

    def form_class(self, subject):
        return GroupForm

    def prefix(self, subject):
        return f"group-{subject.id}" if subject is not None else "new"

    def initial(self, subject):
        return GroupForm.initial(subject)

    def save(self, subject, form):
        service.update(subject, form.to_api())

    def create(self, parent, form):
        return service.create(parent, form.to_api())

    def key(self, subject):
        return f"group-{subject.id}"

    def context(self, subject, **extra):
        return _page_context(group=subject, **extra)

    def new_context(self, parent, form=None, **extra):
        return _page_context(new_form=form, form=form, **extra)

    def new_key(self):
        return "group-new"

    def done_url(self, subject):
        return url_for("admin.groups")

    def saved_message(self, subject):
        return f"Group “{subject.name}” saved."

    def created(self, parent, subject):
        return done(f"Group “{subject.name}” added. Set its billing settings next.",
                    url_for("admin.group_settings", group_id=subject.id), lambda: render(
                        PAGE, "groups_list", headers={"HX-Retarget": "#groups", "HX-Reswap": "outerHTML"},
                        **_page_context(focus=f"settings-{subject.id}")))


register(bp, GroupEntry(), "/groups/<int:group_id>", "/groups/new", "/groups")


@bp.post("/groups/<int:group_id>/delete")
@role_required("admin")
def delete_group(group_id):
    """Delete a group without customers; otherwise say how many are in it."""
    group = get_in_org_or_404(CustomerGroup, group_id, for_update=True)
    name = group.name
    try:
        service.delete(group)
        db.session.commit()
        flash(f"Group “{name}” deleted.", "success")
        status = 200
    except ValidationFailed as failed:
        db.session.rollback()
        flash(failed.errors["group"], "error")
        status = 409
    if targets("groups"):
        return render(PAGE, "groups_list", status=status, **_page_context())
    return redirect_to(url_for("admin.groups"))


# --- a group's settings ------------------------------------------------------------------------------------

def _organization_values(organization_id):
    return settings_store.organization_layer(organization_id)


def _settings_context(group, members=None, **extra):
    organization_id = group.organization_id
    org = _organization_values(organization_id)
    own = settings_store.group_layer(group)
    inherited = settings_rules.resolve([settings_rules.Layer(settings_rules.ORGANIZATION, org)])
    sections = rows_for(settings_store.resolve_group(group, org), own, INHERITABLE_FIELDS,
                        settings_store.override_counts(organization_id, group.id), inherited=inherited, scope="group",
                        ladder_labels=settings_store.ladder_labels(organization_id))
    context = {"scope": "group", "group": group, "can_edit": True, "groups": sections, "focus": None,
               "editing": None, "form": None, "conflict": None, "members": service.member_count(group) if members is None else members,
               "back_url": url_for("admin.group_settings", group_id=group.id)}
    context.update(extra)
    return context


@bp.route("/groups/<int:group_id>/settings")
@role_required("admin")
def group_settings(group_id):
    """A group's layer of the billing settings, with how many of its customers override each field."""
    return render(SETTINGS_PAGE, **_settings_context(get_in_org_or_404(CustomerGroup, group_id)))


class GroupSettingEntry(SettingRowEntry):
    """A row of a group's layer: its value for every customer of the group that does not set its own, or empty to
    inherit from the organization."""

    name = "group_setting"
    page_template = SETTINGS_PAGE
    role = "admin"
    read_role = "admin"

    def load(self, for_update=False, group_id=None, name=None):
        settings = GROUP_ROWS.get(name) or abort(404)
        group = get_in_org_or_404(CustomerGroup, group_id, for_update=for_update)
        org = _organization_values(group.organization_id)
        row = build_row(name, settings, settings_store.resolve_group(group, org), settings_store.group_layer(group),
                        "group", settings_store.override_counts(group.organization_id, group.id),
                        inherited=settings_rules.resolve([settings_rules.Layer(settings_rules.ORGANIZATION, org)]),
                        ladder_labels=settings_store.ladder_labels(group.organization_id))
        return SettingSubject(group, row)

    def save(self, subject, form):
        settings_store.update_group_settings(subject.owner, self.changes(subject, form))

    def context(self, subject, form=None, **extra):
        # A change reaches the members that do not set the field themselves: the row already holds the latter.
        members = service.member_count(subject.owner)
        affected = {part.name: members - part.override_count for part in subject.row.parts if part.setting.stored}
        return _settings_context(subject.owner, members, **self.row_context(subject, form), form=form,
                                 affected=affected, **extra)

    def done_url(self, subject):
        return url_for("admin.group_settings", group_id=subject.owner.id)

    def show_read(self, subject, status=200, oob=()):
        return super().show_read(self.load(group_id=subject.owner.id, name=subject.name), status, oob)


register(bp, GroupSettingEntry(), "/groups/<int:group_id>/settings/<name>")
