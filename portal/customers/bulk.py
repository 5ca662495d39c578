"""Bulk apply: set or reset one setting for the selected customers, or all that match the filter."""
import sqlalchemy as sa
from flask import flash, redirect, request, url_for

from portal.auth import current_org_id, role_required
from portal.customers.routes import bp
from portal.domain.settings_fields import FIELDS_BY_NAME
from portal.domain.validation import ValidationFailed, whole_number
from portal.extensions import db
from portal.models import Customer
from portal.services import customer_search
from portal.services import settings_store as store
from portal.web.render import is_htmx, redirect_to, render
from portal.web.settings_rows import display_value, parse_input


def _selected_ids(flt):
    if request.form.get("scope") == "all":
        query = customer_search.filtered_customers(current_org_id(), flt).with_only_columns(Customer.id)
        return list(db.session.scalars(query.where(Customer.status == "active")))
    wanted = {whole_number(raw) for raw in request.form.getlist("ids")} - {None}
    if not wanted:
        return []
    return list(db.session.scalars(sa.select(Customer.id).where(
        Customer.organization_id == current_org_id(), Customer.status == "active", Customer.id.in_(wanted))))


@bp.post("/bulk-settings")
@role_required("manager")
def bulk_settings():
    """Review (count, field, value), then apply in one transaction when confirmed."""
    flt = customer_search.CustomerFilter.from_args(request.form)
    back = url_for("customers.overview", **flt.as_args())
    setting = FIELDS_BY_NAME.get(request.form.get("field", ""))
    if setting is None or setting not in store.BULK_FIELDS:
        flash("Choose a setting to change.", "error")
        return redirect(back)
    reset = request.form.get("reset") == "on"
    try:
        value = None if reset else parse_input(setting, request.form.get("value"))
    except ValueError as error:
        flash(f"{setting.label}: {error}", "error")
        return redirect(back)
    ids = _selected_ids(flt)
    if not ids:
        flash("Select at least one active customer (or choose all that match the filter).", "error")
        return redirect(back)
    what = (f"Reset {setting.label} to inherited" if reset or value is None
            else f"Set {setting.label} to {display_value(setting, value)}")
    if request.form.get("confirmed") != "yes":
        return render("customers/bulk_confirm.html", "confirm" if is_htmx() else None, what=what, count=len(ids),
                      form=request.form, back=back, modal=is_htmx())
    try:
        changed = store.bulk_update(current_org_id(), ids, setting.name, value)
        db.session.commit()
    except ValidationFailed as failed:
        db.session.rollback()
        flash(next(iter(failed.errors.values())), "error")
        return redirect(back)
    flash(f"{what}: {len(ids)} customer{'s' if len(ids) != 1 else ''} ({changed} changed).", "success")
    return redirect_to(back)
