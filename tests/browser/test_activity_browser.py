"""The Activity tab in a real Chromium: a change reads as a sentence, Revert puts the old value back in place, the
conflict view shows instead when the value changed since, and the filters swap the list and the URL."""
import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.services import customers as customer_service
from tests.browser.conftest import settled


@pytest.fixture
def customer(make, org):
    return make.customer(org, name="Revert GmbH")


def rename_on_the_overview(page, new_name):
    page.get_by_role("link", name="Edit general").click()
    settled(page)
    page.locator("#section-general").get_by_label("Name").fill(new_name)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#section-general")).to_contain_text(new_name)


def test_revert_a_change_from_the_activity_tab(sign_in, page, manager, customer):
    sign_in(manager, f"/customers/{customer.id}")
    rename_on_the_overview(page, "Renamed by mistake AG")
    page.get_by_role("link", name="Activity").click()
    first = page.locator(".event").first
    expect(first.locator(".event-sentence")).to_have_text(
        "Manager of acme changed Name from “Revert GmbH” to “Renamed by mistake AG”")
    expect(first.locator(".event-channel")).to_have_text("Portal")
    page.evaluate("window.__noReload = true")

    first.get_by_role("button", name="Revert Name to “Revert GmbH”").click()
    expect(page.locator("#flashes")).to_contain_text("Reverted Name to “Revert GmbH”.")
    first = page.locator(".event").first
    expect(first.locator(".event-sentence")).to_have_text("Manager of acme reverted Name to “Revert GmbH”")
    expect(first.locator(".event-reason")).to_contain_text("Why: revert of Manager of acme's change of Name on ")
    expect(page.locator(".event").nth(1)).to_contain_text("Now “Revert GmbH” again")
    expect(page.locator("#customer-name")).to_have_text("Revert GmbH")  # the header too
    assert page.evaluate("window.__noReload === true"), "the revert reloaded the page"

    page.get_by_role("link", name="Overview").click()
    expect(page.locator("#section-general dd").first).to_have_text("Revert GmbH")


def test_a_revert_after_a_later_change_shows_the_conflict_in_place(sign_in, page, manager, customer):
    sign_in(manager, f"/customers/{customer.id}")
    rename_on_the_overview(page, "Second Name AG")
    page.get_by_role("link", name="Activity").click()
    button = page.get_by_role("button", name="Revert Name to “Revert GmbH”")
    expect(button).to_be_visible()
    db.session.rollback()  # the server changed it: read it afresh (SQLite refuses a write from an old snapshot)
    customer_service.update_customer(customer_service.load_customer(customer.organization_id, customer.id),
                                     {"name": "Third Name AG"})  # a colleague, meanwhile
    db.session.commit()
    button.click()
    problem = page.locator("#revert-problem")
    expect(problem).to_be_focused()
    expect(problem).to_contain_text("Name changed again after this event, so nothing was reverted.")
    expect(problem.locator("tbody tr")).to_have_text(re.compile(r"Name\s*“Third Name AG”\s*“Revert GmbH”"))
    problem.get_by_role("button", name="Restore “Revert GmbH” anyway").click()
    expect(page.locator("#flashes")).to_contain_text("Reverted Name to “Revert GmbH”.")
    expect(page.locator(".event").first.locator(".event-sentence")).to_have_text(
        "Manager of acme reverted Name to “Revert GmbH”")


def test_filters_swap_the_list_and_the_url(sign_in, page, manager, customer):
    sign_in(manager, f"/customers/{customer.id}")
    rename_on_the_overview(page, "Filtered AG")
    page.get_by_role("link", name="Activity").click()
    expect(page.locator(".event")).to_have_count(2)
    page.evaluate("window.__noReload = true")
    page.get_by_label("Channel").select_option(label="Command line")
    expect(page.locator(".event")).to_have_count(1)
    expect(page.locator(".event-sentence")).to_have_text("The command line added the customer “Revert GmbH”")
    expect(page).to_have_url(re.compile(r"/activity\?.*channel=cli"))
    page.get_by_label("Channel").select_option(label="API")
    expect(page.locator(".empty-note")).to_have_text("No changes match these filters. Show all changes")
    page.get_by_role("link", name="Show all changes").click()
    expect(page.locator(".event")).to_have_count(2)
    expect(page.get_by_label("Channel")).to_have_value("")  # the filters start over too
    assert page.evaluate("window.__noReload === true"), "filtering reloaded the page"
