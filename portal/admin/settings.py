"""Organization → Billing settings: the organization layer, each row (a setting, or settings edited together) an
entry of the inline-edit flow."""
from flask import abort, url_for

from portal.admin import bp
from portal.auth import current_org_id, role_required
from portal.domain import settings as settings_rules
from portal.domain.settings_fields import INHERITABLE_FIELDS
from portal.services import settings_store
from portal.web.inline import register
from portal.web.render import render
from portal.web.settings_rows import (
    SettingRowEntry,
    SettingSubject,
    build_row,
    row_names,
    rows_for,
)

PAGE = "admin/settings.html"
ORGANIZATION_ROWS = row_names(INHERITABLE_FIELDS)
DEFAULTS = settings_rules.resolve()


def override_counts(organization_id):
    """{setting: (customers that override it, groups that override it)}."""
    customers = settings_store.override_counts(organization_id)
    groups = settings_store.group_override_counts(organization_id)
    return {name: (count, groups.get(name, 0)) for name, count in customers.items()}


def _organization_resolved(own):
    return settings_rules.resolve([settings_rules.Layer(settings_rules.ORGANIZATION, own)])


def _page_context(**extra):
    organization_id = current_org_id()
    own = settings_store.organization_layer(organization_id)
    groups = rows_for(_organization_resolved(own), own, INHERITABLE_FIELDS, override_counts(organization_id),
                      inherited=DEFAULTS, scope="organization",
                      ladder_labels=settings_store.ladder_labels(organization_id))
    context = {"scope": "organization", "can_edit": True, "groups": groups, "focus": None, "editing": None,
               "form": None, "conflict": None, "back_url": url_for("admin.settings")}
    context.update(extra)
    return context


@bp.route("/settings")
@role_required("admin")
def settings():
    """The organization layer of the billing settings, with how many customers override each field."""
    return render(PAGE, **_page_context())


class OrganizationSettingEntry(SettingRowEntry):
    """A row of the organization layer: its values for every customer that inherits, or empty for the default."""

    page_template = PAGE
    role = "admin"
    read_role = "admin"

    def load(self, for_update=False, name=None):
        settings = ORGANIZATION_ROWS.get(name) or abort(404)
        organization_id = current_org_id()
        if for_update:
            settings_store.organization_settings(organization_id, for_update=True)
        own = settings_store.organization_layer(organization_id)
        row = build_row(name, settings, _organization_resolved(own), own, "organization",
                        override_counts(organization_id), inherited=DEFAULTS,
                        ladder_labels=settings_store.ladder_labels(organization_id))
        return SettingSubject(organization_id, row)

    def save(self, subject, form):
        settings_store.update_organization_settings(subject.owner, self.changes(subject, form))

    def context(self, subject, form=None, **extra):
        affected = {part.name: settings_store.inheriting_count(subject.owner, part.name) for part in subject.row.parts}
        return _page_context(**self.row_context(subject, form), form=form, affected=affected, **extra)

    def done_url(self, subject):
        return url_for("admin.settings")

    def show_read(self, subject, status=200, oob=()):
        return super().show_read(self.load(name=subject.name), status, oob)


register(bp, OrganizationSettingEntry(), "/settings/<name>")
