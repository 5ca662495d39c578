"""The overview at any size: Next and Previous from the row they were next to, counts exact up to a bound and
estimated above it, and the tally the triggers keep."""
import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Customer, CustomerTally
from portal.services import customer_search
from tests.test_customers import page_of, rows_of


def link(response, rel):
    """The href of the pagination link with this rel (next, prev), or None."""
    found = page_of(response).soup.select_one(f'nav.pagination a[rel="{rel}"]')
    return found["href"] if found else None


def text(response):
    return " ".join(page_of(response).soup.get_text().split())


@pytest.fixture
def twelve(app, make, org):
    app.config["PAGE_SIZE"] = 5
    return [make.customer(org, name=f"Paged {n:02d}", country="AT" if n % 3 == 0 else "DE") for n in range(12)]


def walk(as_manager, start, rel):
    """Follow the rel link from the start page to the end: the names of each page."""
    pages, response = [], as_manager.get(start)
    while True:
        pages.append(rows_of(response))
        href = link(response, rel)
        if not href:
            return pages
        response = as_manager.get(href)


@pytest.mark.parametrize("sort", ["name", "-name", "country", "-createdAt", "debtorIdent"])
def test_next_and_previous_walk_every_customer_once_in_the_sort_order(as_manager, twelve, sort):
    forward = walk(as_manager, f"/customers?sort={sort}", "next")
    everyone = [name for page in forward for name in page]
    assert sorted(everyone) == sorted(c.name for c in twelve) and len(forward) == 3
    by_page_number = [rows_of(as_manager.get(f"/customers?sort={sort}&page={n}")) for n in (1, 2, 3)]
    assert forward == by_page_number
    last = as_manager.get(f"/customers?sort={sort}&page=3")
    assert walk(as_manager, link(last, "prev") and f"/customers?sort={sort}&page=3", "prev") == forward[::-1]


def test_next_carries_the_row_it_starts_after_and_the_page_number(as_manager, twelve):
    first = as_manager.get("/customers")
    href = link(first, "next")
    assert "page=2" in href and re.search(r"after=\d+", href)
    second = as_manager.get(href)
    assert rows_of(second) == [f"Paged {n:02d}" for n in range(5, 10)]
    assert "6–10 of 12 customers" in text(second) and "Page 2 of 3" in text(second)


def test_a_customer_added_before_the_cursor_does_not_shift_the_next_page(as_manager, make, org, twelve):
    href = link(as_manager.get("/customers"), "next")
    make.customer(org, name="Paged 00a")  # sorts onto page 1
    assert rows_of(as_manager.get(href)) == [f"Paged {n:02d}" for n in range(5, 10)]


def test_a_cursor_that_is_gone_falls_back_to_the_page_number(as_manager, twelve):
    assert rows_of(as_manager.get("/customers?page=2&after=999999")) == [f"Paged {n:02d}" for n in range(5, 10)]


def test_previous_at_the_top_after_deletions_shows_the_first_page(as_manager, twelve):
    second = as_manager.get(link(as_manager.get("/customers"), "next"))
    before = link(second, "prev")
    assert "before=" not in before  # page 2's Previous is simply the first page
    third = as_manager.get(link(second, "next"))
    prev = link(third, "prev")
    for customer in twelve[:8]:  # two are left before page 3's first row: not a page's worth
        db.session.delete(db.session.get(Customer, customer.id))
    db.session.commit()
    assert rows_of(as_manager.get(prev)) == ["Paged 08", "Paged 09", "Paged 10", "Paged 11"]


def test_the_last_page_is_read_from_the_end(as_manager, twelve):
    last = as_manager.get("/customers?page=3")
    assert rows_of(last) == ["Paged 10", "Paged 11"] and link(last, "next") is None
    assert "11–12 of 12 customers" in text(last)


def test_filtered_counts_above_the_bound_are_estimates(app, as_manager, make, org, monkeypatch):
    app.config["PAGE_SIZE"] = 5
    monkeypatch.setattr(customer_search, "COUNT_BOUND", 10)
    for n in range(30):
        make.customer(org, name=f"Paged {n:02d}", country="AT" if n % 3 == 0 else "DE")
    unfiltered = as_manager.get("/customers")
    assert "1–5 of 30 customers" in text(unfiltered)  # the tally: exact at any size
    filtered = as_manager.get("/customers?country=DE")
    assert "1–5 of about 20 customers" in text(filtered) and "Page 1 of about 4" in text(filtered)
    assert "Last" not in page_of(filtered).soup.select_one("nav.pagination").get_text()
    austrian = as_manager.get("/customers?country=AT")
    assert "1–5 of 10 customers" in text(austrian)  # within the bound: exact
    assert len([n for p in walk(as_manager, "/customers?country=DE", "next") for n in p]) == 20


def test_a_page_past_an_estimated_end_shows_the_estimated_last_or_the_first(app, as_manager, make, org,
                                                                            monkeypatch):
    app.config["PAGE_SIZE"] = 5
    monkeypatch.setattr(customer_search, "COUNT_BOUND", 3)
    for n in range(8):
        make.customer(org, name=f"Paged {n:02d}")
    assert rows_of(as_manager.get("/customers?country=DE&page=2000000000")) == ["Paged 05", "Paged 06", "Paged 07"]
    monkeypatch.setattr(customer_search, "COUNT_BOUND", 2)
    monkeypatch.setattr(customer_search, "ESTIMATE_SAMPLE", 1)  # one customer sampled, a match: "about 8" still
    for customer in db.session.scalars(sa.select(Customer).where(Customer.name > "Paged 02")):
        customer.country = "AT"
    db.session.commit()
    # three Germans left, estimated above the bound: page 2 of the estimate is empty, so the first is shown
    assert rows_of(as_manager.get("/customers?country=DE&page=2")) == ["Paged 00", "Paged 01", "Paged 02"]


def test_a_search_counts_exactly_and_pages_by_number(as_manager, twelve, monkeypatch):
    monkeypatch.setattr(customer_search, "COUNT_BOUND", 3)
    response = as_manager.get("/customers?q=paged")
    assert "1–5 of 12 customers" in text(response) and "Page 1 of 3" in text(response)
    assert rows_of(as_manager.get(link(response, "next"))) == [f"Paged {n:02d}" for n in range(5, 10)]
    assert rows_of(as_manager.get("/customers?q=paged&page=9")) == ["Paged 10", "Paged 11"]


def tallies(org):
    return dict(db.session.execute(sa.select(CustomerTally.status, CustomerTally.n)
                                   .where(CustomerTally.organization_id == org.id)).all())


def counted(org):
    return dict(db.session.execute(sa.select(Customer.status, sa.func.count()).where(
        Customer.organization_id == org.id).group_by(Customer.status)).all())


def test_the_tally_follows_every_insert_status_change_and_delete(as_manager, make, org):
    customers = [make.customer(org) for _ in range(4)]
    assert tallies(org) == counted(org) == {"active": 4}
    db.session.execute(sa.update(Customer).where(Customer.id == customers[0].id).values(status="archived"))
    db.session.execute(sa.update(Customer).where(Customer.id == customers[1].id).values(name="Renamed"))
    db.session.delete(db.session.get(Customer, customers[2].id))
    db.session.commit()
    assert tallies(org) == counted(org) == {"active": 2, "archived": 1}
    assert "1–2 of 2 customers" in text(as_manager.get("/customers"))
    assert "1–1 of 1 customer" in text(as_manager.get("/customers?status=archived"))
    assert "1–3 of 3 customers" in text(as_manager.get("/customers?status=all"))
