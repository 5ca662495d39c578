"""Settings in the portal: the customer's Settings tab, the organization page, bulk apply, CSV, Overview.

Rows are read as a user reads them (the HTML parsed into a tree): labels, sentences and sources, never codes."""
import csv
import io
import re

import pytest
import sqlalchemy as sa

from portal.domain.labels import raw_codes
from portal.extensions import db
from portal.models import AuditEvent
from portal.services import settings_store
from portal.services.payment_methods import add_payment_method
from tests.html_forms import forms_in, post_form
from tests.html_tree import tree
from tests.test_detail import html

PERIODS = "billingPeriodConfigurations"
STATEMENTS = "customerBillingStatementSetting"


@pytest.fixture
def customer(make, org):
    return make.customer(org, name="Settings GmbH")


@pytest.fixture
def as_admin(auth, make, org):
    auth.login(make.user(org, "admin"))
    return auth


def edit(customer, name):
    return f"/customers/{customer.id}/settings/{name}/edit"


def row(response_or_html, name):
    """The text a user reads in one settings row."""
    return row_element(response_or_html, name).text()


def row_element(response_or_html, name):
    body = response_or_html if isinstance(response_or_html, str) else html(response_or_html)
    return tree(body).by_id(f"setting-{name}")


def part(response_or_html, name):
    """The text of one setting inside a group's row: its label, value and source."""
    body = response_or_html if isinstance(response_or_html, str) else html(response_or_html)
    return tree(body).by_id(f"part-{name}").text()


def error_at(response, input_id):
    """The message shown at an input (its aria-describedby names it), after checking the input is marked."""
    document = tree(html(response))
    control = document.by_id(input_id)
    assert control.attrs.get("aria-invalid") == "true", (input_id, control.attrs)
    return document.by_id(control.attrs["aria-describedby"]).text()


def own(customer):
    db.session.expire_all()
    return settings_store.customer_layer(customer)


def visible_codes(body):
    """The catalogue's raw codes (and Python values) that a reader sees in the page's text."""
    text = tree(body).text()
    return {code for code in raw_codes() | {"True", "False", "None"}
            if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)}


# --- the tab: every setting with its effective value and source, in words ------------------------------------

def test_settings_tab_shows_every_field_with_effective_value_and_source(as_manager, customer):
    body = html(as_manager.get(f"/customers/{customer.id}/settings"))
    headings = [h.text() for h in tree(body).find_all("h2")]
    for group in ("Invoicing & documents", "Payment & collection", "Dunning", "Tax", "Invoice presentation",
                  "Billing periods", "Statements", "Lifecycle"):
        assert group in headings
    term = row(body, "term")
    assert "Due 14 days after the invoice date" in term and "Inherited from Default Values" in term
    assert "Applies to new invoices only" in term
    assert "Earn all charges (reverse nothing)" in row(body, "defaultCancelOption")
    assert "Charge for the current full period" in row(body, "customerServiceStartOption")
    assert "No configurations" in row(body, PERIODS) and "No statements" in row(body, STATEMENTS)
    assert "Inline, under the charge; shows no details" in row(body, "trackedItemDisplay")


def test_no_screen_of_the_settings_shows_a_raw_code_or_id(as_manager, customer, org):
    method = add_payment_method(customer, {"type": "card", "label": "Visa •••• 4242"})
    settings_store.update_organization_settings(org.id, {"customerServiceStartOption": "ChargeForAllMissedPeriods"})
    settings_store.update_customer_settings(customer, {
        "eInvoiceFormat": "xrechnung-ubl", "eInvoiceBuyerReference": "04011000-1", "autoCollect": True,
        "autoCollectSettingType": "Threshold", "rechargeType": "BringBalanceBackTo", "rechargeThresholdAmount": 10,
        "rechargeTargetAmount": 50, "pdfInvoiceEmailAttachmentOption": "Both", "term": "DayOfMonth15",
        PERIODS: [{"type": "FirstSubscriptionActivation", "rule": "OneInvoicePerDay", "interval": "Yearly"}],
        STATEMENTS: {"option": "BySubscription", "type": "CustomerAnniversary", "interval": "Monthly",
                     "statementActivityType": "ParentAndChildActivity"},
        "trackedItemDisplay": {"trackedItemDisplayFormat": "SeparatePage", "showTrackedItemName": True}})
    db.session.commit()
    pages = [f"/customers/{customer.id}/settings", f"/customers/{customer.id}"]
    pages += [edit(customer, name) for name in ("eInvoicing", "autoCollect", "thresholdRecharge", "term", PERIODS,
                                                STATEMENTS, "trackedItemDisplay", "customerServiceStartOption")]
    for url in pages:
        body = html(as_manager.get(url, htmx="/edit" in url))
        assert visible_codes(body) == set(), url
    tab = html(as_manager.get(f"/customers/{customer.id}/settings"))
    assert tree(tab).by_id("value-defaultPaymentMethodId").text() == "Visa •••• 4242"  # not its id
    assert method.label == "Visa •••• 4242"
    assert "Bring the balance back to the target" in part(tab, "rechargeType")
    assert "When the balance reaches a threshold" in part(tab, "autoCollectSettingType")


