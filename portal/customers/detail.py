"""The customer detail page: tabs with their own URLs and click-to-edit sections."""
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.auth import current_org_id, role_required
from portal.customers import forms
from portal.customers.routes import _legal_entities, bp
from portal.domain.validation import ValidationFailed, whole_number
from portal.extensions import db
from portal.models import AuditEvent, Customer
from portal.services import addresses as address_service
from portal.services import contacts as contact_service
from portal.services import customer_search
from portal.services import customers as customer_service
from portal.services import payment_methods as payment_service
from portal.services import properties as property_service
from portal.services.customers import VersionConflict
from portal.web.render import is_htmx, redirect_to, render

TABS = (
    ("overview", "Overview"), ("addresses", "Addresses"), ("contacts", "Contacts"), ("properties", "Properties"),
    ("technical", "Technical details"), ("tax", "Tax"), ("payment-methods", "Payment methods"),
    ("settings", "Settings"), ("activity", "Activity"),
)
TAB_NAMES = {name for name, _label in TABS}
DETAIL = "customers/detail.html"
EVENTS_PER_PAGE = 25


def load_customer(customer_id):
    """The customer of the signed-in user's organization with its parts, or 404."""
    customer = db.session.scalar(
        sa.select(Customer).where(Customer.id == customer_id, Customer.organization_id == current_org_id())
        .options(selectinload(Customer.aliases), selectinload(Customer.addresses), selectinload(Customer.contacts),
                 selectinload(Customer.payment_methods), selectinload(Customer.property_values)))
    if customer is None:
        abort(404)
    return customer


def can_edit(customer):
    return current_user.can("manager") and customer.status == "active"


def page_context(customer, tab, **extra):
    """What every tab of the detail page needs."""
    context = {"customer": customer, "tab": tab, "tabs": TABS, "can_edit": can_edit(customer),
               "recipients": contact_service.recipients(customer), "editing": None, "form": None,
               "focus": None, "conflict": None}
    if tab == "properties":
        context["definitions"] = property_service.definitions(customer.organization_id)
        context["property_values"] = property_service.values_of(customer)
    if tab == "activity":
        context["events"] = activity_page(customer)
    if tab == "settings":
        from portal.customers.settings_tab import settings_context

        context.update(settings_context(customer))
    if tab == "overview":
        from portal.domain import settings as settings_rules
        from portal.services.settings_store import resolve_customer

        context.update(effective=settings_rules.effective_values(resolve_customer(customer)),
                       describe_term=settings_rules.describe_term)
    context.update(extra)
    return context


def activity_page(customer):
    page = request.args.get("page", "1")
    page = whole_number(page) or 1
    query = sa.select(AuditEvent).where(AuditEvent.organization_id == customer.organization_id,
                                        AuditEvent.customer_id == customer.id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(EVENTS_PER_PAGE)
                              .offset((page - 1) * EVENTS_PER_PAGE)).all()
    return customer_search.Page(rows=rows, total=total, page=page, per_page=EVENTS_PER_PAGE)


def tab_url(customer, tab):
    if tab == "overview":
        return url_for("customers.detail", customer_id=customer.id)
    return url_for("customers.tab", customer_id=customer.id, tab=tab)


@bp.route("/<int:customer_id>", endpoint="detail")
@bp.route("/<int:customer_id>/<any(overview, addresses, contacts, properties, technical, tax, "
           "'payment-methods', settings, activity):tab>")
@login_required
def tab(customer_id, tab="overview"):
    """A tab of the detail page: the page, or (for the tab bar) only the tabs block."""
    if tab not in TAB_NAMES:
        abort(404)
    customer = load_customer(customer_id)
    block = "tabs" if request.headers.get("HX-Target") == "tabs" else None
    return render(DETAIL, block, **page_context(customer, tab))


# --- one click-to-edit flow for every section -------------------------------------------------------

