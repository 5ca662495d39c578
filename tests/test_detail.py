"""The customer detail page: tabs, and each click-to-edit section's read, form, save, error, conflict and 403."""
import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, Customer

TABS = ["overview", "addresses", "contacts", "properties", "technical", "tax", "payment-methods", "activity"]


@pytest.fixture
def customer(make, org):
    return make.customer(org, name="Detail GmbH", vatId="DE136695976", aliases=["crm-1"],
                         invoiceAddress={"line1": "Gartenweg 5", "city": "Berlin", "postalCode": "10115"})


def html(response):
    return response.get_data(as_text=True)


def form_token(response):
    return re.search(r'name="version" type="hidden" value="(\d+)"', html(response)).group(1)


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_has_its_own_url_page_and_fragment(as_manager, customer, tab):
    page = as_manager.get(f"/customers/{customer.id}/{tab}")
    assert page.status_code == 200
    assert "<html" in html(page) and 'aria-current="page">' in html(page)
    fragment = as_manager.get(f"/customers/{customer.id}/{tab}", htmx=True, **{"HX-Target": "tabs"})
    assert fragment.status_code == 200
    assert "<html" not in html(fragment) and html(fragment).lstrip().startswith('<div id="tabs">')


def test_header_shows_the_key_facts(as_manager, customer):
    page = html(as_manager.get(f"/customers/{customer.id}"))
    for fact in ("Detail GmbH", customer.debtor_ident, "active", "Germany", "EUR"):
        assert fact in page


def test_unknown_tab_and_other_tenant_are_404(as_manager, make, customer):
    assert as_manager.get(f"/customers/{customer.id}/nonsense").status_code == 404
    other = make.customer(make.org("globex"))
    for path in ("", "/contacts", "/sections/general/edit", f"/addresses/{other.addresses[0].id}/edit"):
        assert as_manager.get(f"/customers/{other.id}{path}").status_code == 404
    assert as_manager.post(f"/customers/{other.id}/sections/general", {"name": "x"}).status_code == 404


# --- a customer section: general ------------------------------------------------------------------------

def general(customer, **changes):
    data = {"name": customer.name, "country": customer.country, "currency": customer.currency,
            "legal_entity": "", "version": str(customer.version)}
    data.update(changes)
    return data


def test_edit_shows_the_form_in_place_with_the_version(as_manager, customer):
    response = as_manager.get(f"/customers/{customer.id}/sections/general/edit", htmx=True)
    assert response.status_code == 200
    body = html(response)
    assert body.lstrip().startswith('<section class="card section editing" id="section-general"')
    assert 'value="Detail GmbH"' in body and form_token(response) == str(customer.version)


def test_without_javascript_edit_is_a_page(as_manager, customer):
    response = as_manager.get(f"/customers/{customer.id}/sections/general/edit")
    assert "<html" in html(response) and 'id="section-general"' in html(response) and "<form" in html(response)


def test_cancel_shows_the_read_view(as_manager, customer):
    response = as_manager.get(f"/customers/{customer.id}/sections/general", htmx=True)
    assert "<form" not in html(response) and "Detail GmbH" in html(response)
    assert 'id="edit-general"' in html(response) and "autofocus" in html(response)


def test_save_swaps_the_read_view_and_updates_the_header(as_manager, customer):
    response = as_manager.post(f"/customers/{customer.id}/sections/general", general(customer, name="Renamed AG"),
                               htmx=True)
    assert response.status_code == 200
    body = html(response)
    assert "<form" not in body and "Renamed AG" in body
    assert 'id="customer-head" hx-swap-oob="true"' in body
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).name == "Renamed AG"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "update"))
    assert event.changes == {"name": ["Detail GmbH", "Renamed AG"]} and event.actor_name == "manager@acme.test"


def test_save_without_javascript_redirects_with_a_flash(as_manager, customer):
    response = as_manager.post(f"/customers/{customer.id}/sections/general", general(customer, name="Plain Form"))
    assert response.status_code == 302 and response.headers["Location"] == f"/customers/{customer.id}"
    assert "Saved." in html(as_manager.get(response.headers["Location"]))


def test_invalid_input_is_422_with_the_message_and_the_input_kept(as_manager, customer):
    response = as_manager.post(f"/customers/{customer.id}/sections/general",
                               general(customer, name="", currency="QQQ"), htmx=True)
    assert response.status_code == 422
    body = html(response)
    assert "Name is required." in body and "Choose a currency" in body
    assert 'aria-invalid="true"' in body and 'role="alert"' in body
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).name == "Detail GmbH"


def test_a_stale_version_is_409_showing_theirs_beside_mine(as_manager, customer):
    stale = general(customer, name="Mine")
    from portal.services.customers import update_customer

    update_customer(customer, {"name": "Theirs"})
    db.session.commit()
    response = as_manager.post(f"/customers/{customer.id}/sections/general", stale, htmx=True)
    assert response.status_code == 409
    body = html(response)
    assert "Someone else saved this while you were editing." in body
    assert "<td>Theirs</td><td>Mine</td>" in body
    assert 'value="Mine"' in body  # nothing typed is lost
    assert form_token(response) == str(customer.version)  # saving again applies mine on top of theirs
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).name == "Theirs"
    again = as_manager.post(f"/customers/{customer.id}/sections/general",
                            {**stale, "version": form_token(response)}, htmx=True)
    assert again.status_code == 200 and "Mine" in html(again)