# --- the payment term picker ------------------------------------------------------------------------------------

def test_override_and_reset_a_field(as_manager, customer):
    saved = as_manager.save(edit(customer, "term"), {"term-kind": "Net", "term-days": "7"})
    assert saved.status_code == 200
    assert "Due 7 days after the invoice date" in row(saved, "term") and "Customer-specific Value" in row(saved, "term")
    assert "Reset to inherited" in row(saved, "term")
    reset = as_manager.submit(post_form(html(saved)))  # the row's Reset button
    assert "Due 14 days after the invoice date" in row(reset, "term")
    assert "Inherited from Default Values" in row(reset, "term")
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "settings")
                                .order_by(AuditEvent.id)).all()
    assert [e.changes["term"] for e in events] == [[None, "Net7"], ["Net7", None]]


@pytest.mark.parametrize("typed, code, sentence", [
    ({"term-kind": "Net", "term-days": "30"}, "Net30", "Due 30 days after the invoice date"),
    ({"term-kind": "Net", "term-days": "0"}, "Net0", "Due on the invoice date"),
    ({"term-kind": "DayOfMonth", "term-day": "15", "term-days": "not used"}, "DayOfMonth15",
     "Due on the next 15th after the invoice date"),
    ({"term-kind": "MFI1", "term-days": "9", "term-day": "9"}, "MFI1",
     "Due on the first of the month after the invoice month"),
])
def test_the_term_picker_stores_the_api_code_and_reads_as_a_sentence(as_manager, customer, typed, code, sentence):
    saved = as_manager.save(edit(customer, "term"), typed)
    assert saved.status_code == 200 and sentence in row(saved, "term")
    assert own(customer)["term"] == code


def test_the_term_picker_shows_what_is_saved(as_manager, customer):
    settings_store.update_customer_settings(customer, {"term": "DayOfMonth21"})
    db.session.commit()
    form = tree(html(as_manager.get(edit(customer, "term"), htmx=True)))
    assert form.by_id("input-term").selected() == ("DayOfMonth", "On a day of the month")
    assert form.by_id("input-term-day").attrs["value"] == "21"
    assert form.by_id("input-term").option_texts()[0] == "Inherit (Due 14 days after the invoice date, from Default Values)"


@pytest.mark.parametrize("typed, input_id, message", [
    ({"term-kind": "Net", "term-days": "400"}, "input-term-days", "Enter a whole number of days from 0 to 365."),
    ({"term-kind": "Net", "term-days": "thirty"}, "input-term-days", "Enter a whole number of days from 0 to 365."),
    ({"term-kind": "DayOfMonth", "term-day": "32"}, "input-term-day", "Enter a day of the month from 1 to 31."),
    ({"term-kind": "Weekly"}, "input-term", "Choose how the due date is set."),
])
def test_a_bad_term_is_refused_at_its_input_with_the_input_kept(as_manager, customer, typed, input_id, message):
    response = as_manager.save(edit(customer, "term"), typed)
    assert response.status_code == 422 and error_at(response, input_id) == message
    kept = post_form(html(response))
    assert all(kept.get(name) == value for name, value in typed.items() if name != "term-kind" or value != "Weekly")
    assert own(customer)["term"] is None


# --- single rows -----------------------------------------------------------------------------------------------

def test_tri_state_boolean_and_the_inherited_option(as_manager, customer):
    form = tree(html(as_manager.get(edit(customer, "sendPaymentReminders"), htmx=True)))
    assert form.by_id("input-sendPaymentReminders").option_texts() == ["Inherit (On, from Default Values)", "On", "Off"]
    saved = as_manager.save(edit(customer, "sendPaymentReminders"), {"sendPaymentReminders": "false"})
    assert "Off" in row(saved, "sendPaymentReminders")


