"""The customer detail page: tabs, and each click-to-edit section's read, form, save, error, conflict and 403."""
import json

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, Customer
from tests.html_forms import post_form
from tests.html_tree import parse

TABS = ["overview", "addresses", "contacts", "properties", "technical", "tax", "payment-methods", "activity"]


@pytest.fixture
def customer(make, org):
    return make.customer(org, name="Detail GmbH", vatId="DE136695976", aliases=["crm-1"],
                         invoiceAddress={"line1": "Gartenweg 5", "city": "Berlin", "postalCode": "10115"})


def html(response):
    return response.get_data(as_text=True)


def edit_url(customer, section="general"):
    return f"/customers/{customer.id}/sections/{section}/edit"


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
    """A post of the General form without what it read (as a stale or forged client would send it)."""
    data = {"name": customer.name, "country": customer.country, "currency": customer.currency,
            "legal_entity": ""}
    data.update(changes)
    return data


def test_edit_shows_the_form_in_place_with_what_it_read(as_manager, customer):
    response = as_manager.get(edit_url(customer), htmx=True)
    assert response.status_code == 200
    body = html(response)
    assert body.lstrip().startswith('<section class="card section editing" id="section-general"')
    form = post_form(body)
    assert form.get("name") == "Detail GmbH"
    assert json.loads(form.get("read_state"))["name"] == "Detail GmbH"


def test_without_javascript_edit_is_a_page(as_manager, customer):
    response = as_manager.get(f"/customers/{customer.id}/sections/general/edit")
    assert "<html" in html(response) and 'id="section-general"' in html(response) and "<form" in html(response)


def test_cancel_shows_the_read_view(as_manager, customer):
    response = as_manager.get(f"/customers/{customer.id}/sections/general", htmx=True)
    assert "<form" not in html(response) and "Detail GmbH" in html(response)
    assert 'id="edit-general"' in html(response) and "autofocus" in html(response)


def test_save_swaps_the_read_view_and_updates_the_header(as_manager, customer):
    response = as_manager.save(edit_url(customer), {"name": "Renamed AG"})
    assert response.status_code == 200
    body = html(response)
    assert "<form" not in body and "Renamed AG" in body
    assert 'id="customer-head" hx-swap-oob="true"' in body
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).name == "Renamed AG"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "update"))
    assert event.changes == {"name": ["Detail GmbH", "Renamed AG"]} and event.actor_name == "manager@acme.test"


def test_save_without_javascript_redirects_with_a_flash(as_manager, customer):
    form = as_manager.open_form(edit_url(customer), "/sections/general", htmx=False)
    response = as_manager.submit(form, {"name": "Plain Form"}, htmx=False)
    assert response.status_code == 302 and response.headers["Location"] == f"/customers/{customer.id}"
    assert "Saved." in html(as_manager.get(response.headers["Location"]))


def test_invalid_input_is_422_with_the_message_and_the_input_kept(as_manager, customer):
    response = as_manager.save(edit_url(customer), {"name": "", "currency": "QQQ"})
    assert response.status_code == 422
    body = html(response)
    assert "Name is required." in body and "Choose a currency" in body
    assert 'aria-invalid="true"' in body and 'role="alert"' in body
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).name == "Detail GmbH"


def test_a_field_changed_by_someone_else_is_409_showing_theirs_beside_mine(as_manager, customer):
    form = as_manager.open_form(edit_url(customer))
    from portal.services.customers import update_customer

    update_customer(customer, {"name": "Theirs"})
    db.session.commit()
    response = as_manager.submit(form, {"name": "Mine"})
    assert response.status_code == 409
    body = html(response)
    assert "Someone else changed this field while you were editing." in body
    assert "<td>Theirs</td><td>Mine</td>" in body
    assert post_form(body).get("name") == "Mine"  # nothing typed is lost
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).name == "Theirs"
    again = as_manager.submit(post_form(body))  # saving from the conflict view applies mine knowingly
    assert again.status_code == 200 and "Mine" in html(again)
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).name == "Mine"


