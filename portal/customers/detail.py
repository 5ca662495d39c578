"""The customer detail page: tabs with their own URLs, archive and restore, and the buttons on cards and lists
(remove, make primary, make default). Editing is the inline-edit flow's (portal.customers.edits)."""
from flask import abort, flash, request, url_for
from flask_login import login_required

from portal.auth import role_required
from portal.customers import bp
from portal.customers.edits import ADDRESSES, CONTACTS, payment_list
from portal.customers.pages import (
    ACTIVITY_LIST,
    ACTIVITY_TEMPLATE,
    DETAIL,
    TAB_NAMES,
    load_customer,
    page_context,
    require_editable,
)
from portal.domain.validation import ValidationFailed
from portal.extensions import db
from portal.services import addresses as address_service
from portal.services import contacts as contact_service
from portal.services import customers as customer_service
from portal.services import payment_methods as payment_service
from portal.web.render import redirect_to, render, targets


@bp.route("/<int:customer_id>", endpoint="detail")
@bp.route("/<int:customer_id>/<any(overview, addresses, contacts, properties, technical, tax, "
          "'payment-methods', settings, activity):tab>")
@login_required
def tab(customer_id, tab="overview"):
    """A tab of the detail page: the page, or (for the tab bar) only the tabs block."""
    if tab not in TAB_NAMES:
        abort(404)
    customer = load_customer(customer_id)
    if tab == "activity" and targets(ACTIVITY_LIST):  # the Activity tab's filters and pages swap only its list
        return render(DETAIL, "activity_list", fragment_template=ACTIVITY_TEMPLATE, **page_context(customer, tab))
    return render(DETAIL, "tabs" if targets("tabs") else None, **page_context(customer, tab))


def _refused(failed):
    db.session.rollback()
    abort(422, next(iter(failed.errors.values())))


# --- remove a card, move the primary flag ------------------------------------------------------------------

CARDS = {"addresses": (ADDRESSES, address_service.delete_address), "contacts": (CONTACTS, contact_service.delete_contact)}


@bp.post("/<int:customer_id>/<any(addresses, contacts):kind>/<int:item_id>/delete")
@role_required("manager")
def delete_card(customer_id, kind, item_id):
    """Remove an address or a contact (not Invoice address 1, not the primary contact)."""
    entry, delete = CARDS[kind]
    item = entry.editable(entry.load(for_update=True, customer_id=customer_id, item_id=item_id))
    try:
        delete(item)
        db.session.commit()
    except ValidationFailed as failed:
        _refused(failed)
    return entry.list_answer(load_customer(customer_id))


@bp.post("/<int:customer_id>/contacts/<int:item_id>/primary")
@role_required("manager")
def make_primary(customer_id, item_id):
    """Make this contact the primary one (the flag moves)."""
    contact = CONTACTS.editable(CONTACTS.load(for_update=True, customer_id=customer_id, item_id=item_id))
    contact_service.update_contact(contact, {"isPrimary": True})
    db.session.commit()
    return CONTACTS.list_answer(load_customer(customer_id), focus=f"contact-{item_id}")


# --- payment methods: make default, remove ------------------------------------------------------------------

def _payment_method(customer, method_id):
    method = next((m for m in customer.payment_methods if m.id == method_id), None)
    if method is None:
        abort(404)
    return method


@bp.post("/<int:customer_id>/payment-methods/<int:method_id>/default")
@role_required("manager")
def default_payment_method(customer_id, method_id):
    customer = require_editable(load_customer(customer_id, for_update=True))
    payment_service.set_default(customer, _payment_method(customer, method_id))
    db.session.commit()
    return payment_list(customer, focus=f"payment-{method_id}")


@bp.post("/<int:customer_id>/payment-methods/<int:method_id>/delete")
@role_required("manager")
def delete_payment_method(customer_id, method_id):
    customer = require_editable(load_customer(customer_id, for_update=True))
    try:
        payment_service.remove_payment_method(customer, _payment_method(customer, method_id))
        db.session.commit()
    except ValidationFailed as failed:
        _refused(failed)
    return payment_list(load_customer(customer_id))


# --- archive and restore --------------------------------------------------------------------------------

@bp.route("/<int:customer_id>/<any(archive, restore):action>", methods=["GET", "POST"])
@role_required("manager")
def archive(customer_id, action):
    """Archive (after confirmation) or restore; archived customers are read-only."""
    customer = load_customer(customer_id, for_update=request.method == "POST")
    if request.method == "GET":
        return render("customers/confirm_archive.html", customer=customer, action=action)
    status = "archived" if action == "archive" else "active"
    if customer.status != status:
        customer_service.update_customer(customer, {"status": status})
        db.session.commit()
    flash(f"{customer.name} is {'archived' if status == 'archived' else 'active again'}.", "success")
    return redirect_to(url_for("customers.detail", customer_id=customer.id))