def test_selects_offer_labels_and_submit_codes(as_manager, customer):
    form = tree(html(as_manager.get(edit(customer, "customerServiceStartOption"), htmx=True)))
    options = {o.attrs["value"]: o.text() for o in form.by_id("input-customerServiceStartOption").find_all("option")}
    assert options["ChargeForCurrentFullPeriod"] == "Charge for the current full period"
    saved = as_manager.save(edit(customer, "customerServiceStartOption"),
                            {"customerServiceStartOption": "NoChargesForMissedPeriods"})
    assert "No charges for missed periods" in row(saved, "customerServiceStartOption")
    assert own(customer)["customerServiceStartOption"] == "NoChargesForMissedPeriods"


def test_a_forged_choice_is_refused_in_words(as_manager, customer):
    response = as_manager.save(edit(customer, "pdfInvoiceEmailAttachmentOption"),
                               {"pdfInvoiceEmailAttachmentOption": "Everything"})
    assert response.status_code == 422
    assert error_at(response, "input-pdfInvoiceEmailAttachmentOption") == \
        "Choose one of: Detailed charges, Summarized charges, Detailed and summarized."


def test_errors_stay_in_the_row_with_the_input(as_manager, customer):
    response = as_manager.save(edit(customer, "customerGracePeriod"), {"customerGracePeriod": "-3"})
    assert response.status_code == 422
    assert error_at(response, "input-customerGracePeriod") == "A whole number of days, 0 or more."
    assert post_form(html(response)).get("customerGracePeriod") == "-3"


def test_settings_conflict(as_manager, customer):
    form = as_manager.open_form(edit(customer, "term"))
    settings_store.update_customer_settings(customer, {"term": "Net30"})
    db.session.commit()
    response = as_manager.submit(form, {"term-kind": "Net", "term-days": "7"})
    assert response.status_code == 409
    conflict = tree(html(response)).find("table", class_="conflict-table").find("tbody").text()
    assert conflict == "Payment term Due 30 days after the invoice date Due 7 days after the invoice date"
    assert post_form(html(response)).get("term-days") == "7"
    again = as_manager.submit(post_form(html(response)))
    assert again.status_code == 200 and "Due 7 days after the invoice date" in row(again, "term")


def test_two_rows_saved_from_forms_read_at_the_same_time_both_apply(as_manager, customer):
    taxes = as_manager.open_form(edit(customer, "rollUpTaxes"))
    discounts = as_manager.open_form(edit(customer, "rollUpDiscounts"))
    assert as_manager.submit(taxes, {"rollUpTaxes": "true"}).status_code == 200
    assert as_manager.submit(discounts, {"rollUpDiscounts": "true"}).status_code == 200  # no false conflict
    resolved = settings_store.resolve_customer(customer)
    assert resolved["rollUpTaxes"].value is True and resolved["rollUpDiscounts"].value is True


def test_reset_after_someone_else_changed_the_row_is_a_conflict(as_manager, customer):
    settings_store.update_customer_settings(customer, {"term": "Net7"})
    db.session.commit()
    reset = post_form(html(as_manager.get(f"/customers/{customer.id}/settings/term", htmx=True)))  # its Reset button
    settings_store.update_customer_settings(customer, {"term": "Net60"})
    db.session.commit()
    response = as_manager.submit(reset)
    assert response.status_code == 409
    conflict = tree(html(response)).find("table", class_="conflict-table").find("tbody").text()
    assert conflict == "Payment term Due 60 days after the invoice date inherited"
    assert settings_store.resolve_customer(customer)["term"].value == "Net60"


# --- settings edited together -----------------------------------------------------------------------------------

def test_xrechnung_and_its_buyer_reference_are_saved_in_one_form(as_manager, customer):
    saved = as_manager.save(edit(customer, "eInvoicing"), {"eInvoiceFormat": "xrechnung-ubl",
                                                          "eInvoiceBuyerReference": "04011000-12345-67"})
    assert saved.status_code == 200
    assert part(saved, "eInvoiceFormat") == "E-invoice format XRechnung (UBL) Customer-specific Value"
    assert part(saved, "eInvoiceBuyerReference") == \
        "Buyer reference (Leitweg-ID) 04011000-12345-67 Customer-specific Value"
    assert part(saved, "peppolParticipantId") == "Peppol participant ID — Inherited from Default Values"
    assert own(customer)["eInvoiceFormat"] == "xrechnung-ubl"
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "settings")).all()
    assert len(events) == 1 and set(events[0].changes) == {"eInvoiceFormat", "eInvoiceBuyerReference"}