def test_a_change_of_another_field_meanwhile_is_kept_and_mine_applies(as_manager, customer):
    form = as_manager.open_form(edit_url(customer))
    from portal.services.customers import update_customer

    update_customer(customer, {"country": "AT", "vatId": ""})
    db.session.commit()
    response = as_manager.submit(form, {"name": "Mine"})
    assert response.status_code == 200, html(response)
    db.session.expire_all()
    saved = db.session.get(Customer, customer.id)
    assert (saved.name, saved.country) == ("Mine", "AT")  # the form's stale country did not undo theirs


def test_the_same_value_saved_meanwhile_is_no_conflict(as_manager, customer):
    form = as_manager.open_form(edit_url(customer))
    from portal.services.customers import update_customer

    update_customer(customer, {"name": "Same"})
    db.session.commit()
    assert as_manager.submit(form, {"name": "Same"}).status_code == 200


def test_a_post_without_what_it_read_is_refused_and_not_applied(as_manager, customer):
    response = as_manager.post(f"/customers/{customer.id}/sections/general", general(customer, name="Blind"),
                               htmx=True)
    assert response.status_code == 409
    body = html(response)
    assert "did not say what it showed" in body and "<td>Detail GmbH</td><td>Blind</td>" in body
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).name == "Detail GmbH"
    assert as_manager.submit(post_form(body)).status_code == 200  # the conflict view carries it now


@pytest.mark.parametrize("section, data, expected", [
    ("technical", {"language": "fr", "customer_type": "B2C", "contractor_references": "PO-1\nPO-2",
                   "aliases": "crm-1\nerp-2"}, ["French", "B2C", "PO-2", "erp-2"]),
    ("tax", {"vat_id": "", "tax_country": "AT", "tax_id": "123/456", "tax_rate": "20"},
     ["20.00 %", "Austria", "123/456"]),
])
def test_technical_and_tax_sections_save(as_manager, customer, section, data, expected):
    response = as_manager.save(edit_url(customer, section), data)
    assert response.status_code == 200, html(response)
    for text in expected:
        assert text in html(response)


def test_aliases_stay_unique_in_the_organization(as_manager, make, org, customer):
    make.customer(org, aliases=["taken"])
    response = as_manager.save(edit_url(customer, "technical"), {"aliases": "crm-1\ntaken"})
    assert response.status_code == 422
    assert "Alias &#39;taken&#39; already belongs to another customer." in html(response)


def test_debtor_ident_and_account_number_are_read_only(as_manager, customer):
    response = as_manager.save(edit_url(customer, "technical"), {"debtor_ident": "HACK", "account_number": "1"})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).debtor_ident == customer.debtor_ident


def test_tax_rate_and_vat_id_are_checked(as_manager, customer):
    response = as_manager.save(edit_url(customer, "tax"), {"vat_id": "DE000", "tax_rate": "101"})
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
    as_manager.save(edit_url(customer), {"name": "First Rename"})
    as_manager.save(edit_url(customer), {"name": "Second Rename"})
    body = html(as_manager.get(f"/customers/{customer.id}/activity"))
    assert body.index("Second Rename") < body.index("First Rename")
    said = [node.text() for node in parse(as_manager.get(f"/customers/{customer.id}/activity")).by_class("event-sentence")]
    assert said[0] == "Manager of acme changed Name from “First Rename” to “Second Rename”"
    assert "Europe/Berlin" in body


def test_activity_is_paginated(app, as_manager, customer):
    from portal.services.customers import update_customer

    for n in range(30):
        update_customer(customer, {"taxRate": str(n)})
        db.session.commit()
    first = html(as_manager.get(f"/customers/{customer.id}/activity"))
    assert "Page 1 of 2" in first and "Older ›" in first
    second = html(as_manager.get(f"/customers/{customer.id}/activity?page=2"))
    assert "Page 2 of 2" in second and "added the customer" in second


@pytest.mark.parametrize("page", ["9223372036854775807", "922337203685477580", "99"])
def test_an_activity_page_past_the_last_shows_the_last(as_manager, customer, page):
    response = as_manager.get(f"/customers/{customer.id}/activity?page={page}")
    assert response.status_code == 200 and "added the customer" in html(response)


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
