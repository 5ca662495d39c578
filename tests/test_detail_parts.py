"""Address and contact cards, properties and payment methods on the detail page."""
import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Address, Contact, Customer, PaymentMethod, PropertyDefinition
from tests.html_forms import post_form, text_of
from tests.test_detail import html


@pytest.fixture
def customer(make, org):
    return make.customer(org, name="Parts GmbH", invoiceAddress={"line1": "Gartenweg 5", "city": "Berlin"})


def card_url(customer, kind, item):
    return f"/customers/{customer.id}/{kind}/{item.id}/edit"


# --- addresses ----------------------------------------------------------------------------------------------

def test_edit_address_card_in_place(as_manager, customer):
    address = customer.addresses[0]
    form = as_manager.get(f"/customers/{customer.id}/addresses/{address.id}/edit", htmx=True)
    assert html(form).lstrip().startswith(f'<section class="card section editing" id="address-{address.id}"')
    response = as_manager.save(card_url(customer, "addresses", address), {"city": "Potsdam"})
    assert response.status_code == 200 and "Potsdam" in html(response) and "<form" not in html(response).split(
        'id="customer-head"')[0].split("Remove")[0]


def test_renaming_on_invoice_address_1_renames_the_customer(as_manager, customer):
    address = customer.addresses[0]
    response = as_manager.save(card_url(customer, "addresses", address), {"name": "Parts & Co. KG"})
    assert response.status_code == 200
    assert 'id="customer-head" hx-swap-oob="true"' in html(response)
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).name == "Parts & Co. KG"


def test_add_and_remove_a_shipping_address(as_manager, customer):
    form = as_manager.get(f"/customers/{customer.id}/addresses/new?type=shipping", htmx=True)
    assert 'id="address-new"' in html(form) and '<option selected value="shipping">' in html(form)
    created = as_manager.post(f"/customers/{customer.id}/addresses", {
        "type": "shipping", "name": "Warehouse", "line1": "Dock 4", "city": "Hamburg", "country": "DE"}, htmx=True)
    assert created.status_code == 200
    assert created.headers["HX-Retarget"] == "#address-list"
    assert "Warehouse" in html(created) and "Invoice address 1" in html(created)
    shipping = db.session.scalar(sa.select(Address).where(Address.name == "Warehouse"))
    removed = as_manager.post(f"/customers/{customer.id}/addresses/{shipping.id}/delete", htmx=True)
    assert removed.status_code == 200 and "Warehouse" not in html(removed)


def test_invoice_address_1_has_no_remove_and_cannot_be_removed(as_manager, customer):
    address = customer.addresses[0]
    page = html(as_manager.get(f"/customers/{customer.id}/addresses"))
    assert f"/addresses/{address.id}/delete" not in page
    assert as_manager.post(f"/customers/{customer.id}/addresses/{address.id}/delete").status_code == 422


def test_address_errors_keep_input(as_manager, customer):
    response = as_manager.post(f"/customers/{customer.id}/addresses", {
        "type": "shipping", "line1": "Dock 4", "city": "Hamburg", "country": ""}, htmx=True)
    assert response.status_code == 422
    assert "Country is required." in html(response) and 'value="Dock 4"' in html(response)


def test_address_conflict(as_manager, customer):
    from portal.services.addresses import update_address

    address = customer.addresses[0]
    form = as_manager.open_form(card_url(customer, "addresses", address))
    update_address(address, {"city": "Their City"})
    db.session.commit()
    response = as_manager.submit(form, {"city": "Mine City"})
    assert response.status_code == 409
    assert "<td>Their City</td><td>Mine City</td>" in html(response)


# --- contacts ---------------------------------------------------------------------------------------------

def contact_data(**changes):
    data = {"first_name": "", "last_name": "", "email": "", "phone": "", "email_preferences": []}
    data.update(changes)
    return data


def test_who_receives_what(as_manager, customer):
    page = text_of(html(as_manager.get(f"/customers/{customer.id}/contacts")))
    assert "Who receives what" in page and "Invoices" in page and customer.primary_contact.email in page


def test_add_contact_and_make_it_primary(as_manager, customer):
    response = as_manager.post(f"/customers/{customer.id}/contacts", contact_data(
        first_name="Grace", last_name="Hopper", email="grace@parts.example", email_preferences=["legal"]), htmx=True)
    assert response.status_code == 200 and response.headers["HX-Retarget"] == "#contact-list"
    grace = db.session.scalar(sa.select(Contact).where(Contact.email == "grace@parts.example"))
    assert not grace.is_primary
    response = as_manager.post(f"/customers/{customer.id}/contacts/{grace.id}/primary", htmx=True)
    assert response.status_code == 200
    db.session.expire_all()
    primaries = db.session.scalars(sa.select(Contact.email).where(Contact.customer_id == customer.id,
                                                                  Contact.is_primary)).all()
    assert primaries == ["grace@parts.example"]
    general = html(as_manager.get(f"/customers/{customer.id}"))
    assert "grace@parts.example" in general.split('id="primary-email"')[1][:80]


