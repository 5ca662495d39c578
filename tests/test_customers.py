"""The customer overview, CSV export and New customer, as a manager or viewer sees them."""
import csv
import io
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.extensions import db
from portal.models import AuditEvent, Customer


class OverviewPage:
    """The overview as a browser reads it (parsed): the listed names, each select's options, elements by id."""

    def __init__(self, html):
        self.soup = BeautifulSoup(html, "html.parser")

    @property
    def names(self):
        return [link.get_text() for link in self.soup.select("td.name > a")]

    def options(self, select_id):
        """[value, label, marked selected] of each option of a select."""
        return [[option.get("value"), option.get_text(), option.has_attr("selected")]
                for option in self.soup.select(f"select#{select_id} option")]

    def selected(self, select_id):
        """The value a select shows: the option marked selected, else the first."""
        options = self.options(select_id)
        return next((value for value, _label, chosen in options if chosen), options[0][0])

    def labels_of(self, select_id):
        return [label for _value, label, _chosen in self.options(select_id)]

    def element(self, element_id):
        return self.soup.find(id=element_id)


def page_of(response):
    return OverviewPage(response.get_data(as_text=True))


def rows_of(response):
    """The customer names listed in the overview's table."""
    return page_of(response).names


def csv_rows(response):
    """The export as a spreadsheet reads it: UTF-8 after the byte order mark, the header row as keys."""
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


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
    assert rows_of(response) == ["Atlas Robotics Inc.", "Harbor Foods Ltd", "Nordwind Logistik GmbH"]
    assert '<span class="badge">Archived</span>' in response.get_data(as_text=True)


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
    rows = csv_rows(response)
    assert [r["Name"] for r in rows] == ["Nordwind Logistik GmbH"]
    assert rows[0]["VAT ID"] == "DE136695976" and rows[0]["Primary contact email"].startswith("ada")


def test_csv_export_defuses_spreadsheet_formulas(as_manager, make, org):
    make.customer(org, name="=HYPERLINK(\"http://x\")")
    rows = csv_rows(as_manager.get("/customers/export.csv"))
    assert rows[0]["Name"].startswith("'=")


def test_overview_query_count_does_not_grow_with_rows(as_manager, make, org, count_queries):
    make.customer(org, name="Only one")
    with count_queries() as few:
        as_manager.get("/customers")
    for n in range(30):
        make.customer(org, name=f"More {n}", aliases=[f"a{n}"])
    with count_queries() as many:
        response = as_manager.get("/customers")
    assert len(rows_of(response)) == 31
    assert many.count == few.count <= 6  # session, tally, ids, rows; the filters' currencies and groups


def test_overview_html_for_50_rows_is_small(app, as_manager, make, org):
    for n in range(50):
        make.customer(org, name=f"Company number {n} with a fairly long name GmbH & Co. KG")
    html = as_manager.get("/customers").get_data()
    assert len(rows_of(as_manager.get("/customers"))) == 50
    assert len(html) < 60_000


# --- the filters speak the product, the export is the list on screen ---------------------------------------

def test_type_filter_and_column_show_labels_and_the_url_keeps_the_codes(as_manager, make, org):
    make.customer(org, name="Sister Company", customerType="AFFILIATED")
    make.customer(org, name="Someone Else", customerType="OTHER")
    page = page_of(as_manager.get("/customers?type=AFFILIATED"))
    assert page.options("f-type") == [["", "All types", False], ["B2B", "Business (B2B)", False],
                                      ["B2C", "Consumer (B2C)", False], ["AFFILIATED", "Affiliated company", True],
                                      ["OTHER", "Other", False]]
    assert page.names == ["Sister Company"]
    html = as_manager.get("/customers").get_data(as_text=True)
    assert ">AFFILIATED<" not in html and ">OTHER<" not in html and "<td>Affiliated company</td>" in html
    assert page_of(as_manager.get("/customers")).labels_of("f-status") == ["Active", "Archived", "All"]


def test_currency_filter_lists_the_currencies_in_use_with_names(as_manager, make, org):
    make.customer(org, name="Euro One", currency="EUR")
    make.customer(org, name="Euro Two", currency="EUR")
    make.customer(org, name="Yen", country="JP", currency="JPY")
    archived = make.customer(org, name="Old Franc", country="CH", currency="CHF")
    archived.status = "archived"
    make.customer(make.org("globex"), name="Elsewhere", currency="GBP")  # another tenant's currency is not listed
    db.session.commit()
    page = page_of(as_manager.get("/customers"))
    assert page.options("f-currency") == [["", "All currencies", False], ["CHF", "CHF – Swiss Franc", False],
                                          ["EUR", "EUR – Euro", False], ["JPY", "JPY – Yen", False]]


