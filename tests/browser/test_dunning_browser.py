"""The dunning ladder and the timeline in a real Chromium."""
import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.services.demo import ensure_reference_data
from tests.browser.conftest import settled


@pytest.fixture
def admin(make, org):
    ensure_reference_data(org, [("Acme GmbH", "DE", "EUR")])
    db.session.commit()
    return make.user(org, "admin")


def test_create_a_dunning_rule_after_a_validation_error(sign_in, page, admin):
    sign_in(admin, "/organization/dunning")
    page.get_by_role("link", name="Add rule").click()
    expect(page.get_by_label("Type")).to_be_focused()  # htmx focuses it after settling; type after that
    page.get_by_label("Type").select_option("dunning")
    page.get_by_label("Days overdue").fill("10")
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_text("A dunning charges a fee: enter an amount above 0.")).to_be_visible()
    expect(page.get_by_text("Email template is required.")).to_be_visible()
    expect(page.get_by_label("Days overdue")).to_have_value("10")
    expect(page.get_by_label("Fee in minor units")).to_be_focused()  # the first invalid field

    page.get_by_label("Fee in minor units").fill("500")
    page.get_by_label("Email template").select_option(label="Dunning notice")
    page.get_by_label("Document template").select_option(label="Dunning letter")
    page.get_by_role("button", name="Add rule").click()
    rule = page.locator(".rule").nth(2)
    expect(rule).to_contain_text("Level 3")
    expect(rule).to_contain_text("Fee: 500 → €5.00")


def test_reorder_the_ladder(sign_in, page, admin):
    sign_in(admin, "/organization/dunning")
    expect(page.locator(".rule").first.locator(".badge").first).to_have_text("Reminder")
    page.get_by_role("button", name="Move level 2 up").click()
    expect(page.locator(".rule").first.locator(".badge").first).to_have_text("Dunning notice")
    expect(page.locator(".rule").first).to_contain_text("Level 1")
    page.get_by_role("button", name="Disable level 2").click()
    expect(page.locator(".rule").nth(1)).to_contain_text("disabled")


def test_timeline_follows_a_customer_setting(sign_in, page, make, org, admin):
    customer = make.customer(org, name="Timeline GmbH", currency="EUR")
    sign_in(admin, f"/customers/{customer.id}/settings")
    timeline = page.locator("#timeline")
    page.get_by_label("Invoice date").fill("2026-03-02")
    page.get_by_role("button", name="Show").click()
    expect(timeline).to_contain_text("Level 2 dunning sent, due 2026-04-11 · fee €2.50")
    expect(timeline).to_contain_text("Total fees: €2.50")

    page.get_by_role("link", name="Change Charge dunning fees").click()
    page.locator("#input-chargeDunningFees").select_option("false")
    page.locator("#setting-chargeDunningFees").get_by_role("button", name="Save").click()
    expect(page.locator("#setting-chargeDunningFees")).to_contain_text("Customer-specific Value")
    expect(timeline).to_contain_text("fee €0.00")
    expect(timeline).to_contain_text("Dunning fees are off (Customer-specific Value)")


def test_the_rule_editor_shows_the_fee_in_each_currency_as_it_is_typed(sign_in, page, make, org, admin):
    for currency in ("EUR", "GBP", "JPY"):
        make.customer(org, currency=currency)
    sign_in(admin, "/organization/dunning")
    expect(page.locator("#fee-rule")).to_contain_text("500 is €5.00, £5.00 or ¥500")
    page.get_by_role("link", name="Add rule").click()
    expect(page.get_by_label("Type")).to_be_focused()
    settled(page)
    fee = page.get_by_label("Fee in minor units")
    preview = page.locator("#new-rule-fee-preview")
    expect(preview).to_contain_text("No fee.")
    fee.press_sequentially("5")
    expect(preview).to_have_text("Comes to 5 → €0.05 · £0.05 · ¥5")
    fee.press_sequentially("00")
    expect(preview).to_have_text("Comes to 500 → €5.00 · £5.00 · ¥500")
    fee.fill("5.00")
    expect(preview).to_contain_text("Enter the fee in minor units, without a decimal point")
    fee.fill("1250")
    expect(preview).to_have_text("Comes to 1250 → €12.50 · £12.50 · ¥1,250")

    page.get_by_label("Days overdue").fill("10")
    page.get_by_label("Email template").select_option(label="Dunning notice")
    page.get_by_role("button", name="Add rule").click()
    expect(page.locator(".rule").nth(2)).to_contain_text("Fee: 1250 → €12.50 · £12.50 · ¥1,250")


def test_a_jpy_timeline_with_a_decimal_amount_shows_the_error_and_no_timeline(sign_in, page, make, org, admin):
    customer = make.customer(org, name="Yen KK", currency="JPY")
    sign_in(admin, f"/customers/{customer.id}/settings")
    timeline = page.locator("#timeline")
    expect(timeline.locator("ol.timeline li").first).to_contain_text("Invoice over ¥100")
    page.get_by_label("Amount (JPY)").fill("12000.50")
    page.get_by_role("button", name="Show").click()
    expect(timeline.get_by_text("JPY amounts have no decimals: enter a whole amount.")).to_be_visible()
    expect(page.get_by_label("Amount (JPY)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Amount (JPY)")).to_have_value("12000.50")
    expect(timeline.locator("ol.timeline li")).to_have_count(0)
    expect(timeline).not_to_contain_text("Invoice over")

    page.get_by_label("Amount (JPY)").fill("12000")
    page.get_by_role("button", name="Show").click()
    expect(timeline.locator("ol.timeline li").first).to_contain_text("Invoice over ¥12,000")
    expect(timeline).to_contain_text("fee ¥250")  # the fee in the yen's minor unit: 250 is ¥250
