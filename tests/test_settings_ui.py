"""Settings in the portal: the customer's Settings tab, the organization page, bulk apply, CSV, Overview."""
import csv
import io

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent
from portal.services import settings_store
from tests.html_forms import post_form
from tests.test_detail import html


@pytest.fixture
def customer(make, org):
    return make.customer(org, name="Settings GmbH")


@pytest.fixture
def as_admin(auth, make, org):
    auth.login(make.user(org, "admin"))
    return auth


def edit(customer, name):
    return f"/customers/{customer.id}/settings/{name}/edit"


def row(response_or_html, name):
    body = response_or_html if isinstance(response_or_html, str) else html(response_or_html)
    return body.split(f'id="setting-{name}"')[1].split("</tr>")[0]


def test_settings_tab_shows_every_field_with_effective_value_and_source(as_manager, customer):
    body = html(as_manager.get(f"/customers/{customer.id}/settings"))
    for group in ("Invoicing &amp; documents", "Payment &amp; collection", "Dunning", "Tax", "Invoice presentation",
                  "Billing periods", "Statements", "Lifecycle"):
        assert group in body
    term = row(body, "term")
    assert "Net14 · Net 14 days" in term and "Inherited from Default Values" in term
    assert "Applies to new invoices only" in term


def test_override_and_reset_a_field(as_manager, customer):
    saved = as_manager.save(edit(customer, "term"), {"value": "Net7"})
    assert saved.status_code == 200
    assert "Net7" in row(saved, "term") and "Customer-specific Value" in row(saved, "term")
    assert "Reset to inherited" in row(saved, "term")
    reset = as_manager.submit(post_form(html(saved)))  # the row's Reset button
    assert "Net14" in row(reset, "term") and "Inherited from Default Values" in row(reset, "term")
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "settings")
                                .order_by(AuditEvent.id)).all()
    assert [e.changes["term"] for e in events] == [[None, "Net7"], ["Net7", None]]


def test_tri_state_boolean_and_the_inherited_option(as_manager, customer):
    form = html(as_manager.get(f"/customers/{customer.id}/settings/sendPaymentReminders/edit", htmx=True))
    assert "Inherit (On from Default Values)" in form and '<option value="false"' in form
    saved = as_manager.save(edit(customer, "sendPaymentReminders"), {"value": "false"})
    assert "Off" in row(saved, "sendPaymentReminders")


def test_errors_stay_in_the_row_with_the_input(as_manager, customer):
    response = as_manager.save(edit(customer, "term"), {"value": "Net999"})
    assert response.status_code == 422
    assert "NetN takes N from 0 to 365." in html(response) and 'value="Net999"' in html(response)
    cross = as_manager.save(edit(customer, "taxExempt"), {"value": "true"})
    assert cross.status_code == 422 and "Tax exempt code: Required when the customer is tax exempt." in html(cross)
    bad_json = as_manager.save(edit(customer, "trackedItemDisplay"), {"value": "{oops"})
    assert bad_json.status_code == 422 and "Not valid JSON" in html(bad_json)


def test_settings_conflict(as_manager, customer):
    form = as_manager.open_form(edit(customer, "term"))
    settings_store.update_customer_settings(customer, {"term": "Net30"})
    db.session.commit()
    response = as_manager.submit(form, {"value": "Net7"})
    assert response.status_code == 409
    assert "<td>Net30 · Net 30 days</td><td>Net7 · Net 7 days</td>" in html(response) and 'value="Net7"' in html(response)
    again = as_manager.submit(post_form(html(response)))
    assert again.status_code == 200 and "Net7" in row(again, "term")


def test_two_rows_saved_from_forms_read_at_the_same_time_both_apply(as_manager, customer):
    taxes = as_manager.open_form(edit(customer, "rollUpTaxes"))
    discounts = as_manager.open_form(edit(customer, "rollUpDiscounts"))
    assert as_manager.submit(taxes, {"value": "true"}).status_code == 200
    assert as_manager.submit(discounts, {"value": "true"}).status_code == 200  # no false conflict
    resolved = settings_store.resolve_customer(customer)
    assert resolved["rollUpTaxes"].value is True and resolved["rollUpDiscounts"].value is True


