"""The customer's Settings tab: every billing setting with its effective value and source, edited per row."""
from flask import abort, flash, redirect, request, url_for
from flask_login import login_required
from jinja2_fragments.flask import render_block

from portal.auth import role_required
from portal.customers.detail import (
    DETAIL,
    bp,
    load_customer,
    page_context,
    require_editable,
)
from portal.domain import settings as rules
from portal.domain.settings_fields import FIELDS_BY_NAME, SETTING_FIELDS
from portal.domain.validation import ValidationFailed, whole_number
from portal.extensions import db
from portal.services import settings_store as store
from portal.services.customers import VersionConflict
from portal.web.render import is_htmx, render
from portal.web.settings_rows import (
    ROWS_TEMPLATE,
    Row,
    display_value,
    json_example,
    parse_input,
    rows_for,
)

LABELS = {f.name: f.label for f in SETTING_FIELDS}


def settings_context(customer):
    """What the Settings tab (and the Overview's business information) shows."""
    resolved = store.resolve_customer(customer)
    own = store.customer_layer(customer)
    return {**timeline_context(customer, resolved), "scope": "customer", "groups": rows_for(resolved, own, SETTING_FIELDS),
            "effective": rules.effective_values(resolved), "sources": rules.sources(resolved),
            "attention": store.attention(customer, resolved), "settings_version": store.customer_settings(
                customer).version, "labels": LABELS, "describe_term": rules.describe_term}


def _row(customer, name):
    setting = FIELDS_BY_NAME.get(name)
    if setting is None:
        abort(404)
    resolved = store.resolve_customer(customer)
    own = store.customer_layer(customer)
    return Row(setting, own.get(name), resolved[name].value, resolved[name].source)


def _inherited_display(customer, setting):
    """What the field would be without the customer's own value."""
    value = rules.resolve(store.organization_layer(customer.organization_id), {})[setting.name]
    return f"{display_value(setting, value.value)} from {'Organization' if value.source == 'organization' else 'Default Values'}"


def _show(customer, name, kind, status=200, **extra):
    row = _row(customer, name)
    values = {"row": row, "focus": name if kind == "read" else None, "errors": {}, "value": row.input_value,
              "inherited_display": _inherited_display(customer, row.setting),
              "back_url": url_for("customers.tab", customer_id=customer.id, tab="settings"),
              "json_example": json_example(name) if row.setting.kind == "json" else "",
              "editing_setting": name if kind == "form" else None}
    values.update(extra)
    context = page_context(customer, "settings", **values)
    if not is_htmx():
        return render(DETAIL, None, status=status, **context)
    body = render_block(ROWS_TEMPLATE, "setting_row" if kind == "read" else "setting_form", **context)
    if kind == "read" and request.method == "POST":  # a saved setting can change the dunning timeline
        body += render_block(TIMELINE_TEMPLATE, "timeline", **context, oob=True)
    return body, status


@bp.get("/<int:customer_id>/settings/<name>")
@login_required
def setting(customer_id, name):
    """One row's read view (Cancel)."""
    return _show(load_customer(customer_id), name, "read")


@bp.get("/<int:customer_id>/settings/<name>/edit")
@role_required("manager")
def edit_setting(customer_id, name):
    """One row's inline form."""
    return _show(require_editable(load_customer(customer_id)), name, "form")


def _save(customer, name, value_of):
    try:
        raw = request.form.get("value", "")
        value = value_of()
        store.update_customer_settings(customer, {name: value},
                                       expected_version=whole_number(request.form.get("version", "")))
        db.session.commit()
    except ValueError as error:
        return _show(customer, name, "form", 422, errors={name: str(error)}, value=raw)
    except ValidationFailed as failed:
        db.session.rollback()
        return _show(customer, name, "form", 422, errors=failed.errors, value=raw)
    except VersionConflict:
        db.session.rollback()
        db.session.expire_all()
        customer = load_customer(customer.id)
        current = _row(customer, name)
        conflict = [(current.setting.label, current.display + f" ({current.source})", raw or "inherit")]
        return _show(customer, name, "form", 409, conflict=conflict, value=raw)
    if not is_htmx():
        flash("Saved.", "success")
        return redirect(url_for("customers.tab", customer_id=customer.id, tab="settings"))
    return _show(customer, name, "read")


@bp.post("/<int:customer_id>/settings/<name>")
@role_required("manager")
def save_setting(customer_id, name):
    """Set the customer's own value (empty inherits)."""
    customer = require_editable(load_customer(customer_id))
    setting = FIELDS_BY_NAME.get(name) or abort(404)
    return _save(customer, name, lambda: parse_input(setting, request.form.get("value")))


@bp.post("/<int:customer_id>/settings/<name>/reset")
@role_required("manager")
def reset_setting(customer_id, name):
    """Reset to inherited (customer-only fields: clear)."""
    customer = require_editable(load_customer(customer_id))
    if name not in FIELDS_BY_NAME:
        abort(404)
    return _save(customer, name, lambda: None)




TIMELINE_TEMPLATE = "customers/sections/timeline.html"


def timeline_context(customer, resolved=None):
    """The dunning timeline for the invoice date and amount asked for (today and 100.00 by default)."""
    from portal.domain import dunning as dunning_domain
    from portal.services import dunning

    errors = {}
    raw_date = request.args.get("invoice_date", "")
    raw_amount = request.args.get("amount", "")
    try:
        invoice_date = dunning_domain.parse_invoice_date(raw_date)
    except ValueError as error:
        errors["invoice_date"], invoice_date = str(error), dunning_domain.parse_invoice_date("")
    try:
        amount = dunning_domain.parse_money(raw_amount, customer.currency) if raw_amount else \
            100 * 10 ** dunning_domain.minor_units(customer.currency)
    except ValueError as error:
        errors["amount"], amount = str(error), 0
    result = dunning_domain.timeline(resolved or store.resolve_customer(customer), dunning.ladder(customer.organization_id),
                              invoice_date, amount or 0, customer.currency)
    return {"timeline": result, "timeline_errors": errors,
            "timeline_input": {"invoice_date": raw_date or invoice_date.isoformat(),
                               "amount": raw_amount or dunning_domain.money_input(amount, customer.currency)},
            "format_money": dunning_domain.format_money}


@bp.get("/<int:customer_id>/dunning-timeline")
@login_required
def dunning_timeline(customer_id):
    """The timeline block for another invoice date or amount."""
    customer = load_customer(customer_id)
    context = page_context(customer, "settings")
    status = 422 if context["timeline_errors"] else 200
    if is_htmx():
        return render_block(TIMELINE_TEMPLATE, "timeline", **context), status
    return render(DETAIL, None, status=status, **context)