def test_currency_filter_shows_a_bookmarked_currency_nobody_uses(as_manager, make, org):
    make.customer(org, name="Euro One", currency="EUR")
    page = page_of(as_manager.get("/customers?currency=USD"))
    assert page.selected("f-currency") == "USD" and page.names == []
    assert [value for value, _label, _chosen in page.options("f-currency")] == ["", "EUR", "USD"]


def test_csv_is_utf8_with_bom_and_labelled_headers(as_manager, make, org):
    make.customer(org, name="Müller Öl GmbH")
    body = as_manager.get("/customers/export.csv").get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    header = next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header == ["Customer ID", "Debtor ID", "Account number", "Name", "Customer type", "Status", "Country",
                      "Billing currency", "Legal entity", "Group", "Primary contact email", "VAT ID", "Tax rate", "Language",
                      "Created", "Payment term", "Auto-collect (auto pay)", "Send payment reminders",
                      "Dunning exempt", "E-invoice format"]
    assert "Müller Öl GmbH" in body.decode("utf-8-sig")


def test_csv_shows_labels_yes_no_and_readable_dates(as_manager, make, org):
    from zoneinfo import ZoneInfo

    from portal.services.settings_store import update_customer_settings

    consumer = make.customer(org, name="Private Person", customerType="B2C", language="de")
    update_customer_settings(consumer, {"dunningExempt": True, "eInvoiceFormat": "xrechnung-ubl",
                                        "eInvoiceBuyerReference": "04011000-1234512345-06", "term": "Net30"})
    db.session.commit()
    row = csv_rows(as_manager.get("/customers/export.csv"))[0]
    created = consumer.created_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo("Europe/Berlin"))
    assert row["Customer type"] == "Consumer (B2C)" and row["Status"] == "Active" and row["Language"] == "German"
    assert row["Created"] == created.strftime("%Y-%m-%d %H:%M")
    assert (row["Dunning exempt"], row["Auto-collect (auto pay)"], row["Send payment reminders"]) == ("Yes", "No", "Yes")
    assert row["E-invoice format"] == "XRechnung (UBL)" and row["Payment term"] == "Due 30 days after the invoice date"
    assert {"True", "False", "None", "B2C", "xrechnung-ubl"}.isdisjoint(row.values())


@pytest.fixture
def cedars(make, org):
    """Nine Cedar customers among others, in two currencies."""
    names = [f"Cedar {kind} {n}" for n, kind in enumerate(["Logistics", "Foods", "Media"] * 3)]
    for n, name in enumerate(names):
        make.customer(org, name=name, currency="EUR" if n % 2 else "GBP", country="DE" if n % 2 else "GB")
    for n in range(6):
        make.customer(org, name=f"Maple Labs {n}")
    return names


@pytest.mark.parametrize("args", ["q=cedar", "q=cedar&currency=EUR", "q=cedar&sort=-name",
                                  "q=cedar+foods&sort=-createdAt", "currency=GBP&sort=country", "status=all"])
def test_csv_export_is_exactly_the_list_on_screen(app, as_manager, cedars, args):
    app.config["PAGE_SIZE"] = 100
    on_screen = rows_of(as_manager.get(f"/customers?{args}"))
    assert on_screen
    assert [row["Name"] for row in csv_rows(as_manager.get(f"/customers/export.csv?{args}"))] == on_screen


def test_export_link_carries_the_live_search_filters_and_sort(as_manager, cedars):
    # without JavaScript: the page the form's Apply button loads
    page = page_of(as_manager.get("/customers?q=cedar&currency=EUR&sort=-name"))
    link = urlsplit(page.element("export-link")["href"])
    assert link.path == "/customers/export.csv"
    assert parse_qs(link.query) == {"q": ["cedar"], "currency": ["EUR"], "sort": ["-name"]}
    # with htmx: every list the search, a filter or a sort swaps in brings the link along, out of band
    fragment = as_manager.get("/customers?q=cedar&sort=-name", htmx=True, **{"HX-Target": "results"})
    swapped = page_of(fragment).element("export-link")
    assert swapped["hx-swap-oob"] == "true"
    assert parse_qs(urlsplit(swapped["href"]).query) == {"q": ["cedar"], "sort": ["-name"]}
    assert fragment.headers["HX-Push-Url"] == "/customers?q=cedar&sort=-name"