def test_reset_after_someone_else_changed_the_row_is_a_conflict(as_manager, customer):
    settings_store.update_customer_settings(customer, {"term": "Net7"})
    db.session.commit()
    page = html(as_manager.get(f"/customers/{customer.id}/settings"))
    reset = post_form(row(page, "term").join(["<table><tr>", "</tr></table>"]))
    settings_store.update_customer_settings(customer, {"term": "Net60"})
    db.session.commit()
    response = as_manager.submit(reset)
    assert response.status_code == 409 and "<td>Net60 · Net 60 days</td><td>inherited</td>" in html(response)
    assert settings_store.resolve_customer(customer)["term"].value == "Net60"


def test_inherited_problems_are_flagged_not_blocking(as_manager, customer, org):
    settings_store.update_organization_settings(org.id, {"eInvoiceFormat": "xrechnung-ubl"})
    db.session.commit()
    body = html(as_manager.get(f"/customers/{customer.id}/settings"))
    assert "Needs attention" in body and "required for XRechnung" in body
    assert as_manager.save(edit(customer, "term"), {"value": "Net7"}).status_code == 200


def test_overview_tab_shows_business_information_from_effective_settings(as_manager, customer, org):
    settings_store.update_organization_settings(org.id, {"term": "Net30", "autoSendDocuments": False})
    db.session.commit()
    body = html(as_manager.get(f"/customers/{customer.id}"))
    assert "Net30 · Net 30 days" in body and "documents are sent by hand" in body and "Off" in body


def test_viewers_see_settings_but_cannot_change_them(auth, make, org, customer):
    auth.login(make.user(org, "viewer"))
    assert ">Change</a>" not in html(auth.get(f"/customers/{customer.id}/settings"))
    assert auth.post(f"/customers/{customer.id}/settings/term", {"value": "Net7"}).status_code == 403


# --- organization settings -----------------------------------------------------------------------------

def test_organization_page_shows_sources_and_override_counts(as_admin, make, org, customer):
    settings_store.update_customer_settings(customer, {"term": "Net7"})
    db.session.commit()
    body = html(as_admin.get("/organization/settings"))
    assert "1 customer overrides it" in row(body, "term") and "Inherited from Default Values" in row(body, "term")
    assert "Tax exempt code" not in body  # customer-only fields are not on the organization layer


def test_organization_change_says_how_many_customers_it_affects(as_admin, make, org, customer):
    make.customer(org)
    settings_store.update_customer_settings(customer, {"term": "Net7"})
    db.session.commit()
    form = html(as_admin.get("/organization/settings/term/edit", htmx=True))
    assert "Changing it changes 1 customer that inherits it." in form
    saved = as_admin.save("/organization/settings/term/edit", {"value": "Net30"})
    assert "Net30" in row(saved, "term") and "Organization Value" in row(saved, "term")
    assert "Reset to default" in row(saved, "term")
    customer_body = html(as_admin.get(f"/customers/{customer.id}/settings"))
    assert "Net7" in row(customer_body, "term")


def test_only_admins_change_organization_settings(as_manager):
    assert as_manager.get("/organization/settings").status_code == 403
    assert as_manager.post("/organization/settings/term", {"value": "Net30"}).status_code == 403


# --- bulk apply and CSV ------------------------------------------------------------------------------------

def test_bulk_apply_to_selected_customers_after_confirmation(as_manager, make, org):
    a, b, c = (make.customer(org, name=f"Bulk {n}") for n in "ABC")
    data = {"field": "term", "value": "Net30", "scope": "selected", "ids": [str(a.id), str(b.id)]}
    review = as_manager.post("/customers/bulk-settings", data, htmx=True)
    assert review.status_code == 200 and "Set Payment term to Net30 · Net 30 days for 2 customers?" in html(review)
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.entity == "settings")) == 0
    done = as_manager.post("/customers/bulk-settings", {**data, "confirmed": "yes"})
    assert done.status_code == 302
    terms = {x.name: settings_store.resolve_customer(x)["term"].value for x in (a, b, c)}
    assert terms == {"Bulk A": "Net30", "Bulk B": "Net30", "Bulk C": "Net14"}
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.entity == "settings")) == 2


