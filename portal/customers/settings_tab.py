"""The customer's Settings tab: every billing setting a row of the inline-edit flow, and the dunning timeline."""
from flask import abort
from flask_login import login_required

from portal.customers import bp
from portal.customers.pages import (
    DETAIL,
    TIMELINE_TEMPLATE,
    load_customer,
    page_context,
    require_editable,
    tab_url,
)
from portal.domain import settings as settings_rules
from portal.domain.settings_fields import FIELDS_BY_NAME
from portal.services import settings_store as store
from portal.web.inline import register
from portal.web.render import render, targets
from portal.web.settings_rows import Row, SettingRowEntry, SettingSubject, display_value


class CustomerSettingEntry(SettingRowEntry):
    """A row of the customer layer: a value of its own, or empty to inherit."""

    page_template = DETAIL

    def load(self, for_update=False, customer_id=None, name=None):
        setting = FIELDS_BY_NAME.get(name) or abort(404)
        customer = load_customer(customer_id, for_update)
        resolved = store.resolve_customer(customer)
        own = store.customer_layer(customer)
        return SettingSubject(customer, Row(setting, own.get(name), resolved[name].value, resolved[name].source))

    def editable(self, subject):
        require_editable(subject.owner)
        return subject

    def save(self, subject, form):
        store.update_customer_settings(subject.owner, {subject.name: self.value_of(subject, form)})

    def context(self, subject, form=None, **extra):
        customer = subject.owner
        inherited = settings_rules.resolve(store.organization_layer(customer.organization_id), {})[subject.name]
        source = "Organization" if inherited.source == "organization" else "Default Values"
        return page_context(customer, "settings", **self.row_context(subject, form), form=form,
                            inherited_display=f"{display_value(subject.row.setting, inherited.value)} from {source}",
                            back_url=tab_url(customer, "settings"), **extra)

    def done_url(self, subject):
        return tab_url(subject.owner, "settings")

    def oob(self, subject):
        return ((TIMELINE_TEMPLATE, "timeline"),)  # a saved setting can change the dunning timeline

    def show_read(self, subject, status=200, oob=()):
        # After a save the row and the timeline show the new effective value: resolve again.
        return super().show_read(self.load(customer_id=subject.owner.id, name=subject.name), status, oob)


register(bp, CustomerSettingEntry(), "/<int:customer_id>/settings/<name>")


@bp.get("/<int:customer_id>/dunning-timeline")
@login_required
def dunning_timeline(customer_id):
    """The timeline block for another invoice date or amount."""
    context = page_context(load_customer(customer_id), "settings")
    status = 422 if context["timeline_errors"] else 200
    return render(DETAIL, "timeline" if targets("timeline") else None, fragment_template=TIMELINE_TEMPLATE,
                  status=status, **context)