@dataclass
class Edit:
    """One section being edited: where it is shown and how its input is saved."""

    customer: Customer
    tab: str
    template: str
    form: forms.SectionForm
    key: str  # `editing` while this section shows its form; `focus` after it saved
    current: object  # the record whose version the form carries
    read_block: str = "read"
    form_block: str = "form"
    item_name: str | None = None  # the name the template knows the record by (address, contact)
    header_changes: bool = False  # whether a save can change the page header (the customer's name)

    def context(self, **extra):
        context = page_context(self.customer, self.tab, form=self.form, **extra)
        if self.item_name:
            context[self.item_name] = self.current
        return context

    def show(self, kind, status=200, **extra):
        """The section's read view or form; without htmx, the whole tab with it."""
        editing = self.key if kind == "form" else None
        context = self.context(editing=editing, **extra)
        if not is_htmx():
            return render(DETAIL, None, status=status, **context)
        body = render_block(self.template, self.read_block if kind == "read" else self.form_block, **context)
        if kind == "read" and status == 200 and self.header_changes and request.method == "POST":
            body += render_block(DETAIL, "customer_head", **self.context(oob=True))
        return body, status

    def save(self, apply):
        """Run `apply()`; answer the read view, the form with errors (422) or the conflict view (409)."""
        if not self.form.validate_on_submit():
            return self.show("form", 422)
        try:
            apply()
            db.session.commit()
        except ValidationFailed as failed:
            db.session.rollback()
            self.form.add_errors(failed.errors)
            return self.show("form", 422)
        except (VersionConflict, StaleDataError):
            db.session.rollback()
            return self.conflict()
        if not is_htmx():
            flash("Saved.", "success")
            return redirect(tab_url(self.customer, self.tab))
        return self.show("read", focus=self.key)

    def conflict(self):
        """Someone saved first: show their values beside the user's input; the form now carries their version."""
        db.session.expire_all()
        self.customer = load_customer(self.customer.id)
        current = refreshed(self.current, self.customer)
        if current is None:
            flash("This entry was removed by someone else meanwhile.", "error")
            if is_htmx():
                return "", 204, {"HX-Refresh": "true"}
            return redirect(tab_url(self.customer, self.tab))
        theirs = type(self.form)(formdata=None, data=self.form.initial(current), meta={"csrf": False})
        if isinstance(self.form, forms.GeneralForm):
            theirs.set_legal_entities(_legal_entities())
        changes = [(field.label.text, display(theirs[field.name].data), display(field.data))
                   for field in self.form if field.name not in ("csrf_token", "version")
                   and display(theirs[field.name].data) != display(field.data)]
        self.form.version.data = str(current.version)
        self.current = current
        return self.show("form", 409, conflict=changes)


def refreshed(record, customer):
    """The same record as loaded now, or None when it is gone."""
    if isinstance(record, Customer):
        return customer
    for item in (*customer.addresses, *customer.contacts):
        if type(item) is type(record) and item.id == record.id:
            return item
    return None


def display(value):
    if isinstance(value, list):
        return ", ".join(value)
    if value is True:
        return "yes"
    if value in (False, None):
        return "" if value is None else "no"
    return str(value).strip()


def _expected_version(form):
    return whole_number(form.version.data or "")


def require_editable(customer):
    """403 unless the user may change this customer now (role, and not archived)."""
    if not can_edit(customer):
        abort(403, "Archived customers are read-only; restore the customer first.")
    return customer


def _editable(edit):
    require_editable(edit.customer)
    return edit


# --- customer sections: general (Overview), technical, tax -------------------------------------------

CUSTOMER_SECTIONS = {
    "general": (forms.GeneralForm, "customers/sections/general.html", "overview"),
    "technical": (forms.TechnicalForm, "customers/sections/technical.html", "technical"),
    "tax": (forms.TaxForm, "customers/sections/tax.html", "tax"),
}


