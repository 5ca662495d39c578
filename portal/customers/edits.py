"""The customer's click-to-edit things, each an entry of the one inline-edit flow: sections (general, technical,
tax, properties), address and contact cards, and new payment methods."""
from abc import abstractmethod
from dataclasses import dataclass

from flask import abort, request

from portal.customers import bp, forms
from portal.customers.pages import (
    DETAIL,
    legal_entities,
    load_customer,
    page_context,
    require_editable,
    tab_url,
)
from portal.models import Customer
from portal.services import addresses as address_service
from portal.services import contacts as contact_service
from portal.services import customers as customer_service
from portal.services import groups as group_service
from portal.services import payment_methods as payment_service
from portal.services import properties as property_service
from portal.web.inline import Addable, CreatableEntry, Entry, register
from portal.web.render import done, is_htmx, render

HEADER = (DETAIL, "customer_head")


# --- sections: general (Overview), technical details, tax, properties ---------------------------------------

@dataclass
class Section:
    """One section of a customer, as the flow edits it."""

    customer: Customer
    name: str


class SectionEntry(Entry):
    """A section of the customer's own fields; properties are a section too."""

    name = "section"
    page_template = DETAIL
    # section -> (form class, template, tab)
    SECTIONS = {
        "general": (forms.GeneralForm, "customers/sections/general.html", "overview"),
        "technical": (forms.TechnicalForm, "customers/sections/technical.html", "technical"),
        "tax": (forms.TaxForm, "customers/sections/tax.html", "tax"),
        "properties": (None, "customers/sections/properties.html", "properties"),
    }

    def load(self, for_update=False, customer_id=None, section=None):
        if section not in self.SECTIONS:
            abort(404)
        return Section(load_customer(customer_id, for_update), section)

    def editable(self, subject):
        require_editable(subject.customer)
        return subject

    def form_class(self, subject):
        if subject.name == "properties":
            return forms.properties_form(property_service.definitions(subject.customer.organization_id))
        return self.SECTIONS[subject.name][0]

    def setup_form(self, form, subject):
        if isinstance(form, forms.GeneralForm):
            form.set_legal_entities(legal_entities(offered_to=True, keep=subject.customer.legal_entity_id))
        if isinstance(form, forms.TechnicalForm):
            form.set_groups(group_service.group_choices(subject.customer.organization_id))
        if subject.name == "properties":
            form.keep_retired_options()
        return form

    def initial(self, subject):
        return self.form_class(subject).initial(subject.customer)

    def save(self, subject, form):
        if subject.name == "properties":
            property_service.set_values(subject.customer, form.to_api())
        else:
            customer_service.update_customer(subject.customer, form.to_api())

    def key(self, subject):
        return subject.name

    def template_for(self, subject):
        return self.SECTIONS[subject.name][1]

    def context(self, subject, **extra):
        return page_context(subject.customer, self.SECTIONS[subject.name][2], **extra)

    def done_url(self, subject):
        return tab_url(subject.customer, self.SECTIONS[subject.name][2])

    def oob(self, subject):
        return (HEADER,) if subject.name in ("general", "technical") else ()  # the header names entity and group


register(bp, SectionEntry(), "/<int:customer_id>/sections/<section>")


# --- address and contact cards ----------------------------------------------------------------------------

class CardEntry(CreatableEntry):
    """A card in a list on a tab: an address or a contact. New ones are added to the list."""

    page_template = DETAIL
    tab = ""
    form_cls = None

    @abstractmethod
    def items(self, customer):
        """The customer's cards of this kind."""

    def load(self, for_update=False, customer_id=None, item_id=None):
        customer = load_customer(customer_id, for_update)
        item = next((i for i in self.items(customer) if i.id == item_id), None)
        if item is None:
            abort(404)
        return item

    def load_parent(self, for_update=False, customer_id=None):
        return load_customer(customer_id, for_update)

    def parent_editable(self, parent):
        return require_editable(parent)

    def editable(self, subject):
        require_editable(subject.customer)
        return subject

    def form_class(self, subject):
        return self.form_cls

    def initial(self, subject):
        return self.form_cls.initial(subject)

    def key(self, subject):
        return f"{self.name}-{subject.id}"

    def context(self, subject, **extra):
        return page_context(subject.customer, self.tab, **{self.name: subject}, **extra)

    def new_context(self, parent, **extra):
        return page_context(parent, self.tab, **{self.name: None}, **extra)

    def done_url(self, subject):
        return tab_url(subject.customer, self.tab)

    def list_answer(self, customer, focus=None, message="Saved."):
        """The whole list, so that every card is right after one was added or a flag moved between cards."""
        return done(message, tab_url(customer, self.tab), lambda: render(
            self.page_template, f"{self.name}_list", fragment_template=self.template,
            headers={"HX-Retarget": f"#{self.name}-list", "HX-Reswap": "outerHTML"},
            **page_context(customer, self.tab, focus=focus)))

    def created(self, parent, subject):
        return self.list_answer(parent, focus=self.key(subject))