def test_a_cross_field_rule_is_reported_at_the_field_inside_the_group(as_manager, customer):
    response = as_manager.save(edit(customer, "eInvoicing"), {"eInvoiceFormat": "xrechnung-cii"})
    assert response.status_code == 422
    assert error_at(response, "input-eInvoiceBuyerReference") == \
        "The buyer reference (Leitweg-ID) is required for XRechnung."
    assert post_form(html(response)).get("eInvoiceFormat") == "xrechnung-cii"
    assert own(customer)["eInvoiceFormat"] is None
    tax = as_manager.save(edit(customer, "taxExemption"), {"taxExempt": "true"})
    assert tax.status_code == 422
    assert error_at(tax, "input-taxExemptCode") == "Required when the customer is tax exempt."
    both = as_manager.submit(post_form(html(tax)), {"taxExemptCode": "EXEMPT-7"})
    assert both.status_code == 200 and "EXEMPT-7" in part(both, "taxExemptCode") and "On" in part(both, "taxExempt")


def test_threshold_recharge_is_one_form(as_manager, customer):
    bad = as_manager.save(edit(customer, "thresholdRecharge"), {
        "rechargeType": "BringBalanceBackTo", "rechargeThresholdAmount": "100", "rechargeTargetAmount": "50"})
    assert bad.status_code == 422
    assert error_at(bad, "input-rechargeTargetAmount") == "The target must be above the threshold."
    kept = post_form(html(bad))
    assert (kept.get("rechargeThresholdAmount"), kept.get("rechargeTargetAmount")) == ("100", "50")
    saved = as_manager.submit(kept, {"rechargeTargetAmount": "250"})
    assert saved.status_code == 200
    assert "Bring the balance back to the target" in part(saved, "rechargeType")
    assert "100.00" in part(saved, "rechargeThresholdAmount") and "250.00" in part(saved, "rechargeTargetAmount")
    clear = row_element(saved, "thresholdRecharge").find("button", type="submit")
    assert clear.text() == "Clear" and clear.attrs["aria-label"] == "Clear Threshold recharge"
    cleared = as_manager.submit(post_form(html(saved)))  # the row's Clear button
    assert cleared.status_code == 200 and own(customer)["rechargeType"] is None
    assert own(customer)["rechargeTargetAmount"] is None


def test_auto_collect_with_the_payment_method_chosen_by_label(as_manager, customer):
    first = add_payment_method(customer, {"type": "card", "label": "Visa •••• 4242"})
    second = add_payment_method(customer, {"type": "sepa_debit", "label": "SEPA •••• 3000"})
    db.session.commit()
    form = tree(html(as_manager.get(edit(customer, "autoCollect"), htmx=True)))
    assert form.by_id("input-defaultPaymentMethodId").option_texts() == ["Visa •••• 4242", "SEPA •••• 3000"]
    assert form.by_id("input-defaultPaymentMethodId").selected() == (str(first.id), "Visa •••• 4242")
    saved = as_manager.save(edit(customer, "autoCollect"), {"autoCollect": "true",
                                                           "autoCollectSettingType": "OutstandingBalance",
                                                           "defaultPaymentMethodId": str(second.id)})
    assert saved.status_code == 200
    assert "SEPA •••• 3000" in part(saved, "defaultPaymentMethodId")
    assert "The whole outstanding balance" in part(saved, "autoCollectSettingType")
    overview = tree(html(as_manager.get(f"/customers/{customer.id}")))
    assert overview.by_id("overview-auto-pay").text() == "On: the whole outstanding balance, from SEPA •••• 3000"


def test_auto_collect_rules_at_the_fields_of_its_form(as_manager, customer):
    response = as_manager.save(edit(customer, "autoCollect"), {"autoCollect": "true"})
    assert response.status_code == 422
    assert error_at(response, "input-autoCollect") == "Auto-collect needs a payment method; add one first."
    threshold = as_manager.save(edit(customer, "autoCollect"), {"autoCollectSettingType": "Threshold"})
    assert threshold.status_code == 422  # the recharge type is another row's: the message says where
    assert error_at(threshold, "input-autoCollectSettingType") == (
        "Collecting “when the balance reaches a threshold” needs a recharge type. (Set under Threshold recharge.)")