def test_bulk_apply_to_all_matching_and_reset(as_manager, make, org):
    for n in range(3):
        make.customer(org, name=f"Match {n}", country="AT")
    other = make.customer(org, name="Elsewhere", country="DE")
    data = {"field": "dunningExempt", "value": "true", "scope": "all", "country": "AT", "confirmed": "yes"}
    assert as_manager.post("/customers/bulk-settings", data).status_code == 302
    assert settings_store.resolve_customer(other)["dunningExempt"].value is False
    reset = {**data, "reset": "on", "value": ""}
    as_manager.post("/customers/bulk-settings", reset)
    page = html(as_manager.get("/customers"))
    assert "Reset Dunning exempt to inherited: 3 customers (3 changed)." in page


def test_bulk_apply_is_all_or_nothing(as_manager, make, org):
    a = make.customer(org, name="Has code")
    settings_store.update_customer_settings(a, {"taxExemptCode": "E-1"})
    b = make.customer(org, name="No code")
    db.session.commit()
    data = {"field": "taxExempt", "value": "true", "scope": "selected", "ids": [str(a.id), str(b.id)],
            "confirmed": "yes"}
    response = as_manager.post("/customers/bulk-settings", data, htmx=True)
    assert response.status_code == 422 and '<dialog class="modal"' in html(response)  # in the dialog, not a page
    assert "Nothing was changed. No code" in html(response) and "<header" not in html(response)
    assert settings_store.resolve_customer(a)["taxExempt"].value is False


def test_csv_export_carries_effective_settings(as_manager, make, org, customer):
    settings_store.update_organization_settings(org.id, {"term": "Net30"})
    own = make.customer(org, name="Own Term")
    settings_store.update_customer_settings(own, {"term": "Net7"})
    db.session.commit()
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(html(as_manager.get("/customers/export.csv"))))}
    assert rows["Settings GmbH"]["term"] == "Net30" and rows["Own Term"]["term"] == "Net7"


def test_resolving_a_page_costs_constant_queries(app, make, org, count_queries):
    few = [make.customer(org).id for _ in range(2)]
    many = few + [make.customer(org).id for _ in range(20)]
    org_id = org.id
    with count_queries() as a:
        settings_store.resolve_many(org_id, few)
    with count_queries() as b:
        settings_store.resolve_many(org_id, many)
    assert a.count == b.count == 3


def test_default_payment_method_row_names_the_method(as_manager, customer):
    from portal.services.payment_methods import add_payment_method

    add_payment_method(customer, {"type": "card", "label": "Visa •••• 4242"})
    db.session.commit()
    default_row = row(html(as_manager.get(f"/customers/{customer.id}/settings")), "defaultPaymentMethodId")
    assert "Visa •••• 4242" in default_row and "Clear" not in default_row


@pytest.mark.parametrize("field, value, message", [
    ("term", "thirty days", "Use NetN"), ("autoCollect", "maybe", "Choose On, Off or inherit."),
    ("customerGracePeriod", "-3", "0 or more"),
])
def test_bulk_review_checks_the_value_and_shows_the_error_in_the_dialog(as_manager, make, org, field, value, message):
    a = make.customer(org, name="Bulk A")
    data = {"field": field, "value": value, "scope": "selected", "ids": [str(a.id)]}
    review = as_manager.post("/customers/bulk-settings", data, htmx=True)
    body = html(review)
    assert review.status_code == 422 and body.lstrip().startswith('<dialog class="modal"')
    assert message in body and f'value="{value}"' in body and "<header" not in body
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.entity == "settings")) == 0
