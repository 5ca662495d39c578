"""What an account manager does on the customer overview, in a real Chromium."""
import csv
import io
import re
from pathlib import Path
from urllib.parse import quote_plus

from playwright.sync_api import expect

from tests.browser.conftest import settled


def names(page):
    return page.locator("table.customers td.name a").all_inner_texts()


def test_sign_in_shows_who_and_where(sign_in, page, manager):
    sign_in(manager)
    expect(page.get_by_role("status").first).to_contain_text(f"Signed in as {manager.email}")
    expect(page.locator(".who-org")).to_have_text("Acme Corp")


def test_search_as_you_type_updates_list_and_url(sign_in, page, make, org, manager):
    for name in ("Nordwind Logistik GmbH", "Harbor Foods Ltd", "Atlas Robotics Inc."):
        make.customer(org, name=name)
    sign_in(manager)
    page.get_by_label("Search").press_sequentially("harb", delay=30)
    expect(page.locator("#result-count")).to_have_text("1–1 of 1 customer")
    assert names(page) == ["Harbor Foods Ltd"]
    expect(page).to_have_url(re.compile(r"q=harb"))
    expect(page.get_by_label("Search")).to_be_focused()  # typing is never interrupted


def test_filter_sort_page_and_back_button(app, sign_in, page, make, org, manager):
    app.config["PAGE_SIZE"] = 50
    for n in range(55):
        make.customer(org, name=f"Euro Customer {n:02d}", country="DE", currency="EUR")
    make.customer(org, name="Pound Customer", country="GB", currency="GBP")
    sign_in(manager)
    expect(page.locator("#result-count")).to_have_text("1–50 of 56 customers")

    page.get_by_label("Currency").select_option("EUR")
    expect(page.locator("#result-count")).to_have_text("1–50 of 55 customers")
    expect(page).to_have_url(re.compile(r"currency=EUR"))

    page.get_by_role("link", name="Name").click()  # sorted descending
    expect(page.locator("table.customers td.name a").first).to_have_text("Euro Customer 54")
    expect(page).to_have_url(re.compile(r"sort=-name"))

    page.get_by_role("link", name="Next ›").click()
    expect(page.locator("#result-count")).to_have_text("51–55 of 55 customers")
    assert names(page)[-1] == "Euro Customer 00"

    page.go_back()
    expect(page.locator("#result-count")).to_have_text("1–50 of 55 customers")
    expect(page.locator("table.customers td.name a").first).to_have_text("Euro Customer 54")
    page.go_back()
    page.go_back()
    expect(page.locator("#result-count")).to_have_text("1–50 of 56 customers")
    expect(page.get_by_label("Currency")).to_have_value("")

    # a bookmark of a state lands on that state
    page.goto("/customers?currency=GBP")
    assert names(page) == ["Pound Customer"]


def test_create_customer_in_the_modal_with_a_validation_error(sign_in, page, org, manager):
    sign_in(manager)
    page.get_by_role("link", name="New customer").click()
    dialog = page.get_by_role("dialog", name="New customer")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Customer name")).to_be_focused()
    dialog.get_by_label("Customer name").fill("Brand New GmbH")
    dialog.get_by_label("First name").fill("Grace")
    dialog.get_by_label("Last name").fill("Hopper")
    dialog.get_by_label("Primary contact email").fill("grace@brandnew.example")
    dialog.get_by_label("Country").select_option("DE")
    dialog.get_by_label("Billing currency").select_option("EUR")
    dialog.get_by_label("Tax rate (%)").fill("120")
    dialog.get_by_role("button", name="Create customer").click()

    expect(dialog.get_by_text("Enter a number from 0.00 to 100.00.")).to_be_visible()
    expect(dialog.get_by_role("alert")).to_contain_text("Please correct 1 field below.")
    expect(dialog.get_by_label("Customer name")).to_have_value("Brand New GmbH")
    expect(dialog.get_by_label("Tax rate (%)")).to_have_attribute("aria-invalid", "true")

    dialog.get_by_label("Tax rate (%)").fill("19")
    dialog.get_by_role("button", name="Create customer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Brand New GmbH")
    expect(page.get_by_role("status").first).to_contain_text("Customer Brand New GmbH")

    page.goto("/customers?q=brand")
    assert names(page) == ["Brand New GmbH"]


def test_escape_closes_the_modal(sign_in, page, org, manager):
    sign_in(manager)
    page.get_by_role("link", name="New customer").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_viewer_sees_no_new_customer_button(sign_in, page, make, org):
    sign_in(make.user(org, "viewer"))
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    expect(page.get_by_role("link", name="New customer")).to_have_count(0)


# --- issue 11: the export, the ticks and the Back button follow the list on screen -----------------------------

