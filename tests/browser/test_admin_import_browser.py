"""Users, legal entities and the CSV import in a real Chromium: an admin adds a manager who sets a password, signs
in and is signed out when deactivated; a manager imports a spreadsheet's CSV from the overview."""
import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from tests.browser.conftest import settled, wait_for_htmx

NEW_PASSWORD = "a long new password 42"


@pytest.fixture
def admin(make, org):
    return make.user(org, "admin")


def test_an_admin_adds_a_manager_who_signs_in_until_deactivated(sign_in, page, browser, live_server, admin):
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(admin, "/organization/users")
    page.get_by_label("Email").fill("grace@acme.example")
    page.get_by_label("Name", exact=True).fill("Grace Hopper")
    page.get_by_label("Role", exact=True).select_option(label="Account manager")
    page.get_by_role("button", name="Add user").click()
    link = page.locator("#password-link-url")
    expect(link).to_contain_text("/set-password/")
    url = link.text_content()
    expect(page.locator("#users")).to_contain_text("Password not set")

    theirs = browser.new_context(base_url=live_server).new_page()
    theirs.goto(url)
    expect(theirs.get_by_role("heading", name="Set your password")).to_be_visible()
    theirs.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    theirs.get_by_label("New password again").fill("something else entirely")
    theirs.get_by_role("button", name="Set password").click()
    expect(theirs.get_by_text("The two passwords differ.")).to_be_visible()
    theirs.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    theirs.get_by_label("New password again").fill(NEW_PASSWORD)
    theirs.get_by_role("button", name="Set password").click()
    expect(theirs.get_by_text("Your password is set. Sign in as grace@acme.example.")).to_be_visible()
    theirs.get_by_label("Email").fill("grace@acme.example")
    theirs.get_by_label("Password").fill(NEW_PASSWORD)
    theirs.get_by_role("button", name="Sign in").click()
    expect(theirs.get_by_role("heading", name="Customers")).to_be_visible()

    page.reload()
    wait_for_htmx(page)
    page.get_by_role("button", name="Deactivate grace@acme.example").click()
    expect(page.locator("#flashes")).to_contain_text("grace@acme.example is deactivated and signed out everywhere.")
    expect(page.locator("#users")).to_contain_text("Deactivated")
    expect(page.locator("#users")).to_contain_text("Admin of acme deactivated grace@acme.example")
    theirs.reload()
    expect(theirs).to_have_url(re.compile(r"/login"))


def test_an_admin_archives_a_legal_entity_in_place(sign_in, page, admin, make, org):
    make.customer(org, legalEntityId=org_entity(org))
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(admin, "/organization/legal-entities")
    page.get_by_role("link", name="Edit legal entity Acme Billing GmbH").click()
    settled(page)
    editing = page.locator("#entities tr.editing")
    editing.get_by_label("Name").fill("Acme Billing SE")
    editing.get_by_role("button", name="Save").click()
    row = page.locator("#entities tbody tr").first
    expect(row).to_contain_text("Acme Billing SE")
    expect(row).to_contain_text("Germany")
    page.get_by_role("button", name="Archive legal entity Acme Billing SE").click()
    expect(page.locator("#flashes")).to_contain_text("1 customer keep it; new customers are not offered it.")
    expect(page.locator("#entities tbody tr").first.locator(".badge")).to_have_text("Archived")


def org_entity(org):
    from portal.services.legal_entities import organization_entities

    return organization_entities(org.id)[0].id


def _spreadsheet_csv():
    rows = ["Debtor ID;Name;Customer type;Country;Billing currency;Primary contact email;Tax rate;Language",
            "S-1;Bäckerei Müller GmbH;Business (B2B);DE;EUR;info@baeckerei.example;7,00;German",
            "S-2;Zweite Größe AG;Business (B2B);AT;EUR;office@zweite.example;20,00;German",
            "S-3;;Business (B2B);DE;EUR;broken@example.com;19,00;German"]
    return ("\r\n".join(rows) + "\r\n").encode("cp1252")


def test_a_manager_imports_a_spreadsheet_from_the_overview(sign_in, page, manager):
    sign_in(manager, "/customers")
    page.get_by_role("link", name="Import CSV").click()
    page.get_by_label("CSV file", exact=True).set_input_files(
        files=[{"name": "kunden.csv", "mimeType": "text/csv", "buffer": _spreadsheet_csv()}])
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator(".import-meta")).to_contain_text("read as Windows-1252 (Latin-1), columns separated by "
                                                         "semicolons")
    expect(page.locator(".import-counts")).to_contain_text("2 new customers")
    expect(page.locator(".import-error")).to_contain_text("Name: Name is required.")
    page.get_by_role("button", name="Apply 2 valid rows").click()
    expect(page.get_by_role("heading", name=re.compile("^Applied"))).to_be_visible()
    page.get_by_role("link", name="Bäckerei Müller GmbH · S-1").click()
    expect(page.locator("h1")).to_contain_text("Bäckerei Müller GmbH")
    page.get_by_role("link", name="Activity").click()
    expect(page.locator(".event-import").first).to_contain_text("CSV import #")


def test_a_large_import_shows_its_progress_and_then_the_preview(sign_in, page, manager, monkeypatch):
    from portal.services import imports

    monkeypatch.setattr(imports, "INLINE_ROWS", 100)  # this file runs in a runner process, as 50,000 rows would
    rows = ["Debtor ID,Name,Country,Billing currency,Primary contact email"] + [
        f"P-{i:05d},Progress Customer {i},DE,EUR,p{i}@example.com" for i in range(3_000)]
    sign_in(manager, "/customers/import")
    page.get_by_label("CSV file", exact=True).set_input_files(
        files=[{"name": "big.csv", "mimeType": "text/csv", "buffer": ("\r\n".join(rows) + "\r\n").encode()}])
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator("#import-progress progress")).to_be_visible()
    expect(page.locator(".import-counts")).to_contain_text("3,000 new customers", timeout=60_000)
    db.session.rollback()