def test_contact_preferences_change_who_receives_what(as_manager, customer):
    contact = customer.primary_contact
    response = as_manager.save(card_url(customer, "contacts", contact), {"email_preferences": ["updates"]})
    assert response.status_code == 200
    page = html(as_manager.get(f"/customers/{customer.id}/contacts"))
    assert "(primary contact: no one has “billing”)" in page
    legal = page.split("Legal notices</dt><dd>")[1].split("</dd>")[0]
    assert "no one" in legal


def test_contact_email_is_checked_and_unique(as_manager, customer):
    response = as_manager.post(f"/customers/{customer.id}/contacts",
                               contact_data(email=customer.primary_contact.email, first_name="Twin"), htmx=True)
    assert response.status_code == 422
    assert "Another contact of this customer has this email." in html(response) and 'value="Twin"' in html(response)
    bad = as_manager.post(f"/customers/{customer.id}/contacts", contact_data(email="nope"), htmx=True)
    assert bad.status_code == 422 and "Not a valid email address" in html(bad)


def test_primary_contact_cannot_be_removed(as_manager, customer):
    contact = customer.primary_contact
    assert f"/contacts/{contact.id}/delete" not in html(as_manager.get(f"/customers/{customer.id}/contacts"))
    assert as_manager.post(f"/customers/{customer.id}/contacts/{contact.id}/delete").status_code == 422


def test_contact_conflict(as_manager, customer):
    from portal.services.contacts import update_contact

    contact = customer.primary_contact
    form = as_manager.open_form(card_url(customer, "contacts", contact))
    update_contact(contact, {"phone": "+49 222"})
    db.session.commit()
    response = as_manager.submit(form, {"phone": "+49 111"})
    assert response.status_code == 409 and "<td>+49 222</td><td>+49 111</td>" in html(response)


# --- properties ----------------------------------------------------------------------------------------------

@pytest.fixture
def definitions(org):
    from portal.services.properties import create_definition

    create_definition(org.id, {"key": "employees", "label": "Employees", "type": "number"})
    create_definition(org.id, {"key": "industry", "label": "Industry", "type": "select",
                               "options": ["Retail", "Software"], "required": True})
    create_definition(org.id, {"key": "since", "label": "Contract start", "type": "date"})
    create_definition(org.id, {"key": "vip", "label": "Key account", "type": "boolean"})
    db.session.commit()


def test_properties_are_edited_inline_with_type_validation(as_manager, customer, definitions):
    base = {"p_employees": "abc", "p_industry": "", "p_since": "2024-13-01", "p_vip": "true"}
    response = as_manager.save(f"/customers/{customer.id}/sections/properties/edit", base)
    assert response.status_code == 422
    body = html(response)
    assert "Enter a number." in body and "Enter a date as YYYY-MM-DD." in body
    assert "Industry is required." not in body  # it had no value and still has none: that blocks nothing
    good = {"p_employees": "250", "p_industry": "Software", "p_since": "2024-03-01"}
    response = as_manager.submit(post_form(body), good)
    assert response.status_code == 200
    assert "250" in html(response) and "Software" in html(response) and "Yes" in html(response)


def test_no_properties_defined_explains_where_to_define_them(auth, make, org, customer):
    auth.login(make.user(org, "admin"))
    body = html(auth.get(f"/customers/{customer.id}/properties"))
    assert "No properties are defined yet." in body and "/organization/properties" in body


