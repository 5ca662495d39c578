"""Required properties in a real Chromium: asked in New customer, and flagged where a customer has none."""
import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.services.properties import create_definition
from tests.browser.conftest import settled


@pytest.fixture
def industry(org):
    create_definition(org.id, {"key": "industry", "label": "Industry", "type": "select",
                               "options": ["Retail", "Software"], "required": True})
    create_definition(org.id, {"key": "since", "label": "Contract start", "type": "date", "required": True})
    db.session.commit()


def test_new_customer_asks_for_a_required_property(sign_in, page, make, org, industry):
    sign_in(make.user(org, "manager"))
    page.get_by_role("link", name="New customer").click()
    dialog = page.get_by_role("dialog", name="New customer")
    expect(dialog.get_by_label("Customer name")).to_be_focused()
    settled(page)
    dialog.get_by_label("Customer name").fill("Property Test GmbH")
    dialog.get_by_label("Primary contact email").fill("ada@property.example")
    dialog.get_by_label("Country").select_option("DE")
    dialog.get_by_label("Billing currency").select_option("EUR")
    dialog.get_by_label("Contract start").fill("2025-02-01")
    expect(dialog.get_by_role("group", name="Properties").locator(".req")).to_have_count(2)
    dialog.get_by_role("button", name="Create customer").click()

    expect(dialog.get_by_text("Industry is required.")).to_be_visible()
    expect(dialog.get_by_label("Industry")).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_label("Industry")).to_be_focused()  # the first invalid field
    expect(dialog.get_by_label("Customer name")).to_have_value("Property Test GmbH")
    expect(dialog.get_by_label("Contract start")).to_have_value("2025-02-01")

    dialog.get_by_label("Industry").select_option("Software")
    dialog.get_by_role("button", name="Create customer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Property Test GmbH")
    page.get_by_role("link", name="Properties").click()
    section = page.locator("#section-properties")
    expect(section).to_contain_text("Software")
    expect(section).to_contain_text("2025-02-01")
    expect(section).not_to_contain_text("Required — not set yet")


def test_a_missing_required_value_is_flagged_and_other_properties_still_save(sign_in, page, make, org):
    customer = make.customer(org, name="Older GmbH")
    create_definition(org.id, {"key": "industry", "label": "Industry", "type": "select", "options": ["Retail"],
                               "required": True})
    create_definition(org.id, {"key": "employees", "label": "Employees", "type": "number"})
    db.session.commit()
    sign_in(make.user(org, "manager"), f"/customers/{customer.id}/properties")
    section = page.locator("#section-properties")
    expect(section).to_contain_text("Required — not set yet")
    section.get_by_role("link", name="Edit properties").click()
    settled(page)
    page.get_by_label("Employees").fill("12")
    page.get_by_role("button", name="Save").click()
    expect(section).to_contain_text("12")
    expect(section).to_contain_text("Required — not set yet")
    expect(section.locator("form")).to_have_count(0)