def test_the_list_alone_reads_no_filter_options(as_manager, cedars, count_queries):
    with count_queries() as whole_page:
        as_manager.get("/customers?q=cedar")
    with count_queries() as list_only:
        as_manager.get("/customers?q=cedar", htmx=True, **{"HX-Target": "results"})
    assert list_only.count == whole_page.count - 2  # neither the currencies in use nor the legal entities


# --- search: accents folded, contacts, addresses, email domains ---------------------------------------------

@pytest.fixture
def people(make, org):
    """Customers whose contacts and addresses differ from their names."""
    return {
        "mueller": make.customer(org, name="Müller Maschinenbau GmbH",
                                 primaryContact={"firstName": "Jürgen", "lastName": "Weiß",
                                                 "email": "j.weiss@mueller-maschinen.example"},
                                 invoiceAddress={"line1": "Hauptstraße 1", "city": "München", "postalCode": "80331"}),
        "muller": make.customer(org, name="Muller Freight Ltd", country="GB", currency="GBP",
                                primaryContact={"firstName": "Zoë", "lastName": "Strasser",
                                                "email": "zoe@billing.freight.example"},
                                invoiceAddress={"line1": "1 High St", "city": "London", "postalCode": "EC1A 1BB"}),
        "cedar": make.customer(org, name="Cedar Foods AG", country="CH", currency="CHF",
                               primaryContact={"firstName": "Ana", "lastName": "Søndergaard",
                                               "email": "ana@acme.example"},
                               invoiceAddress={"line1": "Seestrasse 5", "city": "Zürich", "postalCode": "8001"}),
    }


@pytest.mark.parametrize("query, expected", [
    ("muller", ["Muller Freight Ltd", "Müller Maschinenbau GmbH"]),  # accents folded both ways
    ("müller", ["Muller Freight Ltd", "Müller Maschinenbau GmbH"]),
    ("MÜLLER maschinen", ["Müller Maschinenbau GmbH"]),
    ("mueller", ["Müller Maschinenbau GmbH"]),  # the German spelling of ü
    ("jurgen", ["Müller Maschinenbau GmbH"]),  # contact first name
    ("weiss", ["Müller Maschinenbau GmbH"]),  # contact last name, ß as ss
    ("weiß", ["Müller Maschinenbau GmbH"]),
    ("zoe strasser", ["Muller Freight Ltd"]),
    ("straßer", ["Muller Freight Ltd"]),  # ß and ss both ways
    ("sondergaard", ["Cedar Foods AG"]),  # ø
    ("munchen", ["Müller Maschinenbau GmbH"]),  # city
    ("zurich", ["Cedar Foods AG"]),
    ("london", ["Muller Freight Ltd"]),
    ("80331", ["Müller Maschinenbau GmbH"]),  # postal code
    ("ec1a 1bb", ["Muller Freight Ltd"]),
    ("ec1a1bb", ["Muller Freight Ltd"]),
    ("acme.example", ["Cedar Foods AG"]),  # email domain
    ("@acme.example", ["Cedar Foods AG"]),
    ("freight.example", ["Muller Freight Ltd"]),  # the domain of billing.freight.example
    ("@billing.freight", ["Muller Freight Ltd"]),
    ("mueller-maschinen.example", ["Müller Maschinenbau GmbH"]),
    ("zoe@billing", ["Muller Freight Ltd"]),
    ("london cedar", []),
])
def test_search_folds_accents_and_finds_contacts_cities_postal_codes_and_domains(as_manager, people, query,
                                                                                   expected):
    assert rows_of(as_manager.get("/customers?" + urlencode({"q": query}))) == expected


def test_search_finds_every_contact_not_only_the_primary(as_manager, people):
    from portal.services.contacts import create_contact

    create_contact(people["cedar"], {"firstName": "Émile", "lastName": "Zola", "email": "emile@books.example"})
    db.session.commit()
    assert rows_of(as_manager.get("/customers?q=emile")) == ["Cedar Foods AG"]
    assert rows_of(as_manager.get("/customers?q=books.example")) == ["Cedar Foods AG"]