def test_a_group_save_keeps_what_someone_else_changed_in_another_field(as_manager, customer):
    form = as_manager.open_form(edit(customer, "eInvoicing"))
    settings_store.update_customer_settings(customer, {"peppolParticipantId": "0088:theirs"})
    db.session.commit()
    saved = as_manager.submit(form, {"eInvoiceBuyerReference": "991-MINE"})
    assert saved.status_code == 200
    assert (own(customer)["eInvoiceBuyerReference"], own(customer)["peppolParticipantId"]) == ("991-MINE", "0088:theirs")


def test_a_group_field_someone_else_changed_is_a_conflict(as_manager, customer):
    form = as_manager.open_form(edit(customer, "eInvoicing"))
    settings_store.update_customer_settings(customer, {"eInvoiceBuyerReference": "991-THEIRS"})
    db.session.commit()
    response = as_manager.submit(form, {"eInvoiceBuyerReference": "991-MINE", "peppolParticipantId": "0088:1"})
    assert response.status_code == 409
    rows = [r.text() for r in tree(html(response)).find("table", class_="conflict-table").find("tbody").find_all("tr")]
    assert rows == ["Buyer reference (Leitweg-ID) 991-THEIRS 991-MINE"]
    assert own(customer)["peppolParticipantId"] is None  # nothing of the refused save was applied


@pytest.mark.parametrize("status", [422, 409])
def test_without_javascript_a_refused_group_save_is_the_whole_page_with_the_form_open(as_manager, customer, status):
    form = next(f for f in forms_in(html(as_manager.get(edit(customer, "eInvoicing")))) if "data-cancel" in f.attrs)
    if status == 409:
        settings_store.update_customer_settings(customer, {"eInvoiceFormat": "zugferd"})
        db.session.commit()
    response = as_manager.submit(form, {"eInvoiceFormat": "xrechnung-ubl"}, htmx=False)
    assert response.status_code == status and "<html" in html(response)
    document = tree(html(response))
    assert document.by_id("setting-eInvoicing").find("form") is not None
    if status == 422:
        assert error_at(response, "input-eInvoiceBuyerReference").startswith("The buyer reference")
    else:
        assert "ZUGFeRD" in document.find("table", class_="conflict-table").text()
    assert document.by_id("input-eInvoiceFormat").selected()[0] == "xrechnung-ubl"


# --- structured settings: sub-forms, not JSON ------------------------------------------------------------------

def test_billing_periods_are_a_slot_per_interval_with_only_the_inputs_that_apply(as_manager, customer):
    saved = as_manager.save(edit(customer, PERIODS), {
        f"{PERIODS}-Monthly-type": "SpecifiedDate", f"{PERIODS}-Monthly-rule": "SingleInvoice",
        f"{PERIODS}-Monthly-day": "1", f"{PERIODS}-Yearly-day": "9", f"{PERIODS}-Yearly-month": "3"})
    assert saved.status_code == 200
    assert "Monthly on day 1: one invoice for all subscriptions" in row(saved, PERIODS)
    assert own(customer)[PERIODS] == [{"type": "SpecifiedDate", "rule": "SingleInvoice", "interval": "Monthly",
                                        "day": 1}]  # the unused yearly slot's day and month were ignored
    yearly = as_manager.save(edit(customer, PERIODS), {
        f"{PERIODS}-Yearly-type": "SpecifiedDate", f"{PERIODS}-Yearly-rule": "Prompt",
        f"{PERIODS}-Yearly-day": "1", f"{PERIODS}-Yearly-month": "7",
        f"{PERIODS}-Monthly-type": "CustomerActivation", f"{PERIODS}-Monthly-day": "5"})
    assert "Monthly on the customer's activation date: one invoice for all subscriptions; " \
           "Yearly on 1 July: ask an agent to approve" in row(yearly, PERIODS)
    assert own(customer)[PERIODS][0] == {"type": "CustomerActivation", "rule": "SingleInvoice", "interval": "Monthly"}


def test_a_billing_period_without_its_day_is_refused_at_that_input(as_manager, customer):
    response = as_manager.save(edit(customer, PERIODS), {f"{PERIODS}-Yearly-type": "SpecifiedDate",
                                                         f"{PERIODS}-Yearly-day": "12"})
    assert response.status_code == 422
    assert error_at(response, f"input-{PERIODS}-Yearly-month") == "Enter a month from 1 to 12."
    assert post_form(html(response)).get(f"{PERIODS}-Yearly-day") == "12"
    day = as_manager.save(edit(customer, PERIODS), {f"{PERIODS}-Monthly-type": "SpecifiedDate",
                                                    f"{PERIODS}-Monthly-day": "32nd"})
    assert error_at(day, f"input-{PERIODS}-Monthly-day") == "Enter a day from 1 to 31."
    assert own(customer)[PERIODS] is None


