"""The customer's Settings tab: every billing setting (or group of settings edited together) a row of the
inline-edit flow, and the dunning timeline."""
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
from portal.domain.settings_fields import SETTING_FIELDS
from portal.services import settings_store as store
from portal.web.inline import register
from portal.web.render import render, targets
from portal.web.settings_rows import (
    SettingRowEntry,
    SettingSubject,
    build_row,
    method_labels_of,
    row_names,
)

CUSTOMER_ROWS = row_names(SETTING_FIELDS)


class CustomerSettingEntry(SettingRowEntry):
    """A row of the customer layer: values of its own, or empty to inherit."""

    page_template = DETAIL

    def load(self, for_update=False, customer_id=None, name=None):
        settings = CUSTOMER_ROWS.get(name) or abort(404)
        customer = load_customer(customer_id, for_update)
        organization = store.organization_layer(customer.organization_id)
        row = build_row(name, settings, store.resolve_customer(customer, organization), store.customer_layer(customer),
                        "customer", inherited=store.inherited_by(customer, organization),
                        method_labels=method_labels_of(customer),
                        ladder_labels=store.ladder_labels(customer.organization_id))
        return SettingSubject(customer, row)

    def editable(self, subject):
        require_editable(subject.owner)
        return subject

    def save(self, subject, form):
        store.update_customer_settings(subject.owner, self.changes(subject, form))

    def context(self, subject, form=None, **extra):
        customer = subject.owner
        return page_context(customer, "settings", **self.row_context(subject, form), form=form,
                            back_url=tab_url(customer, "settings"), **extra)

    def done_url(self, subject):
        return tab_url(subject.owner, "settings")

    def oob(self, subject):
        return ((TIMELINE_TEMPLATE, "timeline"),)  # a saved setting can change the dunning timeline

    def show_read(self, subject, status=200, oob=()):
        # After a save the row and the timeline show the new effective values: resolve again.
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