def test_search_follows_contact_and_address_edits_in_the_portal(as_manager, people):
    from tests.test_detail_parts import card_url

    customer = people["cedar"]
    as_manager.save(card_url(customer, "contacts", customer.primary_contact),
                    {"first_name": "Bea", "last_name": "Kähler", "email": "bea@initech.example"})
    as_manager.save(card_url(customer, "addresses", customer.addresses[0]), {"city": "Genève", "postal_code": "1201"})
    for gone in ("sondergaard", "acme.example", "zurich", "8001"):
        assert rows_of(as_manager.get(f"/customers?q={gone}")) == [], gone
    for found in ("kahler", "kaehler", "initech.example", "geneve", "1201"):
        assert rows_of(as_manager.get(f"/customers?q={found}")) == ["Cedar Foods AG"], found
    as_manager.post(f"/customers/{customer.id}/addresses", {
        "type": "shipping", "name": "Warehouse", "line1": "Dock 4", "city": "Basel", "postal_code": "4001",
        "country": "CH"})
    assert rows_of(as_manager.get("/customers?q=basel")) == ["Cedar Foods AG"]


def test_search_follows_contact_and_address_writes_through_the_api(client, org, people):
    from tests.api.conftest import Api, token_for

    api = Api(client, token_for(org))
    customer = people["muller"]
    manager_view = f"/api/v1/customers?q="
    address = customer.addresses[0]
    assert api.patch(f"/customers/{customer.id}/addresses/{address.id}", {"city": "Cardiff"}).status_code == 200
    created = api.post(f"/customers/{customer.id}/contacts", {"firstName": "Øyvind", "lastName": "Ås",
                                                              "email": "oyvind@nordic.example"})
    assert created.status_code == 201

    def found(query):
        return [c["name"] for c in client.get(manager_view + query, headers=api._headers(None)).get_json()["data"]]

    assert found("cardiff") == ["Muller Freight Ltd"] and found("london") == []
    assert found("oyvind") == ["Muller Freight Ltd"] and found("nordic.example") == ["Muller Freight Ltd"]
    assert api.delete(f"/customers/{customer.id}/contacts/{created.get_json()['id']}").status_code == 204
    assert found("oyvind") == []


def test_search_finds_demo_customers_by_contact_and_city(runner, as_manager, org):
    from portal.models import Address, Contact

    assert runner.invoke(args=["seed-demo", "--customers", "20", "--org", org.slug]).exit_code == 0
    contact = db.session.scalars(sa.select(Contact).order_by(Contact.id)).first()
    city = db.session.scalar(sa.select(Address.city).where(Address.customer_id == contact.customer_id))
    wanted = db.session.get(Customer, contact.customer_id).name
    assert wanted in rows_of(as_manager.get("/customers?" + urlencode({"q": f"{contact.last_name} {city}"})))
    domain = contact.email.split("@")[1]
    assert rows_of(as_manager.get(f"/customers?q=@{domain}")) == [wanted]


def test_search_query_count_does_not_grow_with_matches(as_manager, make, org, count_queries):
    def add(n):
        make.customer(org, name=f"Cedar {n}", primaryContact={"firstName": "Ana", "lastName": "Müller",
                                                              "email": f"ana{n}@acme.example"},
                      invoiceAddress={"line1": "Seestrasse 5", "city": "Zürich", "postalCode": "8001"},
                      aliases=[f"c-{n}"])

    add(0)
    with count_queries() as few:
        first = as_manager.get("/customers?q=muller+zurich+@acme.example")
    for n in range(1, 31):
        add(n)
    with count_queries() as many:
        response = as_manager.get("/customers?q=muller+zurich+@acme.example")
    assert len(rows_of(first)) == 1 and len(rows_of(response)) == 31
    assert many.count == few.count <= 6


SEARCH_TERMS_REBUILD = "7b41c9e2d5f3"


def _revision_before(revision):
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_revision(revision).down_revision


def test_migration_rebuilds_the_terms_of_existing_customers(app, people):
    """Customers indexed by the rules before (accents kept, primary email only) are found by the new rules
    after `flask db upgrade`, with the same terms as the portal gives them; the way down restores the old ones."""
    from flask_migrate import downgrade, upgrade

    from portal.models import CustomerSearchTerm
    from portal.services.customer_search import customer_terms

    def stored(customer_id):
        return set(db.session.scalars(sa.select(CustomerSearchTerm.term).where(
            CustomerSearchTerm.customer_id == customer_id)))

    ids = {key: customer.id for key, customer in people.items()}
    db.session.commit()
    db.session.remove()
    # down to the revision before the rebuild (and any later ones), then up again
    downgrade(revision=_revision_before(SEARCH_TERMS_REBUILD))
    assert "müller" in stored(ids["mueller"]) and "jurgen" not in stored(ids["mueller"])
    db.session.remove()
    upgrade()
    for customer_id in ids.values():
        assert stored(customer_id) == customer_terms(db.session.get(Customer, customer_id))


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