def test_billing_statements_sub_form(as_manager, customer):
    form = tree(html(as_manager.get(edit(customer, STATEMENTS), htmx=True)))
    assert form.by_id(f"input-{STATEMENTS}").option_texts() == [
        "Inherit (No statements, from Default Values)", "Detailed", "By subscription", "Summarized"]
    saved = as_manager.save(edit(customer, STATEMENTS), {
        f"{STATEMENTS}-option": "Detailed", f"{STATEMENTS}-type": "SpecifiedDate", f"{STATEMENTS}-interval": "Monthly",
        f"{STATEMENTS}-day": "5", f"{STATEMENTS}-month": "4", f"{STATEMENTS}-statementActivityType": "OnlyChildActivity"})
    assert saved.status_code == 200
    assert "Detailed, monthly on day 5; children's activity only" in row(saved, STATEMENTS)
    assert own(customer)[STATEMENTS] == {"option": "Detailed", "type": "SpecifiedDate", "interval": "Monthly",
                                          "day": 5, "statementActivityType": "OnlyChildActivity"}
    inherit = as_manager.save(edit(customer, STATEMENTS), {f"{STATEMENTS}-option": ""})
    assert "No statements" in row(inherit, STATEMENTS) and own(customer)[STATEMENTS] is None


def test_tracked_item_display_is_a_format_and_four_checkboxes(as_manager, customer):
    saved = as_manager.save(edit(customer, "trackedItemDisplay"), {
        "trackedItemDisplay-format": "SeparatePage", "trackedItemDisplay-showTrackedItemName": "on",
        "trackedItemDisplay-showTrackedItemReference": "on"})
    assert saved.status_code == 200
    assert "On a separate page; shows name and reference" in row(saved, "trackedItemDisplay")
    assert own(customer)["trackedItemDisplay"] == {
        "trackedItemDisplayFormat": "SeparatePage", "showTrackedItemName": True, "showTrackedItemReference": True,
        "showTrackedItemDescription": False, "showTrackedItemCreatedDate": False}
    form = tree(html(as_manager.get(edit(customer, "trackedItemDisplay"), htmx=True)))
    ticked = [box.attrs["name"] for box in form.find_all("input", type="checkbox") if "checked" in box.attrs]
    assert ticked == ["trackedItemDisplay-showTrackedItemName", "trackedItemDisplay-showTrackedItemReference"]
    assert not form.find_all("textarea")


# --- flags, Overview ------------------------------------------------------------------------------------------

def test_inherited_problems_are_flagged_not_blocking(as_manager, customer, org):
    settings_store.update_organization_settings(org.id, {"eInvoiceFormat": "xrechnung-ubl"})
    db.session.commit()
    document = tree(html(as_manager.get(f"/customers/{customer.id}/settings")))
    attention = document.by_id("attention-h").parent
    assert "required for XRechnung" in attention.text()
    assert attention.find("a").attrs["href"] == "#setting-eInvoicing"
    assert as_manager.save(edit(customer, "term"), {"term-kind": "Net", "term-days": "7"}).status_code == 200


def test_overview_tab_shows_business_information_in_words(as_manager, customer, org):
    add_payment_method(customer, {"type": "card", "label": "Visa •••• 4242"})
    settings_store.update_organization_settings(org.id, {"term": "Net30", "autoSendDocuments": False,
                                                         "eInvoiceFormat": "xrechnung-ubl", "autoCollect": True})
    db.session.commit()
    document = tree(html(as_manager.get(f"/customers/{customer.id}")))
    business = document.by_id("business-h").parent.parent
    assert document.by_id("overview-term").text() == "Due 30 days after the invoice date"
    assert "documents are sent by hand; e-invoice as XRechnung (UBL)" in business.text()
    assert document.by_id("overview-auto-pay").text() == "On: each invoice when it is posted, from Visa •••• 4242"
    assert visible_codes(html(as_manager.get(f"/customers/{customer.id}"))) == set()


def test_viewers_see_settings_but_cannot_change_them(auth, make, org, customer):
    auth.login(make.user(org, "viewer"))
    assert ">Change</a>" not in html(auth.get(f"/customers/{customer.id}/settings"))
    assert auth.post(f"/customers/{customer.id}/settings/term", {"term-kind": "Net"}).status_code == 403
    assert auth.post(f"/customers/{customer.id}/settings/eInvoicing", {"eInvoiceFormat": "none"}).status_code == 403