def test_admin_defines_properties(auth, make, org):
    auth.login(make.user(org, "admin"))
    created = auth.post("/organization/properties", {"new-key": "tier", "new-label": "Tier", "new-type": "select",
                                                      "new-options": "Gold, Silver"}, htmx=True)
    assert created.status_code == 200 and created.headers["HX-Retarget"] == "#definitions"
    assert "Property “Tier” added." in html(created)  # the confirmation comes with the answer, as a toast
    definition = db.session.scalar(sa.select(PropertyDefinition))
    assert definition.options == ["Gold", "Silver"]
    bad = auth.post("/organization/properties", {"new-key": "Tier X", "new-label": "", "new-type": "select",
                                                  "new-options": ""}, htmx=True)
    assert bad.status_code == 422
    assert "Lower-case letters" in html(bad) and "Label is required." in html(bad)
    assert post_form(html(bad)).get("new-key") == "Tier X"
    saved = auth.save(f"/organization/properties/{definition.id}/edit", {f"definition-{definition.id}-label": "Level"})
    assert saved.status_code == 200 and "<td>Level</td>" in html(saved) and "editing" not in html(saved)
    assert "Property “Level” saved." in html(saved)
    assert auth.post(f"/organization/properties/{definition.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(PropertyDefinition.id))) == 0


def test_managers_cannot_define_properties(as_manager):
    assert as_manager.get("/organization/properties").status_code == 403


# --- payment methods -----------------------------------------------------------------------------------------

def test_add_default_and_remove_payment_methods(as_manager, customer):
    base = f"/customers/{customer.id}/payment-methods"
    first = as_manager.post(base, {"type": "card", "label": "Visa •••• 4242"}, htmx=True)
    assert first.status_code == 200 and "default" in html(first)
    as_manager.post(base, {"type": "sepa_debit", "label": "SEPA DE89 •••• 3000"}, htmx=True)
    methods = db.session.scalars(sa.select(PaymentMethod).order_by(PaymentMethod.id)).all()
    assert [m.is_default for m in methods] == [True, False]
    as_manager.post(f"{base}/{methods[1].id}/default", htmx=True)
    db.session.expire_all()
    assert [m.is_default for m in db.session.scalars(sa.select(PaymentMethod).order_by(PaymentMethod.id))] == [
        False, True]
    as_manager.post(f"{base}/{methods[1].id}/delete", htmx=True)  # removing the default: the other takes over
    db.session.expire_all()
    remaining = db.session.scalars(sa.select(PaymentMethod)).all()
    assert len(remaining) == 1 and remaining[0].is_default
    last = as_manager.post(f"{base}/{remaining[0].id}/delete", htmx=True)
    assert "No payment method on file" in html(last)


def test_payment_method_labels_never_hold_card_numbers(as_manager, customer):
    response = as_manager.post(f"/customers/{customer.id}/payment-methods",
                               {"type": "card", "label": "4242424242424242"}, htmx=True)
    assert response.status_code == 422 and "never a full card" in html(response)
    assert db.session.scalar(sa.select(sa.func.count(PaymentMethod.id))) == 0


# --- found by trying it as two account managers ---------------------------------------------------------------

def test_ticks_sent_in_screen_order_are_no_change(as_manager, customer):
    contact = customer.primary_contact
    first = as_manager.open_form(card_url(customer, "contacts", contact))
    second = as_manager.open_form(card_url(customer, "contacts", contact))
    assert as_manager.submit(first, {"email_preferences": ["billing", "legal"]}).status_code == 200
    # The browser sends the ticks in screen order (billing, legal, updates); the form read them in stored order.
    response = as_manager.submit(second, {"phone": "+49 30 1", "email_preferences": ["billing", "legal", "updates"]})
    assert response.status_code == 200, html(response)  # only the phone was changed: no conflict
    db.session.expire_all()
    saved = db.session.get(Contact, contact.id)
    assert saved.phone == "+49 30 1" and saved.email_preferences == ["billing", "legal"]  # the other change stays


def test_a_value_whose_option_was_removed_survives_a_save_of_another_property(as_manager, customer, definitions):
    from portal.services.properties import definitions as all_definitions
    from portal.services.properties import set_values, update_definition

    set_values(customer, {"industry": "Retail"})
    industry = next(d for d in all_definitions(customer.organization_id) if d.key == "industry")
    update_definition(industry, {"key": "industry", "label": "Industry", "type": "select", "options": ["Software"],
                                 "required": True})
    db.session.commit()
    form = as_manager.open_form(f"/customers/{customer.id}/sections/properties/edit")
    assert form.get("p_industry") == "Retail"  # still shown, marked as no longer an option
    response = as_manager.submit(form, {"p_employees": "12"})
    assert response.status_code == 200, html(response)
    db.session.expire_all()
    values = {v.definition.key: v.value for v in db.session.get(Customer, customer.id).property_values}
    assert values == {"industry": "Retail", "employees": "12"}


def test_a_payment_method_can_be_added_after_an_error(as_manager, customer):
    form = as_manager.open_form(f"/customers/{customer.id}/payment-methods/new")
    refused = as_manager.submit(form, {"label": ""})
    assert refused.status_code == 422
    body = html(refused)
    assert body.lstrip().startswith('<section class="card section" id="payment-list"') and "Label is required." in body
    added = as_manager.submit(post_form(body, "/payment-methods"), {"label": "Visa •••• 4242"})
    assert added.status_code == 200 and "Visa •••• 4242" in html(added)
