"""Settings inheritance as a person meets it: override, reset, an organization change, bulk apply."""
from playwright.sync_api import expect

from portal.extensions import db
from portal.services import settings_store


def term_row(page):
    return page.locator("#setting-term")


def test_override_then_reset_to_inherited(sign_in, page, make, org, manager):
    settings_store.update_organization_settings(org.id, {"term": "Net30"})
    customer = make.customer(org, name="Follows Org")
    db.session.commit()
    sign_in(manager, f"/customers/{customer.id}/settings")
    expect(term_row(page)).to_contain_text("Net30")
    expect(term_row(page)).to_contain_text("Inherited from Organization")

    page.get_by_role("link", name="Change Payment term").click()
    field = page.get_by_label("Payment term", exact=True)
    expect(field).to_be_focused()
    field.fill("Net7")
    page.keyboard.press("Enter")
    expect(term_row(page)).to_contain_text("Net7 · Net 7 days")
    expect(term_row(page)).to_contain_text("Customer-specific Value")

    page.get_by_role("button", name="Reset Payment term to inherited").click()
    expect(term_row(page)).to_contain_text("Net30")
    expect(term_row(page)).to_contain_text("Inherited from Organization")


def test_organization_change_moves_inheriting_customers_only(sign_in, page, make, org):
    inheriting = make.customer(org, name="Inheriting Ltd")
    overriding = make.customer(org, name="Overriding Ltd")
    settings_store.update_customer_settings(overriding, {"term": "Net7"})
    db.session.commit()
    admin = make.user(org, "admin")
    sign_in(admin, "/organization/settings")
    expect(term_row(page)).to_contain_text("1 customer overrides it")
    page.get_by_role("link", name="Change Payment term").click()
    expect(term_row(page)).to_contain_text("Changing it changes 1 customer that inherits it.")
    page.get_by_label("Payment term", exact=True).fill("Net30")
    page.get_by_role("button", name="Save").click()
    expect(term_row(page)).to_contain_text("Organization Value")

    page.goto(f"/customers/{inheriting.id}/settings")
    expect(term_row(page)).to_contain_text("Net30")
    expect(term_row(page)).to_contain_text("Inherited from Organization")
    page.goto(f"/customers/{overriding.id}/settings")
    expect(term_row(page)).to_contain_text("Net7")
    expect(term_row(page)).to_contain_text("Customer-specific Value")


def test_bulk_apply_from_the_overview(sign_in, page, make, org, manager):
    first = make.customer(org, name="Bulk One")
    second = make.customer(org, name="Bulk Two")
    make.customer(org, name="Untouched")
    sign_in(manager)
    page.get_by_text("Change a billing setting for several customers").click()
    page.get_by_label("Select Bulk One").check()
    page.get_by_label("Select Bulk Two").check()
    page.get_by_label("Setting", exact=True).select_option("term")
    page.get_by_label("New value").fill("Net45")
    page.get_by_role("button", name="Review change…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Set Payment term to Net45 · Net 45 days for 2 customers?")
    dialog.get_by_role("button", name="Apply to 2 customers").click()
    expect(page.get_by_role("status").first).to_contain_text("2 customers (2 changed)")
    db.session.rollback()
    assert [settings_store.resolve_customer(c)["term"].value for c in (first, second)] == ["Net45", "Net45"]
