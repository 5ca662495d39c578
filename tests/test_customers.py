"""The customer overview, CSV export and New customer, as a manager or viewer sees them."""
import csv
import io

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, Customer


def rows_of(response):
    """The customer names listed in the overview's table."""
    html = response.get_data(as_text=True)
    return [cell.split(">", 1)[1].split("<", 1)[0] for cell in html.split('<td class="name"><a ')[1:]]


@pytest.fixture
def listed(make, org):
    """Three customers with distinct facts to search and filter by."""
    return [
        make.customer(org, name="Nordwind Logistik GmbH", country="DE", currency="EUR", aliases=["crm-7"],
                      vatId="DE136695976"),
        make.customer(org, name="Harbor Foods Ltd", country="GB", currency="GBP", customerType="B2C",
                      primaryContact={"email": "billing@harbor.example"}),
        make.customer(org, name="Atlas Robotics Inc.", country="US", currency="USD", debtorIdent="ATL-1"),
    ]


def test_overview_lists_customers_sorted_by_name_with_total(as_manager, listed):
    response = as_manager.get("/customers")
    assert response.status_code == 200
    assert rows_of(response) == ["Atlas Robotics Inc.", "Harbor Foods Ltd", "Nordwind Logistik GmbH"]
    assert "1–3 of 3 customers" in response.get_data(as_text=True)


@pytest.mark.parametrize("query, expected", [
    ("nord", ["Nordwind Logistik GmbH"]),
    ("logistik nord", ["Nordwind Logistik GmbH"]),
    ("atl-1", ["Atlas Robotics Inc."]),
    ("billing@harbor", ["Harbor Foods Ltd"]),
    ("crm-7", ["Nordwind Logistik GmbH"]),
    ("de136695976", ["Nordwind Logistik GmbH"]),
    ("zzz", []),
])
def test_search_finds_by_name_ident_email_alias_and_vat_id(as_manager, listed, query, expected):
    assert rows_of(as_manager.get(f"/customers?q={query}")) == expected


def test_search_finds_by_account_number(as_manager, listed):
    number = listed[1].account_number
    assert rows_of(as_manager.get(f"/customers?q={number}")) == ["Harbor Foods Ltd"]


@pytest.mark.parametrize("args, expected", [
    ("country=GB", ["Harbor Foods Ltd"]),
    ("currency=USD", ["Atlas Robotics Inc."]),
    ("type=B2C", ["Harbor Foods Ltd"]),
    ("status=archived", []),
    ("sort=-name", ["Nordwind Logistik GmbH", "Harbor Foods Ltd", "Atlas Robotics Inc."]),
    ("sort=country", ["Nordwind Logistik GmbH", "Harbor Foods Ltd", "Atlas Robotics Inc."]),
    ("country=XX&sort=bogus&page=abc", ["Atlas Robotics Inc.", "Harbor Foods Ltd", "Nordwind Logistik GmbH"]),
])
def test_filters_and_sorting(as_manager, listed, args, expected):
    assert rows_of(as_manager.get(f"/customers?{args}")) == expected


def test_legal_entity_filter(as_manager, make, org, listed):
    from portal.models import LegalEntity

    other = LegalEntity(organization_id=org.id, name="Second Entity", country="GB", currency="GBP")
    db.session.add(other)
    db.session.commit()
    make.customer(org, name="Billed Elsewhere", legalEntityId=other.id)
    assert rows_of(as_manager.get(f"/customers?legal_entity={other.id}")) == ["Billed Elsewhere"]


def test_archived_customers_are_marked(as_manager, listed):
    listed[0].status = "archived"
    db.session.commit()
    assert rows_of(as_manager.get("/customers")) == ["Atlas Robotics Inc.", "Harbor Foods Ltd"]
    response = as_manager.get("/customers?status=all")
    assert len(rows_of(response)) == 3
    assert "archived</span>" in response.get_data(as_text=True)