def test_a_setting_of_a_group_has_no_row_of_its_own(as_manager, customer):
    assert as_manager.get(edit(customer, "eInvoiceBuyerReference"), htmx=True).status_code == 404
    assert as_manager.get(edit(customer, "nonsense"), htmx=True).status_code == 404


# --- organization settings -----------------------------------------------------------------------------------

def test_organization_page_shows_sources_and_override_counts(as_admin, make, org, customer):
    settings_store.update_customer_settings(customer, {"term": "Net7"})
    db.session.commit()
    body = html(as_admin.get("/organization/settings"))
    assert "1 customer overrides it" in row(body, "term") and "Inherited from Default Values" in row(body, "term")
    assert "Tax exempt code" not in tree(body).text()  # customer-only fields are not on the organization layer
    assert "Threshold recharge" not in tree(body).text()  # nor a group of customer-only fields
    assert part(body, "autoCollectSettingType").startswith("Collect Each invoice when it is posted")
    assert row(body, "eInvoicing").startswith("E-invoice format No e-invoice (PDF only)")  # a group of one
    assert visible_codes(body) == set()


def test_organization_change_says_how_many_customers_it_affects(as_admin, make, org, customer):
    make.customer(org)
    settings_store.update_customer_settings(customer, {"term": "Net7"})
    db.session.commit()
    form = tree(html(as_admin.get("/organization/settings/term/edit", htmx=True)))
    assert "Changing it changes 1 customer that inherits it." in form.by_id("input-term-hint").text()
    assert form.by_id("input-term").option_texts()[0] == "Default (Due 14 days after the invoice date)"
    saved = as_admin.save("/organization/settings/term/edit", {"term-kind": "Net", "term-days": "30"})
    assert "Due 30 days after the invoice date" in row(saved, "term") and "Organization Value" in row(saved, "term")
    assert "Reset to default" in row(saved, "term")
    customer_body = html(as_admin.get(f"/customers/{customer.id}/settings"))
    assert "Due 7 days after the invoice date" in row(customer_body, "term")


def test_an_organization_group_edits_its_inheritable_fields_together(as_admin, make, org, customer):
    form = tree(html(as_admin.get("/organization/settings/autoCollect/edit", htmx=True)))
    assert [c.attrs["name"] for c in form.find_all("select")] == ["autoCollect", "autoCollectSettingType"]
    assert "Changing it changes 1 customer that inherits it." in form.by_id("input-autoCollect-hint").text()
    saved = as_admin.save("/organization/settings/autoCollect/edit",
                          {"autoCollect": "true", "autoCollectSettingType": "OutstandingBalance"})
    assert saved.status_code == 200
    assert part(saved, "autoCollect") == "Auto-collect (auto pay) On Organization Value 0 customers override it"
    reset = as_admin.submit(post_form(html(saved)))
    assert reset.status_code == 200 and "Off Inherited from Default Values" in part(reset, "autoCollect")
    assert settings_store.organization_layer(org.id)["autoCollectSettingType"] is None


def test_only_admins_change_organization_settings(as_manager):
    assert as_manager.get("/organization/settings").status_code == 403
    assert as_manager.post("/organization/settings/term", {"term-kind": "Net", "term-days": "30"}).status_code == 403


# --- bulk apply and CSV ------------------------------------------------------------------------------------

def test_bulk_apply_to_selected_customers_after_confirmation(as_manager, make, org):
    a, b, c = (make.customer(org, name=f"Bulk {n}") for n in "ABC")
    data = {"field": "term", "value": "Net 30", "scope": "selected", "ids": [str(a.id), str(b.id)]}
    review = as_manager.post("/customers/bulk-settings", data, htmx=True)
    assert review.status_code == 200
    assert "Set Payment term to Due 30 days after the invoice date for 2 customers?" in tree(html(review)).text()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.entity == "settings")) == 0
    done = as_manager.post("/customers/bulk-settings", {**data, "confirmed": "yes"})
    assert done.status_code == 302
    terms = {x.name: settings_store.resolve_customer(x)["term"].value for x in (a, b, c)}
    assert terms == {"Bulk A": "Net30", "Bulk B": "Net30", "Bulk C": "Net14"}
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.entity == "settings")) == 2