def page_errors(page):
    """Script errors the page throws (a TypeError in portal.js or overview.js fails the test)."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def no_request_in_flight(page):
    """Wait until htmx has answered every request it sent and settled the swap."""
    expect(page.locator(".htmx-request")).to_have_count(0)
    settled(page)


def cedar_and_others(make, org):
    cedars = [f"Cedar {kind}" for kind in ("Analytics", "Foods", "Labs", "Media")]
    for name in cedars:
        make.customer(org, name=name)
    for n in range(5):
        make.customer(org, name=f"Maple Labs {n}")
    return cedars


def test_export_downloads_the_list_on_screen(sign_in, page, make, org, manager):
    cedars = cedar_and_others(make, org)
    errors = page_errors(page)
    sign_in(manager)
    page.get_by_label("Search").press_sequentially("cedar", delay=30)
    expect(page.locator("#result-count")).to_have_text("1–4 of 4 customers")
    page.get_by_role("link", name="Name").click()  # sorted descending
    expect(page.locator("table.customers td.name a").first).to_have_text("Cedar Media")
    no_request_in_flight(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    body = Path(download.value.path()).read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row["Name"] for row in rows] == names(page) == cedars[::-1]
    assert errors == []


def test_a_tick_survives_the_search_firing_again_and_the_bulk_dialog_counts_every_tick(sign_in, page, make, org,
                                                                                          manager):
    cedar_and_others(make, org)
    sign_in(manager)
    page.get_by_label("Search").press_sequentially("cedar", delay=30)
    expect(page.locator("#result-count")).to_have_text("1–4 of 4 customers")
    no_request_in_flight(page)

    page.get_by_label("Select Cedar Foods").check()  # the search box loses the focus here
    no_request_in_flight(page)
    page.get_by_label("Select Cedar Media").check()
    expect(page.get_by_label("Select Cedar Foods")).to_be_checked()
    expect(page.locator("#ticked-count")).to_have_text("(2 ticked)")

    page.get_by_text("Change several customers: a billing setting, or move them to a group").click()
    page.get_by_label("Reset to inherited instead").check()
    page.get_by_role("button", name="Review change…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_contain_text("for 2 customers?")
    expect(dialog.get_by_role("button", name="Apply to 2 customers")).to_be_visible()


def test_ticks_of_customers_still_listed_survive_a_narrower_search(sign_in, page, make, org, manager):
    cedar_and_others(make, org)
    sign_in(manager)
    page.get_by_label("Search").press_sequentially("cedar", delay=30)
    expect(page.locator("#result-count")).to_have_text("1–4 of 4 customers")
    no_request_in_flight(page)
    page.get_by_label("Select Cedar Foods").check()
    page.get_by_label("Select Cedar Media").check()
    page.get_by_label("Search").fill("cedar foods")
    expect(page.locator("#result-count")).to_have_text("1–1 of 1 customer")
    expect(page.get_by_label("Select Cedar Foods")).to_be_checked()
    expect(page.locator("#ticked-count")).to_have_text("(1 ticked)")


def test_back_and_forward_after_a_sort_keep_the_dropdowns_and_the_list_together(sign_in, page, make, org,
                                                                                   manager):
    for name, currency, country in (("Alpha Euro", "EUR", "DE"), ("Beta Euro", "EUR", "DE"),
                                    ("Gamma Pound", "GBP", "GB"), ("Delta Franc", "CHF", "CH")):
        make.customer(org, name=name, currency=currency, country=country)
    errors = page_errors(page)
    sign_in(manager)
    currency, country = page.get_by_label("Currency"), page.get_by_label("Country")

    currency.select_option("EUR")
    expect(page.locator("#result-count")).to_have_text("1–2 of 2 customers")
    country.select_option("DE")
    expect(page).to_have_url(re.compile(r"country=DE"))
    page.get_by_role("link", name="Name").click()
    expect(page).to_have_url(re.compile(r"sort=-name"))
    expect(page.locator("table.customers td.name a").first).to_have_text("Beta Euro")

    page.go_back()  # before the sort: EUR and DE, by name
    expect(page).not_to_have_url(re.compile(r"sort=-name"))
    expect(page.locator("table.customers td.name a").first).to_have_text("Alpha Euro")
    assert errors == []
    expect(currency).to_have_value("EUR")
    expect(country).to_have_value("DE")
    page.go_back()
    page.go_back()  # the page as first loaded: everyone, no filter
    expect(page.locator("#result-count")).to_have_text("1–4 of 4 customers")
    expect(currency).to_have_value("")
    expect(country).to_have_value("")
    page.go_forward()  # EUR only
    expect(page.locator("#result-count")).to_have_text("1–2 of 2 customers")
    expect(currency).to_have_value("EUR")
    expect(country).to_have_value("")
    assert names(page) == ["Alpha Euro", "Beta Euro"]

    # the export and the filters keep working after the history moves
    country.select_option("DE")
    expect(page.locator("#result-count")).to_have_text("1–2 of 2 customers")
    expect(page.get_by_role("link", name="Export CSV")).to_have_attribute("href", re.compile(r"country=DE"))
    assert errors == []


def test_search_finds_accents_folded_and_by_contact_and_the_filters_speak_the_product(sign_in, page, make, org,
                                                                                        manager):
    make.customer(org, name="Müller Maschinenbau GmbH", customerType="AFFILIATED",
                  primaryContact={"firstName": "Jürgen", "lastName": "Weiß", "email": "jw@maschinen.example"},
                  invoiceAddress={"line1": "Hauptstraße 1", "city": "München", "postalCode": "80331"})
    make.customer(org, name="Cedar Foods", currency="CHF", country="CH")
    sign_in(manager)
    expect(page.get_by_label("Currency").locator("option")).to_have_text(
        ["All currencies", "CHF – Swiss Franc", "EUR – Euro"])
    page.get_by_label("Type").select_option(label="Affiliated company")
    expect(page).to_have_url(re.compile(r"type=AFFILIATED"))
    expect(page.locator("#result-count")).to_have_text("1–1 of 1 customer")
    for query in ("muller", "jurgen weiss", "munchen", "@maschinen.example"):
        page.get_by_label("Search").fill(query)
        expect(page).to_have_url(re.compile(r"q=" + re.escape(quote_plus(query, safe="@")) + "(&|$)"))
        expect(page.locator("#result-count")).to_have_text("1–1 of 1 customer")
        assert names(page) == ["Müller Maschinenbau GmbH"]
