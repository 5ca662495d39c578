"""Customer groups and dunning ladders in a real Chromium, as the issue's new user tries them: a gentle two-step
ladder, a group "Public sector DE" with XRechnung (UBL), Net 30 and that ladder, three customers moved into it from
the overview, the provenance on their Settings tab and timeline, one override that stays, and the counts on the
organization's page — with the impact shown before a group setting is saved."""
import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.services.demo import ensure_reference_data
from tests.browser.conftest import wait_for_htmx

GROUP = "Public sector DE"


@pytest.fixture
def admin(make, org):
    ensure_reference_data(org, [])  # templates and the "Standard" ladder
    db.session.commit()
    return make.user(org, "admin")


def _change(page, row, fill):
    """Open a settings row's form, fill it, save, and wait for the read view."""
    page.locator(f"#edit-setting-{row}").click()
    form = page.locator(f"#setting-{row} form[data-cancel]")
    expect(form).to_be_visible()
    fill(form)
    form.get_by_role("button", name="Save").click()
    expect(page.locator(f"#setting-{row} form[data-cancel]")).to_have_count(0)


def _net_days(days):
    def fill(form):
        form.locator("select[name=term-kind]").select_option("Net")
        form.locator("input[name=term-days]").fill(days)
    return fill


def test_a_group_with_its_own_ladder_reaches_the_customers_moved_into_it(sign_in, page, admin, make, org):
    customers = [make.customer(org, name=f"Amt {n}") for n in ("Aachen", "Bonn", "Celle")]
    make.customer(org, name="Zeta Retail")  # stays outside the group
    page.on("dialog", lambda dialog: dialog.accept())

    # a gentle two-step ladder
    sign_in(admin, "/organization/dunning")
    page.get_by_label("Ladder name", exact=True).fill("Gentle")
    page.get_by_role("button", name="Add ladder").click()
    expect(page.get_by_role("heading", name="Overdue rules of “Gentle”")).to_be_visible()
    for days in ("14", "21"):
        page.get_by_role("link", name="Add rule").click()
        form = page.locator("form.rule-form")
        form.get_by_label("Days overdue").fill(days)
        form.get_by_label("Email template").select_option(index=1)
        form.get_by_role("button", name="Add rule").click()
        expect(page.locator("#ladder")).to_contain_text(f"Sent {days} days")
    expect(page.locator("#ladders")).to_contain_text("2 rules")

    # the group and its settings
    page.goto("/organization/groups")
    expect(page.get_by_text("No customer groups yet.")).to_be_visible()
    page.get_by_label("Name", exact=True).fill(GROUP)
    page.get_by_label("Description").fill("Authorities: XRechnung, Net 30, gentle dunning")
    page.get_by_role("button", name="Add group").click()
    expect(page.locator("#groups")).to_contain_text(GROUP)
    page.get_by_role("link", name=f"Billing settings of {GROUP}").click()
    expect(page.get_by_role("heading", name=f"Group {GROUP}")).to_be_visible()
    expect(page.locator("#setting-term")).to_contain_text("Inherited from Default Values")
    _change(page, "eInvoicing", lambda form: form.get_by_label("E-invoice format").select_option(
        label="XRechnung (UBL)"))
    _change(page, "term", _net_days("30"))
    _change(page, "dunningLadderId", lambda form: form.get_by_label("Dunning ladder").select_option(label="Gentle"))
    expect(page.locator("#setting-term")).to_contain_text("Group-specific Value")
    expect(page.locator("#setting-dunningLadderId")).to_contain_text("Gentle")

    # three customers into the group from the overview's selection
    page.goto("/customers")
    wait_for_htmx(page)
    for customer in customers:
        page.get_by_label(f"Select {customer.name}").check()
    page.locator("details.bulk summary").click()
    page.locator("#bulk-group").select_option(label=GROUP)
    page.get_by_role("button", name="Move to group…").click()
    dialog = page.locator("#bulk-confirm")
    expect(dialog).to_contain_text(f"Move to group “{GROUP}”: 3 customers?")
    dialog.get_by_role("button", name="Move 3 customers").click()
    expect(page.locator("#flashes")).to_contain_text(f"3 customers moved to group “{GROUP}”.")
    page.locator("#f-group").select_option(label=GROUP)
    expect(page.locator("#result-count")).to_contain_text("1–3 of 3 customers")

    # each shows the group's values with their provenance, and a timeline on the gentle ladder
    for customer in customers:
        page.goto(f"/customers/{customer.id}/settings")
        expect(page.locator("#customer-group")).to_have_text(GROUP)
        for row in ("term", "eInvoicing", "dunningLadderId"):
            expect(page.locator(f"#setting-{row}")).to_contain_text(f"Inherited from Group {GROUP}")
        expect(page.locator("#timeline-ladder")).to_have_text("On the ladder Gentle")
        expect(page.locator("#timeline")).to_contain_text("Level 2 reminder sent")
        expect(page.locator("#timeline")).to_contain_text(f"Dunning ladder “Gentle” (Inherited from Group {GROUP})")

    # one of them overrides the term, and keeps it after a reload
    page.goto(f"/customers/{customers[0].id}/settings")
    _change(page, "term", _net_days("45"))
    page.reload()
    expect(page.locator("#setting-term")).to_contain_text("Due 45 days after the invoice date")
    expect(page.locator("#setting-term")).to_contain_text("Customer-specific Value")

    # the organization's page counts that override, and the group's setting
    page.goto("/organization/settings")
    expect(page.locator("#setting-term")).to_contain_text("1 customer overrides it · 1 group sets it")

    # the group's page says, before saving, how many customers a change reaches: the two that inherit the term
    page.goto(f"/organization/groups/{_group_id(page)}/settings")
    expect(page.locator("#setting-term")).to_contain_text("1 of its customers overrides it")
    page.locator("#edit-setting-term").click()
    expect(page.locator("#setting-term form[data-cancel]")).to_contain_text(
        "Changing it changes 2 of its customers that inherit it.")


def _group_id(page):
    page.goto("/organization/groups")
    href = page.get_by_role("link", name=f"Billing settings of {GROUP}").get_attribute("href")
    return re.search(r"/groups/(\d+)/", href).group(1)


def test_a_group_with_customers_cannot_be_deleted_and_says_how_many(sign_in, page, admin, make, org):
    from portal.services import groups

    group = groups.create(org.id, {"name": "Enterprise"})
    groups.move_customers(org.id, [make.customer(org).id, make.customer(org).id], group)
    db.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(admin, "/organization/groups")
    page.get_by_role("button", name="Delete group Enterprise").click()
    expect(page.locator("#flashes")).to_contain_text("“Enterprise” has 2 customers; move them to another group or "
                                                     "out of it first.")
    expect(page.locator("#groups")).to_contain_text("Enterprise")
