"""Settings as a person meets them: the term picker, settings edited together, sub-forms instead of JSON, override
and reset, an organization change, bulk apply."""
import re

from playwright.sync_api import expect

from portal.extensions import db
from portal.services import settings_store
from tests.browser.conftest import settled

PERIODS = "billingPeriodConfigurations"


def term_row(page):
    return page.locator("#setting-term")


def own(customer):
    db.session.rollback()
    return settings_store.customer_layer(customer)


def test_the_term_picker_saves_net_30_and_reads_as_a_sentence(sign_in, page, make, org, manager):
    customer = make.customer(org, name="Picker GmbH")
    sign_in(manager, f"/customers/{customer.id}/settings")
    expect(term_row(page)).to_contain_text("Due 14 days after the invoice date")
    page.get_by_role("link", name="Change Payment term").click()
    picker = page.get_by_label("Payment term", exact=True)
    expect(picker).to_be_focused()
    days, day = page.get_by_label("Days after the invoice date"), page.get_by_label("Day of the month")
    expect(days).to_be_hidden()  # "inherit" takes no number
    picker.select_option(label="A number of days after the invoice date")
    expect(days).to_be_visible()
    expect(day).to_be_hidden()
    days.fill("30")
    page.keyboard.press("Enter")
    expect(term_row(page).locator(".value")).to_have_text("Due 30 days after the invoice date")
    expect(term_row(page)).to_contain_text("Customer-specific Value")
    assert own(customer)["term"] == "Net30"


def test_override_then_reset_to_inherited(sign_in, page, make, org, manager):
    settings_store.update_organization_settings(org.id, {"term": "Net30"})
    customer = make.customer(org, name="Follows Org")
    db.session.commit()
    sign_in(manager, f"/customers/{customer.id}/settings")
    expect(term_row(page)).to_contain_text("Due 30 days after the invoice date")
    expect(term_row(page)).to_contain_text("Inherited from Organization")

    page.get_by_role("link", name="Change Payment term").click()
    page.get_by_label("Payment term", exact=True).select_option(label="On a day of the month")
    settled(page)
    page.get_by_label("Day of the month").fill("15")
    page.keyboard.press("Enter")
    expect(term_row(page)).to_contain_text("Due on the next 15th after the invoice date")
    expect(term_row(page)).to_contain_text("Customer-specific Value")

    page.get_by_role("button", name="Reset Payment term to inherited").click()
    expect(term_row(page)).to_contain_text("Due 30 days after the invoice date")
    expect(term_row(page)).to_contain_text("Inherited from Organization")


def test_choose_xrechnung_and_type_the_buyer_reference_in_the_same_form(sign_in, page, make, org, manager):
    customer = make.customer(org, name="E-Invoice AG")
    sign_in(manager, f"/customers/{customer.id}/settings")
    row = page.locator("#setting-eInvoicing")
    row.get_by_role("link", name="Change E-invoicing").click()
    fmt = page.get_by_label("E-invoice format")
    expect(fmt).to_be_focused()
    fmt.select_option(label="XRechnung (UBL)")
    settled(page)
    page.get_by_label("Buyer reference (Leitweg-ID)").fill("04011000-12345-67")
    row.get_by_role("button", name="Save").click()
    expect(row.locator("#value-eInvoiceFormat")).to_have_text("XRechnung (UBL)")
    expect(row.locator("#value-eInvoiceBuyerReference")).to_have_text("04011000-12345-67")
    expect(row.locator("#part-eInvoiceFormat")).to_contain_text("Customer-specific Value")
    expect(page.get_by_role("link", name="Change E-invoicing")).to_be_focused()
    layer = own(customer)
    assert (layer["eInvoiceFormat"], layer["eInvoiceBuyerReference"]) == ("xrechnung-ubl", "04011000-12345-67")


def test_a_cross_field_error_is_shown_at_the_field_inside_the_group_form(sign_in, page, make, org, manager):
    customer = make.customer(org, name="Exempt e.V.")
    sign_in(manager, f"/customers/{customer.id}/settings")
    row = page.locator("#setting-taxExemption")
    row.get_by_role("link", name="Change Tax exemption").click()
    page.get_by_label("Tax exempt", exact=True).select_option(label="On")
    row.get_by_role("button", name="Save").click()
    code = page.get_by_label("Tax exempt code")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_be_focused()  # the first invalid field takes the focus
    expect(row.locator("#input-taxExemptCode-error")).to_have_text("Required when the customer is tax exempt.")
    expect(page.get_by_label("Tax exempt", exact=True)).to_have_value("true")  # the user's choice is kept
    code.fill("EXEMPT-7")
    page.keyboard.press("Enter")
    expect(row.locator("#value-taxExempt")).to_have_text("On")
    expect(row.locator("#value-taxExemptCode")).to_have_text("EXEMPT-7")


