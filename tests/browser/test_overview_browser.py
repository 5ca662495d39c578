"""What an account manager does on the customer overview, in a real Chromium."""
import re

from playwright.sync_api import expect


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