def test_bulk_takes_an_enum_by_its_label(as_manager, make, org):
    a = make.customer(org, name="Bulk A")
    data = {"field": "eInvoiceFormat", "value": "ZUGFeRD", "scope": "selected", "ids": [str(a.id)]}
    review = as_manager.post("/customers/bulk-settings", data, htmx=True)
    assert "Set E-invoice format to ZUGFeRD for 1 customer?" in tree(html(review)).text()
    assert as_manager.post("/customers/bulk-settings", {**data, "confirmed": "yes"}).status_code == 302
    assert settings_store.resolve_customer(a)["eInvoiceFormat"].value == "zugferd"


def test_bulk_apply_to_all_matching_and_reset(as_manager, make, org):
    for n in range(3):
        make.customer(org, name=f"Match {n}", country="AT")
    other = make.customer(org, name="Elsewhere", country="DE")
    data = {"field": "dunningExempt", "value": "true", "scope": "all", "country": "AT", "confirmed": "yes"}
    assert as_manager.post("/customers/bulk-settings", data).status_code == 302
    assert settings_store.resolve_customer(other)["dunningExempt"].value is False
    reset = {**data, "reset": "on", "value": ""}
    as_manager.post("/customers/bulk-settings", reset)
    page = html(as_manager.get("/customers"))
    assert "Reset Dunning exempt to inherited: 3 customers (3 changed)." in page


def test_bulk_apply_is_all_or_nothing(as_manager, make, org):
    a = make.customer(org, name="Has code")
    settings_store.update_customer_settings(a, {"taxExemptCode": "E-1"})
    b = make.customer(org, name="No code")
    db.session.commit()
    data = {"field": "taxExempt", "value": "true", "scope": "selected", "ids": [str(a.id), str(b.id)],
            "confirmed": "yes"}
    response = as_manager.post("/customers/bulk-settings", data, htmx=True)
    assert response.status_code == 422 and '<dialog class="modal"' in html(response)  # in the dialog, not a page
    assert "Nothing was changed. No code" in html(response) and "<header" not in html(response)
    assert settings_store.resolve_customer(a)["taxExempt"].value is False


def test_csv_export_carries_effective_settings(as_manager, make, org, customer):
    settings_store.update_organization_settings(org.id, {"term": "Net30"})
    own_term = make.customer(org, name="Own Term")
    settings_store.update_customer_settings(own_term, {"term": "Net7"})
    db.session.commit()
    export = as_manager.get("/customers/export.csv").get_data().decode("utf-8-sig")  # Excel's BOM first
    rows = {r["Name"]: r for r in csv.DictReader(io.StringIO(export))}
    assert rows["Settings GmbH"]["Payment term"] == "Due 30 days after the invoice date"
    assert rows["Own Term"]["Payment term"] == "Due 7 days after the invoice date"


def test_resolving_a_page_costs_constant_queries(app, make, org, count_queries):
    few = [make.customer(org).id for _ in range(2)]
    many = few + [make.customer(org).id for _ in range(20)]
    org_id = org.id
    with count_queries() as a:
        settings_store.resolve_many(org_id, few)
    with count_queries() as b:
        settings_store.resolve_many(org_id, many)
    assert a.count == b.count == 4  # the organization's layer, the groups, the customers' layers, payment methods


def test_default_payment_method_is_named_in_the_auto_collect_row(as_manager, customer):
    add_payment_method(customer, {"type": "card", "label": "Visa •••• 4242"})
    db.session.commit()
    body = html(as_manager.get(f"/customers/{customer.id}/settings"))
    assert part(body, "defaultPaymentMethodId") == "Default payment method Visa •••• 4242 Customer-specific Value"
    assert "Clear" not in row(body, "autoCollect") and "Reset" not in row(body, "autoCollect")


@pytest.mark.parametrize("field, value, message", [
    ("term", "thirty days", "Enter a payment term such as “Net 30”"), ("autoCollect", "maybe", "Choose On, Off or inherit."),
    ("customerGracePeriod", "-3", "0 or more"),
])
def test_bulk_review_checks_the_value_and_shows_the_error_in_the_dialog(as_manager, make, org, field, value, message):
    a = make.customer(org, name="Bulk A")
    data = {"field": field, "value": value, "scope": "selected", "ids": [str(a.id)]}
    review = as_manager.post("/customers/bulk-settings", data, htmx=True)
    body = html(review)
    assert review.status_code == 422 and body.lstrip().startswith('<dialog class="modal"')
    assert message in body and f'value="{value}"' in body and "<header" not in body
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.entity == "settings")) == 0
