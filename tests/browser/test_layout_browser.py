"""The layout at 800 px (and 1280 px): names, tabs, emails and a long contact list measured in a real Chromium."""
import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.services.contacts import create_contact
from tests.browser.conftest import wait_for_htmx

LONG_NAME = "Norddeutsche Energieversorgungs- und Infrastrukturgesellschaft mbH & Co. KG"
LONG_EMAIL = "maximiliane.schmidt-wuestenhagen@buchhaltung.norddeutsche-energieversorgung.example"
PEOPLE = ["Jonas Becker", "Lea Hoffmann", "Finn Schäfer", "Mia Koch", "Paul Richter", "Emma Klein", "Ben Wolf",
          "Hannah Neumann", "Luis Schwarz", "Sofia Zimmermann", "Noah Braun", "Lina Krüger", "Elias Hofmann",
          "Clara Hartmann"]
PREFERENCES = [["billing"], ["legal"], ["updates"], ["billing", "legal"], ["updates"], [], ["billing", "updates"],
               ["legal", "updates"], ["updates"], ["billing"], ["updates"], ["legal"], ["billing", "legal", "updates"],
               ["updates"]]


@pytest.fixture
def customer(make, org):
    """A customer with a long name, a long primary email and 15 contacts in all."""
    customer = make.customer(org, name=LONG_NAME, primaryContact={
        "firstName": "Maximiliane", "lastName": "Schmidt-Wüstenhagen", "email": LONG_EMAIL})
    for person, preferences in zip(PEOPLE, PREFERENCES):
        first, last = person.split()
        create_contact(customer, {"firstName": first, "lastName": last, "phone": "+49 40 1234567",
                                  "email": f"{first.lower()}.{last.lower()}@nordlicht-energie.example".replace(
                                      "ä", "ae").replace("ü", "ue"), "emailPreferences": preferences})
    db.session.commit()
    return customer


@pytest.fixture(params=[800, 1280], ids=["800px", "1280px"])
def width(request, page):
    page.set_viewport_size({"width": request.param, "height": 900})
    return request.param


def box(locator):
    return locator.bounding_box()


def line_breaks(locator):
    """The characters on either side of every line break inside the element's text, as the browser laid it out."""
    return locator.evaluate("""element => {
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT), range = document.createRange();
        const chars = [];
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (let i = 0; i < node.length; i++) {
                range.setStart(node, i); range.setEnd(node, i + 1);
                const rect = range.getClientRects()[0];
                if (rect) chars.push([node.data[i], rect.top]);
            }
        }
        const breaks = [];
        for (let i = 1; i < chars.length; i++) if (chars[i][1] > chars[i - 1][1] + 2) breaks.push(chars[i - 1][0] + chars[i][0]);
        return breaks;
    }""")


def test_names_keep_a_readable_width(sign_in, page, manager, customer, width):
    sign_in(manager, f"/customers/{customer.id}")
    header = box(page.locator("#customer-head"))
    name = box(page.locator("#customer-name"))
    # The name takes the header's width beside the Archive button: at least half of it, never a sliver.
    assert name["width"] >= 0.5 * header["width"], (name, header)
    assert name["x"] + name["width"] <= header["x"] + header["width"]
    general_name = page.locator("#section-general dd").first
    assert box(general_name)["width"] >= 300

    page.goto("/customers?sort=name")
    wait_for_htmx(page)
    for cell in page.locator("table.customers td.name").all()[:5]:
        assert box(cell)["width"] >= 140  # 10em: "Norddeutsche Energie…" reads as words, not letters
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # the page itself never scrolls sideways


def test_every_tab_is_visible(sign_in, page, manager, customer, width):
    sign_in(manager, f"/customers/{customer.id}")
    bar = page.get_by_role("navigation", name="Customer sections")
    clipped = bar.evaluate("nav => nav.scrollWidth - nav.clientWidth")
    assert clipped <= 0, f"{clipped}px of the tab bar are hidden"
    frame = box(bar)
    tabs = bar.get_by_role("link").all()
    assert len(tabs) == 9
    for tab in tabs:
        expect(tab).to_be_in_viewport()
        tab_box = box(tab)
        assert frame["x"] <= tab_box["x"] and tab_box["x"] + tab_box["width"] <= frame["x"] + frame["width"] + 0.5
    if width >= 800:  # at 800 px and up the nine tabs fit one line
        assert len({round(box(tab)["y"]) for tab in tabs}) == 1


def contact_emails(customer):
    return [contact.email for contact in customer.contacts]


def contact_rows(page):
    """Each contact's own element on the Contacts tab (its card or row, whatever the markup)."""
    return page.locator('#contact-list [id^="contact-"][hx-target]:not(#contact-new)')


def test_emails_stay_inside_their_card_and_break_at_sensible_points(sign_in, page, manager, customer, width):
    sign_in(manager, f"/customers/{customer.id}/contacts")
    expect(contact_rows(page)).to_have_count(15)
    for address in contact_emails(customer):
        email = page.locator("#contact-list").get_by_text(address, exact=True)
        card = box(email.locator("xpath=ancestor::*[contains(@class, 'card')][1]"))
        email_box = box(email)
        assert email_box["x"] + email_box["width"] <= card["x"] + card["width"], address
        assert email.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), address
        for pair in line_breaks(email):
            # after the @, before a dot, or at a hyphen the address already has; never inside a word
            assert pair[0] in "@-" or pair[1] == ".", f"{address!r} breaks inside {pair!r}"
    if width == 800:
        assert line_breaks(page.locator("#contact-list").get_by_text(LONG_EMAIL, exact=True)), \
            "the long address is wider than its column at 800 px, so it wraps"


def test_fifteen_contacts_stay_compact(sign_in, page, manager, customer, width):
    sign_in(manager, f"/customers/{customer.id}/contacts")
    expect(contact_rows(page)).to_have_count(15)
    # Bound: a contact is two lines (65 px with its buttons, 90 px with the chips of all three kinds), 15 of them
    # at most 1,200 px; who receives what is three groups of names (no addresses) in at most 300 px; headings and
    # Add contact 150 px. The cards this replaced took 2,720 px at 800 px for the same contacts (now 1,510).
    total = box(page.locator("#contact-list"))["height"]
    assert total <= 1650, total
    summary = box(page.locator(".recipients"))["height"]
    assert summary <= 300, summary
    heights = [box(row)["height"] for row in contact_rows(page).all()]
    assert max(heights[1:]) <= 90, heights
    assert heights[0] <= 120, heights  # the 84-character address takes a third line at 800 px
    recipients = page.locator(".recipients")
    expect(recipients).not_to_contain_text("@")  # names only: each address is shown once, in its row
    expect(recipients.locator("dd").nth(2)).to_contain_text("9")  # with a count: 9 receive product updates


def test_the_required_mark_stays_beside_its_label(page, width):
    page.goto("/login")
    for name in ("Email", "Password"):
        field = page.locator(".field", has=page.get_by_label(name, exact=True))
        label, mark = field.locator("label"), field.locator(".req")
        label_box, mark_box = box(label), box(mark)
        # one line: the * starts where the label's words end, at the same height, and the label is one line high
        assert abs(mark_box["y"] - label_box["y"]) < 4, (name, label_box, mark_box)
        assert mark_box["x"] >= label_box["x"] + 20 and label_box["height"] < 30, (name, label_box, mark_box)
