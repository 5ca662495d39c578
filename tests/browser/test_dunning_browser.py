"""The dunning ladder and the timeline in a real Chromium."""
import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.services.demo import ensure_reference_data


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
    expect(page.get_by_label("Fee (EUR)")).to_be_focused()  # the first invalid field

    page.get_by_label("Fee (EUR)").fill("5.00")
    page.get_by_label("Email template").select_option(label="Dunning notice")
    page.get_by_label("Document template").select_option(label="Dunning letter")
    page.get_by_role("button", name="Add rule").click()
    rule = page.locator(".rule").nth(2)
    expect(rule).to_contain_text("Level 3")
    expect(rule).to_contain_text("Fee: €5.00")


def test_reorder_the_ladder(sign_in, page, admin):
    sign_in(admin, "/organization/dunning")
    expect(page.locator(".rule").first).to_contain_text("reminder")
    page.get_by_role("button", name="Move level 2 up").click()
    expect(page.locator(".rule").first).to_contain_text("dunning")
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
