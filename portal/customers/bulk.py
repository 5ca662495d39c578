"""Bulk change: set or reset one setting for the selected customers, or all that match the filter; or move them
to a group.

Review checks the value by the field's rule and shows the count; Apply checks every customer's rules and
changes all of them or none. Errors at either step are shown in the dialog, with the input kept."""
import sqlalchemy as sa
from flask import flash, request, url_for

from portal.auth import current_org_id, role_required
from portal.customers import bp
from portal.domain import settings as settings_rules
from portal.domain.settings_fields import FIELDS_BY_NAME
from portal.domain.validation import ValidationFailed, whole_number
from portal.extensions import db
from portal.models import Customer
from portal.services import customer_search, groups
from portal.services import settings_store as store
from portal.web.render import is_htmx, redirect_to, render
from portal.web.settings_rows import display_value, parse_input

DIALOG = "customers/bulk_confirm.html"


def _selected_ids(flt):
    if request.form.get("scope") == "all":
        query = customer_search.filtered_customers(current_org_id(), flt).with_only_columns(Customer.id)
        return list(db.session.scalars(query.where(Customer.status == "active")))
    wanted = {whole_number(raw) for raw in request.form.getlist("ids")} - {None}
    if not wanted:
        return []
    return list(db.session.scalars(sa.select(Customer.id).where(
        Customer.organization_id == current_org_id(), Customer.status == "active", Customer.id.in_(wanted))))


def _checked_value(setting, reset):
    """The value the change sets (None resets), checked by the field's own rule; ValidationFailed names the field."""
    if setting is None or setting not in store.BULK_FIELDS:
        raise ValidationFailed({"field": "Choose a setting to change."})
    if reset:
        return None
    try:
        value = parse_input(setting, request.form.get("value"))
    except ValueError as error:
        raise ValidationFailed({"value": str(error)}) from None
    if value is None:
        raise ValidationFailed({"value": "Enter the new value, or tick “Reset to inherited instead”."})
    cleaned, errors = settings_rules.clean_layer_values({setting.name: value}, settings_rules.CUSTOMER_FIELDS)
    if errors:
        raise ValidationFailed({"value": errors[setting.name]})
    return cleaned[setting.name]


def _dialog(status=200, errors=None, **context):
    return render(DIALOG, "confirm", status=status, form=request.form, modal=is_htmx(),
                  bulk_fields=store.BULK_FIELDS, errors=errors or {}, **context)


@bp.post("/bulk-settings")
@role_required("manager")
def bulk_settings():
    """Review (count, field, value), then apply in one transaction when confirmed."""
    flt = customer_search.CustomerFilter.from_args(request.form)
    back = url_for("customers.overview", **flt.as_args())
    setting = FIELDS_BY_NAME.get(request.form.get("field", ""))
    reset = request.form.get("reset") == "on"
    ids = _selected_ids(flt)
    try:
        value = _checked_value(setting, reset)
        if not ids:
            raise ValidationFailed({"scope": "Select at least one active customer, or choose all that match the filter."})
    except ValidationFailed as failed:
        return _dialog(422, errors=failed.errors, back=back, count=len(ids), what=None)
    what = (f"Reset {setting.label} to inherited" if value is None
            else f"Set {setting.label} to {display_value(setting, value)}")
    if request.form.get("confirmed") != "yes":
        return _dialog(what=what, count=len(ids), back=back)
    try:
        changed = store.bulk_update(current_org_id(), ids, setting.name, value)
        db.session.commit()
    except ValidationFailed as failed:
        db.session.rollback()
        return _dialog(422, what=what, count=len(ids), back=back,
                       errors={"apply": next(iter(failed.errors.values()))})
    flash(f"{what}: {len(ids)} customer{'s' if len(ids) != 1 else ''} ({changed} changed).", "success")
    return redirect_to(back)


GROUP_DIALOG = "customers/bulk_group.html"
NO_GROUP = "none"


def _group_dialog(status=200, errors=None, **context):
    return render(GROUP_DIALOG, "confirm", status=status, form=request.form, modal=is_htmx(),
                  group_choices=groups.group_choices(current_org_id()), errors=errors or {}, **context)


def _chosen_group():
    """The group the customers move to (None: out of their group), checked; ValidationFailed names the field."""
    raw = request.form.get("group_id", "")
    if raw == NO_GROUP:
        return None
    if not raw:
        raise ValidationFailed({"group_id": "Choose a group, or “No group” to take them out of theirs."})
    try:
        return groups.get_group(current_org_id(), groups.group_id_of(current_org_id(), raw))
    except ValueError as error:
        raise ValidationFailed({"group_id": str(error)}) from None


@bp.post("/bulk-group")
@role_required("manager")
def bulk_group():
    """Move to group…: review (count, group), then move the selected customers (or all that match) in one
    transaction when confirmed; each customer that changes gets an entry in its Activity."""
    flt = customer_search.CustomerFilter.from_args(request.form)
    back = url_for("customers.overview", **flt.as_args())
    ids = _selected_ids(flt)
    try:
        group = _chosen_group()
        if not ids:
            raise ValidationFailed({"scope": "Select at least one active customer, or choose all that match the filter."})
    except ValidationFailed as failed:
        return _group_dialog(422, errors=failed.errors, back=back, count=len(ids), what=None)
    what = f"Move to group “{group.name}”" if group is not None else "Take out of their group"
    if request.form.get("confirmed") != "yes":
        return _group_dialog(what=what, count=len(ids), back=back)
    changed = groups.move_customers(current_org_id(), ids, group)
    db.session.commit()
    where = f"to group “{group.name}”" if group is not None else "out of their group"
    counted = f"{len(ids):,} customer{'s' if len(ids) != 1 else ''}"
    stayed = len(ids) - changed
    flash(f"{counted} moved {where}." if not stayed else
          f"{counted} moved {where}: {changed:,} moved, {stayed:,} {'was' if stayed == 1 else 'were'} there already.",
          "success")
    return redirect_to(back)
