"""Inline editing on the customer detail page, in a real Chromium: no reloads, keyboard, conflicts."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import settled, sign_in_on


@pytest.fixture
def customer(make, org):
    return make.customer(org, name="Inline GmbH", invoiceAddress={"line1": "Gartenweg 5", "city": "Berlin",
                                                                  "postalCode": "10115"})


def mark_page(page):
    """Set a marker that a page reload would wipe out."""
    page.evaluate("window.__noReload = true")


def assert_no_reload(page):
    assert page.evaluate("window.__noReload === true"), "the page was reloaded"


def open_tab(sign_in, page, manager, customer, tab):
    sign_in(manager, f"/customers/{customer.id}/{tab}")
    mark_page(page)


def test_edit_an_address_in_place(sign_in, page, manager, customer):
    open_tab(sign_in, page, manager, customer, "addresses")
    page.get_by_role("link", name="Edit Invoice address 1").click()
    card = page.get_by_role("region", name="Edit Invoice address 1")
    expect(card.get_by_label("Name")).to_be_focused()
    settled(page)
    card.get_by_label("City").fill("Potsdam")
    card.get_by_label("Postal code").fill("14467")
    card.get_by_role("button", name="Save").click()
    expect(page.locator(f"#address-{customer.addresses[0].id} address")).to_contain_text("14467 Potsdam")
    expect(page.get_by_role("link", name="Edit Invoice address 1")).to_be_focused()
    assert_no_reload(page)


def test_add_a_contact_and_make_it_primary(sign_in, page, manager, customer):
    open_tab(sign_in, page, manager, customer, "contacts")
    page.get_by_role("link", name="Add contact").click()
    form = page.get_by_role("region", name="New contact")
    form.get_by_label("First name").fill("Grace")
    form.get_by_label("Last name").fill("Hopper")
    form.get_by_label("Email").fill("grace@inline.example")
    form.get_by_label("Legal notices").check()
    form.get_by_role("button", name="Add contact").click()
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    expect(page.locator("#contact-list .recipients")).to_contain_text("Grace Hopper")
    expect(page.locator(".contact-row", has_text="Grace Hopper")).to_contain_text("grace@inline.example")

    page.get_by_role("button", name="Make Grace Hopper primary").click()
    expect(page.get_by_role("heading", name="Grace Hopper primary")).to_be_visible()
    expect(page.get_by_role("button", name="Make Ada Lovelace primary")).to_be_visible()
    assert_no_reload(page)
    page.get_by_role("link", name="Overview").click()
    expect(page.locator("#primary-email")).to_have_text("grace@inline.example")


def test_validation_error_keeps_the_input(sign_in, page, manager, customer):
    open_tab(sign_in, page, manager, customer, "tax")
    page.get_by_role("link", name="Edit tax").click()
    expect(page.get_by_label("VAT id")).to_be_focused()
    settled(page)  # htmx focuses it again after settling; type after that
    page.get_by_label("Tax rate (%)").fill("150")
    page.get_by_label("VAT id").fill("DE123")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enter a number from 0.00 to 100.00.")).to_be_visible()
    expect(page.get_by_text("Not a valid EU VAT id (check the country prefix and digits).")).to_be_visible()
    expect(page.get_by_label("Tax rate (%)")).to_have_value("150")
    expect(page.get_by_label("VAT id")).to_have_value("DE123")
    expect(page.get_by_role("alert").filter(has_text="Please correct")).to_be_visible()
    page.get_by_label("VAT id").fill("DE136695976")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Tax rate (%)")).to_be_focused()  # the first invalid field, not the first field
    page.get_by_label("Tax rate (%)").fill("19")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#section-tax")).to_contain_text("19.00 %")
    assert_no_reload(page)


def test_keyboard_only_editing(sign_in, page, manager, customer):
    open_tab(sign_in, page, manager, customer, "overview")
    edit = page.get_by_role("link", name="Edit general")
    edit.focus()
    page.keyboard.press("Enter")
    name = page.get_by_label("Name")
    expect(name).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("Keyboard AG")
    page.keyboard.press("Enter")  # Enter saves
    expect(page.locator("#customer-name")).to_have_text("Keyboard AG")  # the header follows
    expect(page.get_by_role("link", name="Edit general")).to_be_focused()

    page.keyboard.press("Enter")
    expect(page.get_by_label("Name")).to_be_focused()
    page.keyboard.type(" (typo)")
    page.keyboard.press("Escape")  # Escape cancels
    expect(page.locator("#section-general form")).to_have_count(0)
    expect(page.locator("#section-general")).to_contain_text("Keyboard AG")
    expect(page.get_by_role("link", name="Edit general")).to_be_focused()
    assert_no_reload(page)


@pytest.fixture
def second_browser(browser, live_server, htmx_js):
    """A second person's browser: its own context (cookies), htmx served like the first's."""
    from portal.config import HTMX_URL

    context = browser.new_context(base_url=live_server)
    context.route(HTMX_URL, lambda route: route.fulfill(body=htmx_js, headers={
        "content-type": "application/javascript", "access-control-allow-origin": "*"}))

    def open_as(user, path):
        return sign_in_on(context.new_page(), user, path)

    yield open_as
    context.close()


@pytest.fixture
def colleague(make, org):
    """A second account manager (made before anyone signs in: the test's own session must not write later)."""
    return make.user(org, "manager", email="second@acme.test")


def test_two_managers_editing_one_section(second_browser, sign_in, page, colleague, manager, customer):
    open_tab(sign_in, page, manager, customer, "overview")
    page.get_by_role("link", name="Edit general").click()
    expect(page.get_by_label("Name")).to_be_focused()

    second = second_browser(colleague, f"/customers/{customer.id}")
    second.get_by_role("link", name="Edit general").click()
    expect(second.get_by_label("Name")).to_be_focused()
    second.get_by_label("Name").fill("Saved First GmbH")
    second.get_by_role("button", name="Save").click()
    expect(second.locator("#customer-name")).to_have_text("Saved First GmbH")

    # A different field of the same section: saved, and the other person's name stays.
    page.get_by_label("Billing currency").select_option("CHF")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#section-general")).to_contain_text("CHF")
    expect(page.locator("#section-general")).to_contain_text("Saved First GmbH")
    expect(page.locator("#customer-name")).to_have_text("Saved First GmbH")

    # The same field: the conflict view shows both values, and nothing typed is lost.
    page.get_by_role("link", name="Edit general").click()
    expect(page.get_by_label("Name")).to_be_focused()
    second.get_by_role("link", name="Edit general").click()
    expect(second.get_by_label("Name")).to_be_focused()
    second.get_by_label("Name").fill("Second Again GmbH")
    second.get_by_role("button", name="Save").click()
    expect(second.locator("#customer-name")).to_have_text("Second Again GmbH")
    page.get_by_label("Name").fill("Mine Later GmbH")
    page.get_by_role("button", name="Save").click()
    notice = page.get_by_role("alert").filter(has_text="Someone else changed this field")
    expect(notice).to_be_visible()
    expect(notice.get_by_role("row", name=re.compile("Name"))).to_contain_text("Second Again GmbH")
    expect(notice.get_by_role("row", name=re.compile("Name"))).to_contain_text("Mine Later GmbH")
    expect(page.get_by_label("Name")).to_have_value("Mine Later GmbH")
    page.get_by_role("button", name="Save").click()  # apply mine, knowingly
    expect(page.locator("#customer-name")).to_have_text("Mine Later GmbH")
    assert_no_reload(page)


def test_two_managers_change_different_settings_rows(second_browser, sign_in, page, colleague, manager, customer):
    open_tab(sign_in, page, manager, customer, "settings")
    page.get_by_role("link", name="Change Roll up taxes").click()
    expect(page.locator("#input-rollUpTaxes")).to_be_focused()

    second = second_browser(colleague, f"/customers/{customer.id}/settings")
    second.get_by_role("link", name="Change Roll up discounts").click()
    expect(second.locator("#input-rollUpDiscounts")).to_be_focused()
    second.locator("#input-rollUpDiscounts").select_option("true")
    second.locator("#setting-rollUpDiscounts").get_by_role("button", name="Save").click()
    expect(second.locator("#setting-rollUpDiscounts")).to_contain_text("Customer-specific Value")

    page.locator("#input-rollUpTaxes").select_option("true")
    page.locator("#setting-rollUpTaxes").get_by_role("button", name="Save").click()
    expect(page.locator("#setting-rollUpTaxes")).to_contain_text("Customer-specific Value")
    expect(page.locator("#setting-rollUpTaxes .value")).to_have_text("On")
    page.reload()
    expect(page.locator("#setting-rollUpDiscounts .value")).to_have_text("On")


def test_tabs_have_urls_that_survive_reload_and_back(sign_in, page, manager, customer):
    open_tab(sign_in, page, manager, customer, "overview")
    page.get_by_role("link", name="Contacts").click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer.id}/contacts$"))
    expect(page.get_by_role("link", name="Contacts")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="Technical details").click()
    expect(page.locator("#section-technical")).to_contain_text(customer.debtor_ident)
    assert_no_reload(page)
    page.go_back()
    expect(page.get_by_role("heading", name="Who receives what")).to_be_visible()
    page.reload()
    expect(page.get_by_role("link", name="Contacts")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="Who receives what")).to_be_visible()


def test_activity_shows_changes_made_inline(sign_in, page, manager, customer):
    open_tab(sign_in, page, manager, customer, "tax")
    page.get_by_role("link", name="Edit tax").click()
    expect(page.get_by_label("VAT id")).to_be_focused()
    settled(page)
    page.get_by_label("Tax rate (%)").fill("7")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#section-tax")).to_contain_text("7.00 %")
    page.get_by_role("link", name="Activity").click()
    first = page.locator(".event").first
    expect(first.locator(".event-sentence")).to_have_text(
        f"{manager.display_name} changed Tax rate from 0.00 % to 7.00 %")
    expect(first.locator(".event-channel")).to_have_text("Portal")