def customer_section(customer_id, section):
    if section not in CUSTOMER_SECTIONS:
        abort(404)
    customer = load_customer(customer_id)
    form_class, template, tab_name = CUSTOMER_SECTIONS[section]
    if request.method == "POST":
        form = form_class()
    else:
        form = form_class(formdata=None, data={**form_class.initial(customer), "version": str(customer.version)})
    if isinstance(form, forms.GeneralForm):
        form.set_legal_entities(_legal_entities())
    return Edit(customer, tab_name, template, form, section, customer, header_changes=section == "general")


@bp.get("/<int:customer_id>/sections/<section>")
@login_required
def section(customer_id, section):
    """A section's read view (Cancel)."""
    edit = customer_section(customer_id, section)
    return edit.show("read", focus=section)


@bp.get("/<int:customer_id>/sections/<section>/edit")
@role_required("manager")
def edit_section(customer_id, section):
    """A section's form."""
    return _editable(customer_section(customer_id, section)).show("form")


@bp.post("/<int:customer_id>/sections/<section>")
@role_required("manager")
def save_section(customer_id, section):
    """Save a section by the shared rules; the header follows a change of name."""
    edit = _editable(customer_section(customer_id, section))
    return edit.save(lambda: customer_service.update_customer(
        edit.customer, edit.form.to_api(), expected_version=_expected_version(edit.form)))


# --- addresses and contacts: cards in a list ---------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """A kind of card on a tab: addresses or contacts."""

    name: str  # address | contact
    tab: str
    template: str
    form_class: type
    service_update: object
    service_create: object
    service_delete: object

    def items(self, customer):
        return customer.addresses if self.name == "address" else customer.contacts

    def find(self, customer, item_id):
        item = next((i for i in self.items(customer) if i.id == item_id), None)
        if item is None:
            abort(404)
        return item

    def edit(self, customer_id, item_id=None):
        customer = load_customer(customer_id)
        item = self.find(customer, item_id) if item_id else None
        if request.method == "POST":
            form = self.form_class()
        elif item is not None:
            form = self.form_class(formdata=None, data={**self.form_class.initial(item), "version": str(item.version)})
        else:
            form = self.form_class(formdata=None, data=self.new_defaults(customer))
        key = f"{self.name}-{item_id or 'new'}"
        return Edit(customer, self.tab, self.template, form, key, item, read_block=f"read_{self.name}",
                    form_block=f"{self.name}_form", item_name=self.name,
                    header_changes=self.name == "address" and item is not None and item.is_main)

    def new_defaults(self, customer):
        if self.name == "address":
            return {"type": request.args.get("type", "invoice"), "country": customer.country}
        return {"email_preferences": ["billing"]}

    def to_api(self, edit):
        if self.name == "address":
            return edit.form.to_api(main=bool(edit.current and edit.current.is_main))
        return edit.form.to_api()

    def list_response(self, edit, focus=None):
        """After adding, removing or moving the primary flag: the whole list, so every card is right."""
        if not is_htmx():
            flash("Saved.", "success")
            return redirect(tab_url(edit.customer, edit.tab))
        edit.customer = load_customer(edit.customer.id)
        body = render_block(self.template, f"{self.name}_list", **page_context(edit.customer, edit.tab, focus=focus))
        return body, 200, {"HX-Retarget": f"#{self.name}-list", "HX-Reswap": "outerHTML"}


PARTS = {
    "addresses": Part("address", "addresses", "customers/sections/addresses.html", forms.AddressForm,
                      address_service.update_address, address_service.create_address,
                      address_service.delete_address),
    "contacts": Part("contact", "contacts", "customers/sections/contacts.html", forms.ContactForm,
                     contact_service.update_contact, contact_service.create_contact,
                     contact_service.delete_contact),
}


def _part(kind):
    if kind not in PARTS:
        abort(404)
    return PARTS[kind]