@pytest.mark.parametrize("section, data, expected", [
    ("technical", {"language": "fr", "customer_type": "B2C", "contractor_references": "PO-1\nPO-2",
                   "aliases": "crm-1\nerp-2"}, ["French", "B2C", "PO-2", "erp-2"]),
    ("tax", {"vat_id": "", "tax_country": "AT", "tax_id": "123/456", "tax_rate": "20"},
     ["20.00 %", "Austria", "123/456"]),
])
def test_technical_and_tax_sections_save(as_manager, customer, section, data, expected):
    response = as_manager.post(f"/customers/{customer.id}/sections/{section}",
                               {**data, "version": str(customer.version)}, htmx=True)
    assert response.status_code == 200, html(response)
    for text in expected:
        assert text in html(response)


def test_aliases_stay_unique_in_the_organization(as_manager, make, org, customer):
    make.customer(org, aliases=["taken"])
    response = as_manager.post(f"/customers/{customer.id}/sections/technical", {
        "language": "de", "customer_type": "B2B", "contractor_references": "", "aliases": "crm-1\ntaken",
        "version": str(customer.version)}, htmx=True)
    assert response.status_code == 422
    assert "Alias &#39;taken&#39; already belongs to another customer." in html(response)


def test_debtor_ident_and_account_number_are_read_only(as_manager, customer):
    response = as_manager.post(f"/customers/{customer.id}/sections/technical", {
        "language": "de", "customer_type": "B2B", "aliases": "", "debtor_ident": "HACK", "account_number": "1",
        "version": str(customer.version)}, htmx=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).debtor_ident == customer.debtor_ident


def test_tax_rate_and_vat_id_are_checked(as_manager, customer):
    response = as_manager.post(f"/customers/{customer.id}/sections/tax", {
        "vat_id": "DE000", "tax_country": "", "tax_id": "", "tax_rate": "101", "version": str(customer.version)},
        htmx=True)
    assert response.status_code == 422
    assert "Not a valid EU VAT id" in html(response) and "Enter a number from 0.00 to 100.00." in html(response)
    assert 'value="DE000"' in html(response) and 'value="101"' in html(response)


# --- viewers and archived customers -----------------------------------------------------------------------

def test_viewers_see_everything_and_no_edit_controls(auth, make, org, customer):
    auth.login(make.user(org, "viewer"))
    for tab in TABS:
        body = html(auth.get(f"/customers/{customer.id}/{tab}"))
        assert ">Edit</a>" not in body and "Archive" not in body and "Add contact" not in body
    assert auth.get(f"/customers/{customer.id}/sections/general/edit").status_code == 403
    assert auth.post(f"/customers/{customer.id}/sections/general", general(customer, name="x")).status_code == 403
    assert auth.post(f"/customers/{customer.id}/contacts", {"email": "a@b.example"}).status_code == 403
    assert auth.post(f"/customers/{customer.id}/archive").status_code == 403


def test_archive_and_restore(as_manager, customer):
    confirm = as_manager.get(f"/customers/{customer.id}/archive")
    assert "Archived customers keep all their data" in html(confirm)
    assert as_manager.post(f"/customers/{customer.id}/archive").status_code == 302
    page = html(as_manager.get(f"/customers/{customer.id}"))
    assert "This customer is archived" in page and ">Edit</a>" not in page and "Restore" in page
    assert as_manager.get(f"/customers/{customer.id}/sections/general/edit").status_code == 403
    response = as_manager.post(f"/customers/{customer.id}/sections/general", general(customer, name="x"), htmx=True)
    assert response.status_code == 403
    assert as_manager.post(f"/customers/{customer.id}/restore", htmx=True).headers["HX-Redirect"]
    assert ">Edit</a>" in html(as_manager.get(f"/customers/{customer.id}"))
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["archive", "restore"]


# --- activity -------------------------------------------------------------------------------------------

def test_activity_lists_changes_newest_first_field_by_field(as_manager, customer):
    as_manager.post(f"/customers/{customer.id}/sections/general", general(customer, name="First Rename"))
    db.session.expire_all()
    fresh = db.session.get(Customer, customer.id)
    as_manager.post(f"/customers/{customer.id}/sections/general", general(fresh, name="Second Rename"))
    body = html(as_manager.get(f"/customers/{customer.id}/activity"))
    assert body.index("Second Rename") < body.index("First Rename")
    assert "manager@acme.test" in body and "Europe/Berlin" in body
    assert '<td class="old">First Rename</td>' in body


def test_activity_is_paginated(app, as_manager, customer):
    from portal.services.customers import update_customer

    for n in range(30):
        update_customer(customer, {"taxRate": str(n)})
        db.session.commit()
    first = html(as_manager.get(f"/customers/{customer.id}/activity"))
    assert "Page 1 of 2" in first and "Older ›" in first
    second = html(as_manager.get(f"/customers/{customer.id}/activity?page=2"))
    assert "Page 2 of 2" in second and "create" in second.lower()


def test_detail_page_query_count_is_constant(as_manager, make, org, count_queries):
    few = make.customer(org)
    with count_queries() as before:
        as_manager.get(f"/customers/{few.id}/contacts")
    many = make.customer(org)
    from portal.services.contacts import create_contact

    for n in range(15):
        create_contact(many, {"email": f"c{n}@x.example"})
    db.session.commit()
    with count_queries() as after:
        as_manager.get(f"/customers/{many.id}/contacts")
    assert after.count == before.count


@pytest.mark.parametrize("path", ["/sections/general/edit", "/sections/technical/edit", "/sections/tax/edit",
                                  "/addresses/new", "/contacts/new", "/payment-methods/new", "/settings/term/edit",
                                  "/settings/autoCollect/edit"])
def test_edit_forms_have_one_autofocus_and_no_unset_attributes(as_manager, customer, path):
    html_text = html(as_manager.get(f"/customers/{customer.id}{path}", htmx=True))
    assert '="None"' not in html_text and html_text.count("autofocus") == 1
