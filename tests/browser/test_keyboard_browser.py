"""Keyboard and focus wherever an inline form opens, and asking before unsaved input is lost (real Chromium)."""
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.services import dunning
from portal.services.demo import ensure_reference_data
from tests.browser.conftest import settled

DISCARD = "Discard your changes?"


@pytest.fixture
def customer(make, org):
    ensure_reference_data(org, [("Acme GmbH", "DE", "EUR")])
    db.session.commit()
    customer = make.customer(org, name="Keyboard GmbH", invoiceAddress={"line1": "Gartenweg 5", "city": "Berlin",
                                                                         "postalCode": "10115", "country": "DE"})
    from portal.services.contacts import create_contact

    create_contact(customer, {"firstName": "Grace", "lastName": "Hopper", "email": "grace@keyboard.example"})
    db.session.commit()
    return customer


@pytest.fixture
def admin(make, org):
    return make.user(org, "admin")


@dataclass
class Kind:
    """One kind of inline entry as a user meets it: where, its Edit button, its first field, a bad and a good input."""

    id: str
    role: str
    path: str  # {id} is the customer's id
    edit: str  # the accessible name of the button that opens the form
    first: str  # the label of the form's first field
    field: str  # the label of a field to type into: first a value the rules refuse, then one they take
    bad: str
    good: str
    save: str = "Save"


KINDS = [
    Kind("customer-section", "manager", "/customers/{id}/tax", "Edit tax", "VAT id", "Tax rate (%)", "abc", "7.00"),
    Kind("address-card", "manager", "/customers/{id}/addresses", "Edit Invoice address 1", "Name", "Country", "", "AT"),
    Kind("contact", "manager", "/customers/{id}/contacts", "Edit Grace Hopper", "First name", "Email",
         "not-an-email", "grace.hopper@keyboard.example"),
    Kind("customer-setting", "manager", "/customers/{id}/settings", "Change Grace period (days)",
         "Grace period (days)", "Grace period (days)", "-3", "5"),
    Kind("organization-setting", "admin", "/organization/settings", "Change Grace period (days)",
         "Grace period (days)", "Grace period (days)", "-3", "5"),
    Kind("dunning-rule", "admin", "/organization/dunning", "Edit level 1", "Type", "Days overdue", "0", "3"),
    Kind("email-template", "admin", "/organization/templates", "Edit Friendly payment reminder", "Name", "Subject",
         "", "Reminder for {{invoice_number}}"),
    Kind("property-definition", "admin", "/organization/properties", "Edit property Industry", "Key", "Options (select)",
         "", "Software, Retail"),
]


def type_into(field, value):
    """Type into an input or choose in a select, as a person would."""
    if field.evaluate("e => e.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(value)


def open_form(page, kind):
    """Open the kind's form by keyboard (focus its Edit button, press Enter) and return the form."""
    page.get_by_role("link", name=kind.edit).focus()
    page.keyboard.press("Enter")
    form = page.locator("form[data-cancel]")
    expect(form).to_have_count(1)
    settled(page)
    return form


@pytest.mark.parametrize("kind", KINDS, ids=[kind.id for kind in KINDS])
def test_focus_follows_the_inline_form(sign_in, page, make, org, customer, admin, kind):
    user = admin if kind.role == "admin" else make.user(org, "manager")
    sign_in(user, kind.path.format(id=customer.id))
    edit = page.get_by_role("link", name=kind.edit)

    form = open_form(page, kind)  # opens: the first field has the focus
    expect(form.get_by_label(kind.first, exact=True)).to_be_focused()
    page.keyboard.press("Escape")  # Escape cancels; focus back on Edit
    expect(form).to_have_count(0)
    expect(edit).to_be_focused()

    form = open_form(page, kind)  # Escape also cancels when the focus has left the fields (a click on the form)
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Escape")
    expect(form).to_have_count(0)
    expect(edit).to_be_focused()

    form = open_form(page, kind)  # a refused save: the invalid field (not the first one) has the focus
    field = form.get_by_label(kind.field, exact=True)
    type_into(field, kind.bad)
    form.get_by_role("button", name=kind.save).click()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()

    settled(page)
    type_into(field, kind.good)  # saved: the read view is back and Edit has the focus
    form.get_by_role("button", name=kind.save).click()
    expect(form).to_have_count(0)
    expect(edit).to_be_focused()


def test_a_conflict_puts_the_focus_on_the_conflicting_field(sign_in, page, make, org, customer):
    sign_in(make.user(org, "manager"), f"/customers/{customer.id}/contacts")
    form = open_form(page, KINDS[2])
    from portal.services.contacts import update_contact

    db.session.rollback()  # a fresh snapshot: the server has written since this session last read
    grace = next(c for c in db.session.get(type(customer), customer.id).contacts if c.first_name == "Grace")
    update_contact(grace, {"phone": "+1 555 0100"})  # a colleague saves the same field meanwhile
    db.session.commit()
    settled(page)
    form.get_by_label("Phone").fill("+49 30 1234")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".conflict")).to_contain_text("Someone else changed")
    expect(form.get_by_label("Phone")).to_be_focused()


@pytest.fixture
def three_rules(org):
    ensure_reference_data(org, [("Acme GmbH", "DE", "EUR")])
    ladder = dunning.ladder(org.id)
    rule = dunning.create_rule(dunning.default_ladder(org.id, create=True), {"daysOverdue": 10, "dueInDays": 7, "type": "dunning", "amountInCents": 500,
                                        "emailTemplate": ladder[1].email_template_id,
                                        "documentTemplate": ladder[1].document_template_id})
    db.session.commit()
    return rule


