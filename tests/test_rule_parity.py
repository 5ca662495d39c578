"""One rule per entity: the same input through the detail page (htmx and without JavaScript), the New customer form
and the API meets the same rule, with the same message at the same field, and nothing is stored."""
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.extensions import db
from portal.models import Address, Contact, Customer, OverdueRule
from tests.api.conftest import Api, token_for
from tests.html_forms import forms_in


def message_at(response, name):
    """The error message shown at the form field named `name` (its prefix aside), parsed from the HTML."""
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    control = soup.find(attrs={"name": lambda n: n == name or (n or "").endswith("-" + name)})
    assert control is not None, f"no field {name} in the answer"
    assert control.get("aria-invalid") == "true", f"{name} is not marked invalid"
    errors = [soup.find(id=i) for i in control["aria-describedby"].split()]
    return next(e for e in errors if e is not None and "error" in e.get("class", [])).get_text(" ", strip=True)


def open_form_with(auth, url, control, htmx):
    """The form of the page (or fragment) at `url` that holds the control named `control`, as the browser has it."""
    response = auth.get(url, htmx=htmx)
    assert response.status_code == 200
    return next(f for f in forms_in(response.get_data(as_text=True)) if any(n == control for n, _ in f.controls))


def api_message(response, field):
    assert response.status_code == 422, response.get_data(as_text=True)
    return {e["field"]: e["message"] for e in response.json["errors"]}[field]


@pytest.fixture
def api(client, org):
    return Api(client, token_for(org))


@pytest.fixture
def customer(make, org):
    return make.customer(org, name="Parity GmbH", invoiceAddress={"line1": "Gartenweg 5", "city": "Berlin"})


def address_count(customer):
    return db.session.scalar(sa.select(sa.func.count(Address.id)).where(Address.customer_id == customer.id))


# --- addresses -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_a_shipping_card_with_only_a_country_is_refused_in_the_ui_as_in_the_api(as_manager, api, customer, htmx):
    form = open_form_with(as_manager, f"/customers/{customer.id}/addresses/new?type=shipping", "line1", htmx)
    assert form.get("country") == "DE" and form.get("line1") == ""  # what the user saw: a card with a country
    ui = as_manager.submit(form, htmx=htmx)
    assert ui.status_code == 422
    if not htmx:
        assert "<html" in ui.get_data(as_text=True)  # without JavaScript: the whole page, the form open
    left_out = api.post(f"/customers/{customer.id}/addresses", {"type": "shipping", "country": "DE"})
    blank = api.post(f"/customers/{customer.id}/addresses", {"type": "shipping", "line1": "  ", "country": "DE"})
    expected = "Address line 1 is required."
    assert message_at(ui, "line1") == api_message(left_out, "line1") == api_message(blank, "line1") == expected
    assert address_count(customer) == 1


def test_the_form_marks_line_1_required_except_on_invoice_address_1(as_manager, customer):
    soup = BeautifulSoup(as_manager.get(f"/customers/{customer.id}/addresses/new?type=shipping", htmx=True)
                         .get_data(as_text=True), "html.parser")
    assert soup.find("input", attrs={"name": "line1"}).has_attr("required")
    main = customer.addresses[0]
    soup = BeautifulSoup(as_manager.get(f"/customers/{customer.id}/addresses/{main.id}/edit", htmx=True)
                         .get_data(as_text=True), "html.parser")
    assert not soup.find("input", attrs={"name": "line1"}).has_attr("required")


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_emptying_line_1_of_a_shipping_address_is_refused_in_the_ui_as_in_the_api(as_manager, api, customer, htmx):
    created = api.post(f"/customers/{customer.id}/addresses", {"type": "shipping", "line1": "Dock 4", "country": "DE"})
    shipping_id = int(created.json["id"])
    ui = as_manager.save(f"/customers/{customer.id}/addresses/{shipping_id}/edit", {"line1": "", "city": "Kiel"},
                         htmx=htmx)
    assert ui.status_code == 422
    emptied = api.patch(f"/customers/{customer.id}/addresses/{shipping_id}", {"line1": None, "city": "Kiel"})
    assert message_at(ui, "line1") == api_message(emptied, "line1") == "Address line 1 is required."
    db.session.expire_all()
    saved = db.session.get(Address, shipping_id)
    assert (saved.line1, saved.city) == ("Dock 4", "")


def test_invoice_address_1_may_be_emptied_altogether_but_not_keep_a_city_without_line_1(as_manager, api, customer):
    main = customer.addresses[0]
    city_only = as_manager.save(f"/customers/{customer.id}/addresses/{main.id}/edit", {"line1": ""})
    assert city_only.status_code == 422
    api_city_only = api.patch(f"/customers/{customer.id}/addresses/{main.id}", {"line1": ""})
    assert message_at(city_only, "line1") == api_message(api_city_only, "line1") == "Address line 1 is required."
    emptied = as_manager.save(f"/customers/{customer.id}/addresses/{main.id}/edit", {"line1": "", "city": ""})
    assert emptied.status_code == 200  # the customer has no address again, as when it was created without one
    db.session.expire_all()
    assert (db.session.get(Address, main.id).line1, db.session.get(Address, main.id).city) == ("", "")