class AddressEntry(CardEntry):
    name = "address"
    template = "customers/sections/addresses.html"
    read_block = "read_address"
    form_block = "address_form"
    tab = "addresses"
    form_cls = forms.AddressForm

    def items(self, customer):
        return customer.addresses

    def new_initial(self, parent):
        return {"type": request.args.get("type", "invoice"), "country": parent.country}

    def setup_form(self, form, subject):
        if subject is not None and subject.is_main:
            del form.type  # Invoice address 1 stays an invoice address: the form does not offer the type
            form.line1.flags.required = False  # it may be empty altogether (the address is optional at creation)
        return form

    def save(self, subject, form):
        address_service.update_address(subject, form.to_api())

    def create(self, parent, form):
        return address_service.create_address(parent, form.to_api())

    def oob(self, subject):
        return (HEADER,) if subject.is_main else ()


class ContactEntry(CardEntry):
    name = "contact"
    template = "customers/sections/contacts.html"
    read_block = "read_contact"
    form_block = "contact_form"
    tab = "contacts"
    form_cls = forms.ContactForm

    def items(self, customer):
        return customer.contacts

    def new_initial(self, parent):
        return {"email_preferences": ["billing"]}

    def setup_form(self, form, subject):
        if subject is not None and subject.is_primary:
            del form.is_primary  # the primary contact stays primary until another one is made primary
        return form

    def save(self, subject, form):
        contact_service.update_contact(subject, form.to_api())

    def create(self, parent, form):
        return contact_service.create_contact(parent, form.to_api())

    def saved(self, subject, form):
        if form.is_primary and form.is_primary.data and is_htmx():  # the primary flag moved here: every card changes
            return self.list_answer(subject.customer, focus=self.key(subject))
        return super().saved(subject, form)


ADDRESSES = register(bp, AddressEntry(), "/<int:customer_id>/addresses/<int:item_id>",
                     "/<int:customer_id>/addresses/new", "/<int:customer_id>/addresses")
CONTACTS = register(bp, ContactEntry(), "/<int:customer_id>/contacts/<int:item_id>",
                    "/<int:customer_id>/contacts/new", "/<int:customer_id>/contacts")


# --- payment methods: added through the flow; made default or removed by a button -----------------------------

class PaymentMethodEntry(Addable):
    """A new payment method (display data only); the list is redrawn after adding."""

    name = "payment_method"
    template = "customers/sections/payment_methods.html"
    form_block = "payment_form"
    page_template = DETAIL

    def load_parent(self, for_update=False, customer_id=None):
        return load_customer(customer_id, for_update)

    def parent_editable(self, parent):
        return require_editable(parent)

    def form_class(self, subject):
        return forms.PaymentMethodForm

    def new_key(self):
        return "payment-new"

    def done_url(self, subject):
        return tab_url(subject.customer, "payment-methods")

    def new_context(self, parent, **extra):
        return page_context(parent, "payment-methods", **extra)

    def create(self, parent, form):
        return payment_service.add_payment_method(parent, form.to_api())

    def created(self, parent, subject):
        return payment_list(parent, focus=f"payment-{subject.id}")

    def show_new(self, parent, form, status=200):
        if request.method == "GET":  # the Add button asked for the form in its place
            return super().show_new(parent, form, status)
        # After an error the whole list comes back with the form open: the form posts into the list.
        return render(DETAIL, "payment_list", fragment_template=self.template, status=status,
                      **self.new_context(parent, editing=self.new_key(), form=form, conflict=None, focus=None))


def payment_list(customer, focus=None, message="Saved."):
    """The payment methods list after a change (htmx), or the tab after a redirect."""
    return done(message, tab_url(customer, "payment-methods"), lambda: render(
        DETAIL, "payment_list", fragment_template=PaymentMethodEntry.template,
        headers={"HX-Retarget": "#payment-list", "HX-Reswap": "outerHTML"},
        **page_context(customer, "payment-methods", focus=focus)))


register(bp, PaymentMethodEntry(), new_rule="/<int:customer_id>/payment-methods/new",
         collection_rule="/<int:customer_id>/payment-methods")