def test_reordering_keeps_the_focus_on_the_moved_rule(sign_in, page, admin, three_rules):
    sign_in(admin, "/organization/dunning")
    moved = page.locator(f"#rule-{three_rules.id}")
    page.get_by_role("button", name="Move level 3 up").focus()
    page.keyboard.press("Enter")
    expect(moved.get_by_role("button", name="Move level 2 up")).to_be_focused()  # the pressed button, moved along
    page.keyboard.press("Enter")
    expect(moved).to_contain_text("Level 1")
    # At the top its up arrow is gone: the moved rule's other arrow has the focus, not the page.
    expect(moved.get_by_role("button", name="Move level 1 down")).to_be_focused()
    page.keyboard.press("Enter")
    expect(moved.get_by_role("button", name="Move level 2 down")).to_be_focused()
    page.keyboard.press("Enter")
    expect(moved).to_contain_text("Level 3")
    expect(moved.get_by_role("button", name="Move level 3 up")).to_be_focused()


# --- unsaved input ------------------------------------------------------------------------------------------


class Dialogs:
    """Answers the page's dialogs with the next answer given, and keeps what they asked."""

    def __init__(self, page):
        self.asked, self.answers = [], []
        page.on("dialog", self._answer)

    def _answer(self, dialog):
        self.asked.append((dialog.type, dialog.message))
        dialog.accept() if self.answers and self.answers.pop(0) else dialog.dismiss()

    def answer(self, accept):
        self.answers.append(accept)
        return self


@pytest.fixture
def on_contacts(sign_in, page, make, org, customer):
    """A manager on the Contacts tab with Grace Hopper's form open."""
    sign_in(make.user(org, "manager"), f"/customers/{customer.id}/contacts")
    return open_form(page, KINDS[2])


def test_switching_tabs_with_unsaved_input_asks_first(page, on_contacts):
    dialogs = Dialogs(page)
    on_contacts.get_by_label("Phone").fill("+49 30 555")
    page.get_by_role("link", name="Overview").click()
    expect(on_contacts.get_by_label("Phone")).to_have_value("+49 30 555")  # dismissed: the input stays
    assert dialogs.asked == [("confirm", DISCARD)]
    expect(page.get_by_role("link", name="Contacts")).to_have_attribute("aria-current", "page")

    dialogs.answer(True)
    page.get_by_role("link", name="Overview").click()  # accepted: the tab switches
    expect(page.get_by_role("link", name="Overview")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="General")).to_be_visible()
    assert len(dialogs.asked) == 2


def test_a_form_without_changes_does_not_ask(page, on_contacts):
    dialogs = Dialogs(page)
    phone = on_contacts.get_by_label("Phone")
    phone.fill("+49 30 555")
    phone.fill("")  # typed and taken back: the form shows what it showed when it opened
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("link", name="Overview")).to_have_attribute("aria-current", "page")
    assert dialogs.asked == []


def test_input_refused_by_the_rules_is_still_unsaved(page, on_contacts):
    dialogs = Dialogs(page)
    on_contacts.get_by_label("Email").fill("not-an-email")
    on_contacts.get_by_role("button", name="Save").click()
    expect(on_contacts.get_by_label("Email")).to_be_focused()
    page.get_by_role("link", name="Overview").click()
    assert dialogs.asked == [("confirm", DISCARD)]
    expect(on_contacts.get_by_label("Email")).to_have_value("not-an-email")


def test_opening_another_form_asks_and_then_discards(page, on_contacts):
    dialogs = Dialogs(page)
    on_contacts.get_by_label("Phone").fill("+49 30 555")
    page.get_by_role("link", name="Edit Ada Lovelace").click()
    expect(on_contacts.get_by_label("Phone")).to_have_value("+49 30 555")
    expect(page.locator("form[data-cancel]")).to_have_count(1)
    assert dialogs.asked == [("confirm", DISCARD)]

    dialogs.answer(True)
    page.get_by_role("link", name="Edit Ada Lovelace").click()
    ada = page.get_by_role("region", name="Edit contact Ada Lovelace")
    expect(ada.get_by_label("First name")).to_be_focused()
    expect(page.locator("form[data-cancel]")).to_have_count(1)  # Grace's form was discarded, not saved
    expect(page.get_by_role("link", name="Edit Grace Hopper")).to_be_visible()
    expect(page.locator("#contact-list")).not_to_contain_text("+49 30 555")


def test_following_a_link_or_reloading_asks_first(page, on_contacts):
    dialogs = Dialogs(page)
    url = page.url
    on_contacts.get_by_label("Phone").fill("+49 30 555")
    page.get_by_role("link", name="Customers", exact=True).first.click(no_wait_after=True)
    expect(on_contacts.get_by_label("Phone")).to_have_value("+49 30 555")  # dismissed: still here, input kept
    assert [kind for kind, _ in dialogs.asked] == ["beforeunload"] and page.url == url

    page.evaluate("setTimeout(() => location.reload())")
    expect(on_contacts.get_by_label("Phone")).to_have_value("+49 30 555")
    assert [kind for kind, _ in dialogs.asked] == ["beforeunload", "beforeunload"]

    dialogs.answer(True)
    page.get_by_role("link", name="Customers", exact=True).first.click(no_wait_after=True)
    page.wait_for_url("**/customers")
    assert len(dialogs.asked) == 3


def test_a_saved_form_leaves_without_asking(page, on_contacts):
    dialogs = Dialogs(page)
    on_contacts.get_by_label("Phone").fill("+49 30 555")
    on_contacts.get_by_role("button", name="Save").click()
    expect(page.get_by_role("link", name="Edit Grace Hopper")).to_be_focused()
    page.get_by_role("link", name="Customers", exact=True).first.click()
    page.wait_for_url("**/customers")
    assert dialogs.asked == []