@bp.get("/<int:customer_id>/<any(addresses, contacts):kind>/<int:item_id>")
@login_required
def part(customer_id, kind, item_id):
    """A card's read view (Cancel)."""
    edit = _part(kind).edit(customer_id, item_id)
    return edit.show("read", focus=edit.key)


@bp.get("/<int:customer_id>/<any(addresses, contacts):kind>/<int:item_id>/edit")
@bp.get("/<int:customer_id>/<any(addresses, contacts):kind>/new")
@role_required("manager")
def edit_part(customer_id, kind, item_id=None):
    """A card's form, or the form of a new one."""
    return _editable(_part(kind).edit(customer_id, item_id)).show("form")


@bp.post("/<int:customer_id>/<any(addresses, contacts):kind>/<int:item_id>")
@role_required("manager")
def save_part(customer_id, kind, item_id):
    """Save a card; a contact that became primary redraws the list (the flag moved)."""
    part = _part(kind)
    edit = _editable(part.edit(customer_id, item_id))
    was_primary = getattr(edit.current, "is_primary", None)
    response = edit.save(lambda: part.service_update(edit.current, part.to_api(edit),
                                                     expected_version=_expected_version(edit.form)))
    if is_htmx() and isinstance(response, tuple) and response[1] == 200 and part.name == "contact" \
            and edit.current.is_primary != was_primary:
        return part.list_response(edit, focus=edit.key)
    return response


@bp.post("/<int:customer_id>/<any(addresses, contacts):kind>")
@role_required("manager")
def create_part(customer_id, kind):
    """Add an address or a contact."""
    part = _part(kind)
    edit = _editable(part.edit(customer_id))
    if not edit.form.validate_on_submit():
        return edit.show("form", 422)
    try:
        item = part.service_create(edit.customer, part.to_api(edit))
        db.session.commit()
    except ValidationFailed as failed:
        db.session.rollback()
        edit.form.add_errors(failed.errors)
        return edit.show("form", 422)
    return part.list_response(edit, focus=f"{part.name}-{item.id}")


@bp.post("/<int:customer_id>/<any(addresses, contacts):kind>/<int:item_id>/delete")
@role_required("manager")
def delete_part(customer_id, kind, item_id):
    """Remove an address or a contact (not Invoice address 1, not the primary contact)."""
    part = _part(kind)
    edit = _editable(part.edit(customer_id, item_id))
    try:
        part.service_delete(edit.current)
        db.session.commit()
    except ValidationFailed as failed:
        db.session.rollback()
        abort(422, next(iter(failed.errors.values())))
    return part.list_response(edit)


@bp.post("/<int:customer_id>/contacts/<int:item_id>/primary")
@role_required("manager")
def make_primary(customer_id, item_id):
    """Make this contact the primary one (the flag moves)."""
    part = PARTS["contacts"]
    edit = _editable(part.edit(customer_id, item_id))
    contact_service.update_contact(edit.current, {"isPrimary": True})
    db.session.commit()
    return part.list_response(edit, focus=f"contact-{item_id}")


# --- payment methods --------------------------------------------------------------------------------------

PAYMENTS_TEMPLATE = "customers/sections/payment_methods.html"


def _payments_response(customer, form=None, status=200, focus=None):
    if not is_htmx():
        if status == 200:
            flash("Saved.", "success")
            return redirect(tab_url(customer, "payment-methods"))
        return render(DETAIL, None, status=status, **page_context(customer, "payment-methods", form=form,
                                                                  editing="payment-new"))
    context = page_context(customer, "payment-methods", form=form, focus=focus,
                           editing="payment-new" if status != 200 else None)
    return render_block(PAYMENTS_TEMPLATE, "payment_list", **context), status, {
        "HX-Retarget": "#payment-list", "HX-Reswap": "outerHTML"}


