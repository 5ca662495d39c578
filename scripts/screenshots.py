"""Take screenshots of a running portal in Debian's Chromium (htmx served from the test cache, as in the tests).

    python scripts/screenshots.py http://127.0.0.1:5000 docs/screenshots
"""
import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from portal.config import HTMX_URL, HTMX_VERSION

HTMX_FILE = Path(__file__).resolve().parent.parent / "tests" / ".cache" / f"htmx-{HTMX_VERSION}.min.js"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def sign_in(page, base, email, password="demo-password"):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/customers.*"))
    page.wait_for_load_state("load")


def new_page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    context.route(HTMX_URL, lambda route: route.fulfill(body=HTMX_FILE.read_bytes(), headers={
        "content-type": "application/javascript", "access-control-allow-origin": "*"}))
    return context.new_page()


def main(base, out, steps):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, step in steps:
            page = new_page(browser)
            step(page, base)
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            page.context.close()
        browser.close()


def overview(page, base):
    sign_in(page, base, "manager@acme.example")
    page.get_by_label("Search").fill("nord")
    page.wait_for_timeout(800)


def new_customer(page, base):
    sign_in(page, base, "manager@acme.example")
    page.get_by_role("link", name="New customer").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Customer name").fill("Brand New GmbH")
    dialog.get_by_label("First name").fill("Grace")
    dialog.get_by_label("Last name").fill("Hopper")
    dialog.get_by_label("Primary contact email").fill("grace@brandnew.example")
    dialog.get_by_label("Country").select_option("DE")
    dialog.get_by_label("Billing currency").select_option("EUR")
    dialog.get_by_label("Tax rate (%)").fill("120")
    dialog.get_by_role("button", name="Create customer").click()
    page.wait_for_timeout(600)


def detail(page, base):
    sign_in(page, base, "manager@acme.example")
    page.locator("table.customers td.name a").first.click()
    page.wait_for_timeout(300)


def detail_form_error(page, base):
    detail(page, base)
    page.get_by_role("link", name="Tax").click()
    page.get_by_role("link", name="Edit tax").click()
    page.get_by_label("Tax rate (%)").fill("150")
    page.get_by_label("VAT id").fill("DE123")
    page.get_by_role("button", name="Save").click()
    page.wait_for_timeout(500)


def conflict(page, base):
    # Another customer than the other steps show: this step changes its name, and screenshots are retaken.
    sign_in(page, base, "manager@acme.example")
    page.locator("table.customers td.name a").nth(2).click()
    page.wait_for_timeout(300)
    page.get_by_role("link", name="Edit general").click()
    other = new_page(page.context.browser)
    sign_in(other, base, "admin@acme.example")
    other.goto(page.url)
    other.get_by_role("link", name="Edit general").click()
    name = other.get_by_label("Name").input_value()
    other.get_by_label("Name").fill(name.rsplit(" ", 1)[0] + (" SE" if name.endswith(" AG") else " AG"))
    other.get_by_role("button", name="Save").click()
    other.wait_for_timeout(400)
    other.context.close()
    page.get_by_label("Name").fill("My own new name GmbH")
    page.get_by_role("button", name="Save").click()
    page.wait_for_timeout(500)


def settings_tab(page, base):
    detail(page, base)
    page.get_by_role("navigation", name="Customer sections").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Change E-invoicing").click()
    page.wait_for_timeout(300)
    page.get_by_label("E-invoice format").select_option(label="XRechnung (UBL)")
    page.get_by_role("button", name="Save").click()
    page.wait_for_timeout(500)


def activity(page, base):
    detail(page, base)
    page.get_by_role("navigation", name="Customer sections").get_by_role("link", name="Tax").click()
    page.get_by_role("link", name="Edit tax").click()
    page.wait_for_timeout(300)
    rate = page.get_by_label("Tax rate (%)")
    rate.fill("19.00" if rate.input_value() == "7.00" else "7.00")
    page.get_by_role("button", name="Save").click()
    page.wait_for_timeout(400)
    page.wait_for_selector("text=Saved.")
    page.wait_for_timeout(300)
    page.goto(page.url.rsplit("/", 1)[0] + "/activity")
    page.wait_for_selector("#activity")


def organization_settings(page, base):
    sign_in(page, base, "admin@acme.example")
    page.goto(f"{base}/organization/settings")


def dunning_rules(page, base):
    sign_in(page, base, "admin@acme.example")
    page.goto(f"{base}/organization/dunning")


STEPS = {"overview": overview, "new-customer": new_customer, "detail": detail, "detail-form-error": detail_form_error,
         "conflict": conflict, "settings": settings_tab, "activity": activity, "organization-settings": organization_settings,
         "dunning-rules": dunning_rules}

if __name__ == "__main__":
    wanted = sys.argv[3:] or list(STEPS)
    main(sys.argv[1], sys.argv[2], [(name, STEPS[name]) for name in wanted])