def test_billing_periods_a_monthly_set_day_without_json(sign_in, page, make, org, manager):
    customer = make.customer(org, name="Periods Ltd")
    sign_in(manager, f"/customers/{customer.id}/settings")
    row = page.locator(f"#setting-{PERIODS}")
    row.get_by_role("link", name="Change Billing period configurations").click()
    expect(row.locator("textarea")).to_have_count(0)
    monthly = row.get_by_role("group", name="Monthly")
    yearly = row.get_by_role("group", name="Yearly")
    expect(monthly.get_by_label("When")).to_be_focused()
    expect(monthly.get_by_label("Day")).to_be_hidden()
    monthly.get_by_label("When").select_option(label="On a set day")
    expect(monthly.get_by_label("Day")).to_be_visible()
    expect(monthly.get_by_label("Month")).to_have_count(0)  # a monthly period has no month
    expect(yearly.get_by_label("Month")).to_be_hidden()  # the yearly slot is not used
    monthly.get_by_label("Invoicing").select_option(label="One invoice for all subscriptions")
    settled(page)
    monthly.get_by_label("Day").fill("1")
    row.get_by_role("button", name="Save").click()
    expect(row.locator(".value")).to_have_text("Monthly on day 1: one invoice for all subscriptions")
    assert own(customer)[PERIODS] == [{"type": "SpecifiedDate", "rule": "SingleInvoice", "interval": "Monthly",
                                        "day": 1}]

    row.get_by_role("link", name="Change Billing period configurations").click()
    yearly = row.get_by_role("group", name="Yearly")
    yearly.get_by_label("When").select_option(label="On a set day")
    expect(yearly.get_by_label("Month")).to_be_visible()  # a yearly set day has a month
    settled(page)
    yearly.get_by_label("Day").fill("15")
    yearly.get_by_label("Month").select_option(label="July")
    row.get_by_role("button", name="Save").click()
    expect(row.locator(".value")).to_have_text(
        "Monthly on day 1: one invoice for all subscriptions; Yearly on 15 July: one invoice for all subscriptions")


def test_statements_and_tracked_items_are_sub_forms(sign_in, page, make, org, manager):
    customer = make.customer(org, name="Statements SE")
    sign_in(manager, f"/customers/{customer.id}/settings")
    row = page.locator("#setting-customerBillingStatementSetting")
    row.get_by_role("link", name="Change Billing statements").click()
    expect(row.get_by_label("Interval")).to_be_hidden()  # inherited: nothing more to say
    page.get_by_label("Billing statements", exact=True).select_option(label="Summarized")
    expect(row.get_by_label("Interval")).to_be_visible()
    expect(row.get_by_label("Day")).to_be_hidden()
    row.get_by_label("When").select_option(label="On a set day")
    expect(row.get_by_label("Day")).to_be_visible()
    expect(row.get_by_label("Month")).to_be_hidden()
    row.get_by_label("Interval").select_option(label="Yearly")
    expect(row.get_by_label("Month")).to_be_visible()
    settled(page)
    row.get_by_label("Day").fill("31")
    row.get_by_label("Month").select_option(label="December")
    row.get_by_role("button", name="Save").click()
    expect(row.locator(".value")).to_have_text("Summarized, yearly on 31 December; parent's activity only")

    tracked = page.locator("#setting-trackedItemDisplay")
    tracked.get_by_role("link", name="Change Tracked item display").click()
    page.get_by_label("Tracked item display", exact=True).select_option(label="On a separate page")
    tracked.get_by_label("Reference").check()
    tracked.get_by_role("button", name="Save").click()
    expect(tracked.locator(".value")).to_have_text("On a separate page; shows reference")


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
    page.get_by_label("Payment term", exact=True).select_option(label="On the first of the next month")
    page.get_by_role("button", name="Save").click()
    expect(term_row(page)).to_contain_text("Organization Value")
    expect(term_row(page)).to_contain_text("Due on the first of the month after the invoice month")

    page.goto(f"/customers/{inheriting.id}/settings")
    expect(term_row(page)).to_contain_text("Due on the first of the month after the invoice month")
    expect(term_row(page)).to_contain_text("Inherited from Organization")
    page.goto(f"/customers/{overriding.id}/settings")
    expect(term_row(page)).to_contain_text("Due 7 days after the invoice date")
    expect(term_row(page)).to_contain_text("Customer-specific Value")


def test_bulk_apply_from_the_overview(sign_in, page, make, org, manager):
    first = make.customer(org, name="Bulk One")
    second = make.customer(org, name="Bulk Two")
    make.customer(org, name="Untouched")
    sign_in(manager)
    page.get_by_text("Change several customers: a billing setting, or move them to a group").click()
    page.get_by_label("Select Bulk One").check()
    page.get_by_label("Select Bulk Two").check()
    page.get_by_label("Setting", exact=True).select_option("term")
    page.get_by_label("New value").fill("Net 45")
    page.get_by_role("button", name="Review change…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(re.compile(
        "Set Payment term to Due 45 days after the invoice date for 2 customers?".replace("?", r"\?")))
    dialog.get_by_role("button", name="Apply to 2 customers").click()
    expect(page.get_by_role("status").first).to_contain_text("2 customers (2 changed)")
    db.session.rollback()
    assert [settings_store.resolve_customer(c)["term"].value for c in (first, second)] == ["Net45", "Net45"]