@bp.get("/<int:customer_id>/payment-methods/new")
@role_required("manager")
def new_payment_method(customer_id):
    customer = require_editable(load_customer(customer_id))
    form = forms.PaymentMethodForm(formdata=None)
    context = page_context(customer, "payment-methods", form=form, editing="payment-new")
    if is_htmx():
        return render_block(PAYMENTS_TEMPLATE, "payment_form", **context)
    return render(DETAIL, None, **context)


@bp.post("/<int:customer_id>/payment-methods")
@role_required("manager")
def add_payment_method(customer_id):
    customer = require_editable(load_customer(customer_id))
    form = forms.PaymentMethodForm()
    if form.validate_on_submit():
        try:
            method = payment_service.add_payment_method(customer, form.to_api())
            db.session.commit()
            return _payments_response(customer, focus=f"payment-{method.id}")
        except ValidationFailed as failed:
            db.session.rollback()
            form.add_errors(failed.errors)
    return _payments_response(customer, form, 422)


def _payment_method(customer, method_id):
    method = next((m for m in customer.payment_methods if m.id == method_id), None)
    if method is None:
        abort(404)
    return method


@bp.post("/<int:customer_id>/payment-methods/<int:method_id>/default")
@role_required("manager")
def default_payment_method(customer_id, method_id):
    customer = require_editable(load_customer(customer_id))
    payment_service.set_default(customer, _payment_method(customer, method_id))
    db.session.commit()
    return _payments_response(customer, focus=f"payment-{method_id}")


@bp.post("/<int:customer_id>/payment-methods/<int:method_id>/delete")
@role_required("manager")
def delete_payment_method(customer_id, method_id):
    customer = require_editable(load_customer(customer_id))
    try:
        payment_service.remove_payment_method(customer, _payment_method(customer, method_id))
        db.session.commit()
    except ValidationFailed as failed:
        db.session.rollback()
        abort(422, next(iter(failed.errors.values())))
    return _payments_response(customer)


# --- properties --------------------------------------------------------------------------------------------

PROPERTIES_TEMPLATE = "customers/sections/properties.html"


def properties_edit(customer_id):
    customer = load_customer(customer_id)
    definitions = property_service.definitions(customer.organization_id)
    values = property_service.values_of(customer)
    form_class = forms.properties_form(definitions)
    if request.method == "POST":
        form = form_class()
    else:
        form = form_class(formdata=None, data={**form_class.initial_from(values), "version": str(customer.version)})
    return Edit(customer, "properties", PROPERTIES_TEMPLATE, form, "properties", customer)


@bp.get("/<int:customer_id>/properties/edit")
@role_required("manager")
def edit_properties(customer_id):
    return _editable(properties_edit(customer_id)).show("form")


@bp.get("/<int:customer_id>/properties/view")
@login_required
def view_properties(customer_id):
    return properties_edit(customer_id).show("read", focus="properties")


@bp.post("/<int:customer_id>/properties")
@role_required("manager")
def save_properties(customer_id):
    edit = _editable(properties_edit(customer_id))

    def apply():
        customer = edit.customer
        if _expected_version(edit.form) and int(_expected_version(edit.form)) != customer.version:
            raise VersionConflict(customer)
        if property_service.set_values(customer, edit.form.to_api()):
            customer.version += 1  # property values are part of the customer: others must see the change

    return edit.save(apply)


# --- archive and restore --------------------------------------------------------------------------------

@bp.route("/<int:customer_id>/<any(archive, restore):action>", methods=["GET", "POST"])
@role_required("manager")
def archive(customer_id, action):
    """Archive (after confirmation) or restore; archived customers are read-only."""
    customer = load_customer(customer_id)
    if request.method == "GET":
        return render("customers/confirm_archive.html", None, customer=customer, action=action)
    status = "archived" if action == "archive" else "active"
    if customer.status != status:
        customer_service.update_customer(customer, {"status": status})
        db.session.commit()
    flash(f"{customer.name} is {'archived' if status == 'archived' else 'active again'}.", "success")
    return redirect_to(url_for("customers.detail", customer_id=customer.id))
