"""axe-core (shipped inside axe-playwright-python, so offline) finds no serious or critical violations."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal.extensions import db
from portal.services.demo import ensure_reference_data
from tests.browser.conftest import settled

SERIOUS = {"serious", "critical"}


def serious_violations(page):
    results = Axe().run(page)
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"] if v["impact"] in SERIOUS]


@pytest.fixture
def admin(make, org):
    ensure_reference_data(org, [("Acme GmbH", "DE", "EUR")])
    db.session.commit()
    return make.user(org, "admin")


@pytest.mark.parametrize("path", ["/customers", "/customers/{id}", "/customers/{id}/contacts",
                                  "/customers/{id}/settings", "/customers/{id}/activity", "/organization/settings",
                                  "/organization/dunning", "/organization/templates", "/organization/groups",
                                  "/organization/groups/{group}/settings"])
def test_main_pages_have_no_serious_violations(sign_in, page, make, org, admin, path):
    from portal.services import groups

    customer = make.customer(org, name="Accessible GmbH")
    group = groups.create(org.id, {"name": "Public sector DE", "description": "Authorities"})
    groups.move_customers(org.id, [customer.id], group)
    db.session.commit()
    sign_in(admin, path.format(id=customer.id, group=group.id))
    assert serious_violations(page) == []


def test_open_forms_with_errors_have_no_serious_violations(sign_in, page, make, org, admin):
    customer = make.customer(org, name="Accessible GmbH")
    sign_in(admin, f"/customers/{customer.id}/tax")
    page.get_by_role("link", name="Edit tax").click()
    expect(page.get_by_label("VAT id")).to_be_focused()
    settled(page)
    page.get_by_label("Tax rate (%)").fill("500")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Enter a number from 0.00 to 100.00.").wait_for()
    assert serious_violations(page) == []
    page.goto("/customers")
    page.get_by_role("link", name="New customer").click()
    page.get_by_role("button", name="Create customer").click()
    page.get_by_text("Name is required.").wait_for()
    assert serious_violations(page) == []


def test_login_page(page, live_server):
    page.goto("/login")
    assert serious_violations(page) == []