def test_pagination_counts_and_links(app, as_manager, make, org):
    app.config["PAGE_SIZE"] = 2
    for n in range(5):
        make.customer(org, name=f"Paged {n}")
    first = as_manager.get("/customers").get_data(as_text=True)
    assert "1–2 of 5 customers" in first and "Page 1 of 3" in first
    last = as_manager.get("/customers?page=3")
    assert rows_of(last) == ["Paged 4"]
    assert "5–5 of 5 customers" in last.get_data(as_text=True)
    assert rows_of(as_manager.get("/customers?page=99")) == ["Paged 4"]  # past the end: the last page


def test_htmx_search_answers_the_results_fragment_only(as_manager, listed):
    response = as_manager.get("/customers?q=harbor", htmx=True, **{"HX-Target": "results"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="filters"' not in html
    assert rows_of(response) == ["Harbor Foods Ltd"]
    assert "HX-Request" in response.headers["Vary"]


def test_history_restore_gets_the_whole_page(as_manager, listed):
    response = as_manager.get("/customers?q=harbor", htmx=True,
                              **{"HX-Target": "results", "HX-History-Restore-Request": "true"})
    assert "<html" in response.get_data(as_text=True)


def test_empty_states(as_manager, org):
    assert "No customers yet." in as_manager.get("/customers").get_data(as_text=True)
    assert "No customers match." in as_manager.get("/customers?q=nothing").get_data(as_text=True)


def test_other_tenants_customers_are_invisible(as_manager, make, listed):
    other = make.org("globex")
    stranger = make.customer(other, name="Nordwind Secret AG")
    assert rows_of(as_manager.get("/customers?q=nordwind")) == ["Nordwind Logistik GmbH"]
    assert as_manager.get(f"/customers/{stranger.id}").status_code == 404
    export = as_manager.get("/customers/export.csv?status=all").get_data(as_text=True)
    assert "Nordwind Secret AG" not in export


def test_user_content_is_escaped(as_manager, make, org):
    make.customer(org, name='<script>alert(1)</script><div hx-get="/x">')
    html = as_manager.get("/customers").get_data(as_text=True)
    assert "<script>alert(1)" not in html and '<div hx-get="/x">' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_csv_export_holds_exactly_the_filtered_list(as_manager, listed):
    response = as_manager.get("/customers/export.csv?currency=EUR")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["name"] for r in rows] == ["Nordwind Logistik GmbH"]
    assert rows[0]["vatId"] == "DE136695976" and rows[0]["primaryEmail"].startswith("ada")


def test_csv_export_defuses_spreadsheet_formulas(as_manager, make, org):
    make.customer(org, name="=HYPERLINK(\"http://x\")")
    rows = list(csv.DictReader(io.StringIO(as_manager.get("/customers/export.csv").get_data(as_text=True))))
    assert rows[0]["name"].startswith("'=")


def test_overview_query_count_does_not_grow_with_rows(as_manager, make, org, count_queries):
    make.customer(org, name="Only one")
    with count_queries() as few:
        as_manager.get("/customers")
    for n in range(30):
        make.customer(org, name=f"More {n}", aliases=[f"a{n}"])
    with count_queries() as many:
        response = as_manager.get("/customers")
    assert len(rows_of(response)) == 31
    assert many.count == few.count <= 5


def test_overview_html_for_50_rows_is_small(app, as_manager, make, org):
    for n in range(50):
        make.customer(org, name=f"Company number {n} with a fairly long name GmbH & Co. KG")
    html = as_manager.get("/customers").get_data()
    assert len(rows_of(as_manager.get("/customers"))) == 50
    assert len(html) < 60_000


# --- New customer --------------------------------------------------------------------------------------

VALID = {
    "name": "Fresh Start GmbH", "contact_first_name": "Grace", "contact_last_name": "Hopper",
    "contact_email": "grace@fresh.example", "country": "DE", "currency": "EUR", "line1": "Gartenweg 5",
    "city": "Berlin", "postal_code": "10115", "tax_rate": "19", "vat_id": "DE 136 695 976",
    "aliases": "crm-100\nerp-200", "customer_type": "B2B", "language": "de", "debtor_ident": "",
    "legal_entity": "",
}


def test_new_customer_is_a_modal_for_htmx_and_a_page_without(as_manager):
    modal = as_manager.get("/customers/new", htmx=True).get_data(as_text=True)
    assert modal.lstrip().startswith("<dialog") and "<html" not in modal
    page = as_manager.get("/customers/new").get_data(as_text=True)
    assert "<html" in page and 'id="new-customer-form"' in page
    assert 'value="0.00"' in page  # tax rate default


def test_create_customer_with_address_contact_aliases_and_audit(as_manager, org):
    response = as_manager.post("/customers/new", VALID)
    assert response.status_code == 302
    customer = db.session.scalar(sa.select(Customer).where(Customer.name == "Fresh Start GmbH"))
    assert response.headers["Location"] == f"/customers/{customer.id}"
    assert customer.vat_id == "DE136695976" and str(customer.tax_rate) == "19.00"
    assert customer.alias_values == ["crm-100", "erp-200"]
    assert customer.debtor_ident.startswith("CUST-") and customer.account_number
    main = customer.addresses[0]
    assert main.is_main and main.type == "invoice" and main.city == "Berlin" and main.country == "DE"
    assert customer.primary_contact.email == "grace@fresh.example"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.customer_id == customer.id))
    assert event.action == "create" and event.actor_name == "manager@acme.test"
    assert event.changes["name"] == [None, "Fresh Start GmbH"]
    detail = as_manager.get(response.headers["Location"]).get_data(as_text=True)
    assert "Fresh Start GmbH" in detail and "created" in detail