def test_a_new_customer_with_a_city_but_no_line_1_is_refused_in_the_form_as_in_the_api(as_manager, api, org):
    from tests.api.conftest import NEW_CUSTOMER
    from tests.test_customers import VALID

    ui = as_manager.post("/customers/new", {**VALID, "line1": ""}, htmx=True)
    assert ui.status_code == 422
    body = {**NEW_CUSTOMER, "invoiceAddress": {"city": "Berlin", "postalCode": "10115"}}
    refused = api.post("/customers", body)
    assert message_at(ui, "line1") == api_message(refused, "invoiceAddress.line1") == "Address line 1 is required."
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 0
    without_address = api.post("/customers", {k: v for k, v in NEW_CUSTOMER.items() if k != "invoiceAddress"})
    assert without_address.status_code == 201  # the address stays optional


# --- contacts and customers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_a_contact_without_name_and_email_is_refused_in_the_ui_as_in_the_api(as_manager, api, customer, htmx):
    form = open_form_with(as_manager, f"/customers/{customer.id}/contacts/new", "email", htmx)
    ui = as_manager.submit(form, htmx=htmx)
    left_out = api.post(f"/customers/{customer.id}/contacts", {"firstName": "", "lastName": ""})
    blank = api.post(f"/customers/{customer.id}/contacts", {"email": ""})
    assert message_at(ui, "email") == api_message(left_out, "email") == api_message(blank, "email") \
        == "Email is required."
    assert db.session.scalar(sa.select(sa.func.count(Contact.id)).where(Contact.customer_id == customer.id)) == 1


@pytest.mark.parametrize("ui_field, api_field, api_body, message", [
    ("name", "name", {"name": ""}, "Name is required."),
    ("name", "name", {"name": None}, "Name is required."),
    ("contact_email", "primaryContact.email", {"primaryContact": {"firstName": "Ada"}}, "Email is required."),
    ("country", "country", {"country": ""}, "Country is required."),
    ("currency", "currency", {"currency": ""}, "Currency is required."),
])
def test_a_new_customer_missing_a_required_field_reads_the_same_in_the_form_and_the_api(
        as_manager, api, org, ui_field, api_field, api_body, message):
    from tests.api.conftest import NEW_CUSTOMER
    from tests.test_customers import VALID

    ui = as_manager.post("/customers/new", {**VALID, ui_field: ""}, htmx=True)
    body = {k: v for k, v in {**NEW_CUSTOMER, **api_body}.items() if v is not None}
    assert message_at(ui, ui_field) == api_message(api.post("/customers", body), api_field) == message
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 0


# --- dunning rules ----------------------------------------------------------------------------------------------

from tests.test_dunning_ui import as_admin  # noqa: E402,F401  (the fixture: an admin of an org with its reference data)


def _rule_ui(as_admin, changes, htmx):
    form = open_form_with(as_admin, "/organization/dunning/new", "new-rule-type", htmx)
    return as_admin.submit(form, {f"new-rule-{k}": v for k, v in changes.items()}, htmx=htmx)


def _email_template_id():
    return db.session.scalars(sa.select(OverdueRule.email_template_id)).first()


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
@pytest.mark.parametrize("ui_changes, api_body, ui_field, api_field, message", [
    ({"type": "dunning", "days_overdue": "10", "fee": ""}, {"type": "dunning", "daysOverdue": 10},
     "fee", "amountInCents", "A dunning charges a fee: enter an amount above 0."),
    ({"type": "dunning", "days_overdue": "10", "fee": ""}, {"type": "dunning", "daysOverdue": 10,
                                                            "amountInCents": None},
     "fee", "amountInCents", "A dunning charges a fee: enter an amount above 0."),
    ({"days_overdue": "0"}, {"daysOverdue": 0}, "days_overdue", "daysOverdue",
     "Days overdue must be a whole number above 0."),
    ({"days_overdue": "5", "email_template": ""}, {"daysOverdue": 5, "emailTemplate": None},
     "email_template", "emailTemplate", "Email template is required."),
    ({"days_overdue": "5", "email_template": ""}, {"daysOverdue": 5, "emailTemplate": "leave out"},
     "email_template", "emailTemplate", "Email template is required."),
    ({"type": "dunning", "days_overdue": "5", "fee": "500", "document_template": ""},
     {"type": "dunning", "daysOverdue": 5, "amountInCents": 500},
     "document_template", "documentTemplate", "Document template is required."),
])
def test_an_overdue_rule_is_refused_with_the_same_message_in_the_editor_and_the_api(
        as_admin, api, ui_changes, api_body, ui_field, api_field, message, htmx):
    email_id = _email_template_id()
    ui = _rule_ui(as_admin, {"email_template": str(email_id), **ui_changes}, htmx)
    assert ui.status_code == 422
    body = {"emailTemplate": {"id": str(email_id)}, **api_body}
    body = {k: v for k, v in body.items() if v != "leave out"}
    assert message_at(ui, ui_field) == api_message(api.post("/dunning/overdue-rules", body), api_field) == message
    assert db.session.scalar(sa.select(sa.func.count(OverdueRule.id))) == 2