def test_create_by_htmx_redirects_the_browser(as_manager, org):
    response = as_manager.post("/customers/new", VALID, htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/customers/")


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "Name is required."),
    ("contact_email", "not-an-email", "Not a valid email address"),
    ("country", "", "Country is required."),
    ("currency", "XXQ", "Choose a currency"),
    ("tax_rate", "100.01", "Enter a number from 0.00 to 100.00."),
    ("tax_rate", "abc", "Enter a number from 0.00 to 100.00."),
    ("tax_rate", "7.125", "At most two decimals."),
    ("vat_id", "DE123456789", "Not a valid EU VAT id"),
    ("aliases", "x\nx", "listed twice"),
    ("debtor_ident", "has space", "letters, digits"),
])
def test_invalid_input_is_shown_at_the_field_and_kept(as_manager, org, field, value, message):
    response = as_manager.post("/customers/new", {**VALID, field: value}, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'aria-invalid="true"' in html
    assert 'value="Grace"' in html  # the rest of the input stays
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 0


def test_alias_and_debtor_ident_must_be_unique_in_the_organization(as_manager, make, org):
    make.customer(org, aliases=["crm-100"], debtorIdent="TAKEN-1")
    response = as_manager.post("/customers/new", {**VALID, "debtor_ident": "TAKEN-1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Alias &#39;crm-100&#39; already belongs to another customer." in html
    assert "Debtor ident &#39;TAKEN-1&#39; is already taken." in html


def test_same_alias_is_fine_in_another_organization(as_manager, make, org):
    make.customer(make.org("globex"), aliases=["crm-100"])
    assert as_manager.post("/customers/new", VALID).status_code == 302


def test_viewers_cannot_create_customers(auth, make, org):
    auth.login(make.user(org, "viewer"))
    assert "New customer" not in auth.get("/customers").get_data(as_text=True)
    assert auth.get("/customers/new").status_code == 403
    assert auth.post("/customers/new", VALID).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 0


def test_form_fields_carry_no_unset_attributes(as_manager):
    html = as_manager.get("/customers/new").get_data(as_text=True)
    assert '="None"' not in html
    assert html.count("autofocus") == 1  # only the first field takes the focus
