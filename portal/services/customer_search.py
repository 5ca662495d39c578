"""Customer search: the search-term index, the overview's filter and sort, pages and the export's rows.

A customer is found by the words of its name, its identifiers, every contact's names and email (and the email's
domain), and every address's city and postal code. Terms are stored folded (lower case, no accents, ß as ss), and
a search folds what was typed the same way, so "muller" finds Müller and "müller" finds Muller.
"""
import re
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa

from portal.domain import validation as rules
from portal.extensions import db
from portal.models import Contact, Customer, CustomerAlias, CustomerSearchTerm, CustomerTally
from portal.models.customer import CUSTOMER_TYPES, STATUSES

ALIAS_MAX = 128
SEARCH_WORDS_MAX = 6
TERM_MAX = 254
# Letters that Unicode does not decompose into a base letter and an accent.
_UNACCENTED = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
# German spells ä, ö, ü as ae, oe, ue where they cannot be typed: "mueller" finds Müller too.
_GERMAN_SPELLING = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
# The fields (API names) whose values the terms come from, per entity: a change elsewhere leaves them as they are.
SEARCHED_FIELDS = {
    "customer": {"name", "aliases", "vatId"},
    "contact": {"firstName", "lastName", "email"},
    "address": {"city", "postalCode"},
}


def fold(text):
    """Text as search terms store it: case-folded, accents removed ("Müller" → "muller", "Straße" → "strasse")."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold().translate(_UNACCENTED))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _words(text):
    """The terms of a text: each folded word and its runs of letters and digits, also in German spelling."""
    terms = set()
    text = unicodedata.normalize("NFC", text).casefold()
    for spelling in {text, text.translate(_GERMAN_SPELLING)}:
        folded = fold(spelling)
        terms.update(folded.split())
        terms.update(re.findall(r"\w+", folded))
    return terms


def _email_terms(email):
    """An email, its domain and each parent domain ("@mail.acme.example": also "acme.example")."""
    email = fold(email)
    domain = email.rpartition("@")[2]
    parts = domain.split(".")
    return {email} | {".".join(parts[i:]) for i in range(len(parts) - 1)}


def _postal_code_terms(postal_code):
    """A postal code whole, by its parts and without spaces or dashes ("EC1A 1BB", "ec1a", "ec1a1bb")."""
    folded = fold(postal_code)
    return {folded, re.sub(r"[\s-]+", "", folded)} | _words(postal_code)


def search_terms(*, name, debtor_ident=None, account_number=None, vat_id=None, aliases=(), contacts=(),
                 addresses=()):
    """The folded terms a customer is found by; `contacts` are (first name, last name, email) and `addresses`
    (city, postal code) tuples."""
    terms = _words(name or "")
    for value in (debtor_ident, account_number, vat_id, *aliases):
        if value:
            terms.add(fold(value))
    for first_name, last_name, email in contacts:
        terms |= _words(first_name or "") | _words(last_name or "")
        if email:
            terms |= _email_terms(email)
    for city, postal_code in addresses:
        terms |= _words(city or "")
        if postal_code:
            terms |= _postal_code_terms(postal_code)
    return {term[:TERM_MAX] for term in terms if term}


def customer_terms(customer):
    """The terms of a customer as it is now, with its aliases, contacts and addresses."""
    return search_terms(
        name=customer.name, debtor_ident=customer.debtor_ident, account_number=customer.account_number,
        vat_id=customer.vat_id, aliases=customer.alias_values,
        contacts=[(c.first_name, c.last_name, c.email) for c in customer.contacts],
        addresses=[(a.city, a.postal_code) for a in customer.addresses])


def index_search_terms(customer, entity=None, changed=None):
    """Replace the customer's search terms after a write; given the `entity` written and the fields it `changed`,
    only when a term comes from one of them. Every service that writes those values calls this."""
    if changed is not None and not SEARCHED_FIELDS[entity] & set(changed):
        return
    db.session.execute(sa.delete(CustomerSearchTerm).where(CustomerSearchTerm.customer_id == customer.id))
    terms = customer_terms(customer)
    if terms:
        db.session.execute(sa.insert(CustomerSearchTerm), [
            {"organization_id": customer.organization_id, "term": t, "customer_id": customer.id} for t in terms])


def query_words(text):
    """The folded words of a search as typed, as many as are used ("@acme.example" looks for the domain)."""
    words = (word.lstrip("@") for word in fold(text).split())
    return [word[:TERM_MAX] for word in words if word][:SEARCH_WORDS_MAX]


def _starts_with(word):
    # A range of terms is a prefix search that an index on the term (after org or customer) answers everywhere.
    return sa.and_(CustomerSearchTerm.term >= word, CustomerSearchTerm.term < word + "\U0010ffff")


def _prefix_match(organization_id, word):
    # A range of the primary key (org, term, customer): the customers with a term starting with the word.
    return sa.select(CustomerSearchTerm.customer_id).where(
        CustomerSearchTerm.organization_id == organization_id, _starts_with(word))


# Each sort's columns; the customer id breaks the last tie. Country and currency sort by name within.
SORTS = {
    "name": (Customer.name,),
    "debtorIdent": (Customer.debtor_ident,),
    "accountNumber": (Customer.account_number,),
    "country": (Customer.country, Customer.name),
    "currency": (Customer.currency, Customer.name),
    "createdAt": (Customer.created_at,),
}
# Counts are exact up to this many customers; above it the overview shows an estimate ("about 37,000").
COUNT_BOUND = 10_000
# An estimate is the share of matches among the organization's first this many customers, times their number.
ESTIMATE_SAMPLE = 2_000


@dataclass
class CustomerFilter:
    """What the overview and the API list: a search, filters and a sort."""

    q: str = ""
    status: str = "active"
    customer_type: str = ""
    country: str = ""
    currency: str = ""
    legal_entity_id: int | None = None
    group: str = ""  # a group's id as text, "none" for customers in no group, "" for any
    alias: str = ""
    sort: str = "name"
    descending: bool = False
    errors: dict = field(default_factory=dict)

    @classmethod
    def from_args(cls, args):
        """Read the filter from query-string arguments; unknown values are dropped, not errors."""
        status = args.get("status", "active")
        sort = args.get("sort", "name")
        descending = sort.startswith("-")
        sort = sort.lstrip("-")
        legal_entity_id = args.get("legalEntityId") or args.get("legal_entity") or ""
        group = str(args.get("groupId") or args.get("group") or "")
        return cls(
            q=rules.search_text(args.get("q"), 200),
            status=status if status in (*STATUSES, "all") else "active",
            customer_type=args.get("type") if args.get("type") in CUSTOMER_TYPES else "",
            country=(args.get("country") or "").upper() if (args.get("country") or "").upper()
            in rules.COUNTRY_CODES else "",
            currency=(args.get("currency") or "").upper() if (args.get("currency") or "").upper()
            in rules.CURRENCY_CODES else "",
            legal_entity_id=rules.whole_number(str(legal_entity_id)) or None,
            group="none" if group == "none" else _id_text(group),
            alias=rules.search_text(args.get("alias"), ALIAS_MAX),
            sort=sort if sort in SORTS else "name",
            descending=descending,
        )

    def as_args(self, **changes):
        """The query-string arguments that reproduce this filter (defaults left out)."""
        values = {
            "q": self.q, "status": self.status if self.status != "active" else "", "type": self.customer_type,
            "country": self.country, "currency": self.currency,
            "legal_entity": self.legal_entity_id or "", "group": self.group,
            "sort": ("-" if self.descending else "") + self.sort if (self.sort, self.descending) != ("name", False)
            else "",
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}

    @property
    def is_filtered(self):
        return self.status != "active" or self.narrowed

    @property
    def narrowed(self):
        """Whether anything but the status filters (the tally counts by status alone)."""
        return bool(query_words(self.q) or self.customer_type or self.country or self.currency
                    or self.legal_entity_id or self.group or self.alias)


def _id_text(raw):
    """An id filter as text ("0" stays, and matches nothing); "" when it is no id."""
    number = rules.whole_number(raw) if raw else None
    return "" if number is None else str(number)


def _term_exists(word):
    # The (customer, term) index answers this for one customer with one seek.
    return sa.exists().where(CustomerSearchTerm.customer_id == Customer.id, _starts_with(word))


def _conditions(organization_id, flt, words):
    """The filter as conditions on one customer; `words` are the search words not already matched by a join."""
    conditions = [Customer.organization_id == organization_id]
    if flt.status != "all":
        conditions.append(Customer.status == flt.status)
    if flt.customer_type:
        conditions.append(Customer.customer_type == flt.customer_type)
    if flt.country:
        conditions.append(Customer.country == flt.country)
    if flt.currency:
        conditions.append(Customer.currency == flt.currency)
    if flt.legal_entity_id:
        conditions.append(Customer.legal_entity_id == flt.legal_entity_id)
    if flt.group == "none":
        conditions.append(Customer.group_id.is_(None))
    elif flt.group:
        conditions.append(Customer.group_id == int(flt.group))
    if flt.alias:
        conditions.append(sa.exists().where(CustomerAlias.customer_id == Customer.id,
                                            CustomerAlias.organization_id == organization_id,
                                            CustomerAlias.alias == flt.alias))
    conditions.extend(_term_exists(word) for word in words)
    return conditions


def filtered_customers(organization_id, flt):
    """The overview's, the CSV export's and the API list's customers, as one select of Customer.

    A search starts from its longest word's terms (a range of the term index, so the query reads the matches, not
    the organization's customers) and checks the other words per match."""
    words = query_words(flt.q)
    query = sa.select(Customer)
    if words:
        driver = max(words, key=len)
        words.remove(driver)
        matched = _prefix_match(organization_id, driver).distinct().subquery("matched")
        query = query.select_from(matched).join(Customer, Customer.id == matched.c.customer_id)
    return query.where(*_conditions(organization_id, flt, words))


# A loose index scan: each step jumps to the next currency in (organization, currency), so the query reads one
# index entry per currency in use, however many customers there are.
_CURRENCIES_IN_USE = sa.text("""
    WITH RECURSIVE used(currency) AS (
        SELECT MIN(currency) FROM customer WHERE organization_id = :organization_id
        UNION ALL
        SELECT (SELECT MIN(c.currency) FROM customer c
                WHERE c.organization_id = :organization_id AND c.currency > used.currency)
        FROM used WHERE used.currency IS NOT NULL
    )
    SELECT currency FROM used WHERE currency IS NOT NULL
""")


def currencies_in_use(organization_id):
    """The billing currencies of the organization's customers (archived ones included), in code order."""
    return list(db.session.scalars(_CURRENCIES_IN_USE, {"organization_id": organization_id}))


def with_primary_email(query):
    """Add the primary contact's email as a second column (one join, no query per row)."""
    return query.outerjoin(Contact, sa.and_(Contact.customer_id == Customer.id, Contact.is_primary)) \
        .add_columns(Contact.email.label("primary_email"))


def sort_columns(flt):
    return (*SORTS[flt.sort], Customer.id)


def ordered(query, flt, reverse=False):
    descending = flt.descending != reverse
    return query.order_by(*(column.desc() if descending else column.asc() for column in sort_columns(flt)))


@dataclass
class Page:
    """One page of the overview: its rows (customer, primary email), where it is, and the total — exact, or an
    estimate above COUNT_BOUND."""

    rows: list
    total: int
    exact: bool
    page: int
    per_page: int
    has_previous: bool
    has_next: bool

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self):
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_index(self):
        return self.first_index + len(self.rows) - 1 if self.rows else 0

    @property
    def first_id(self):
        return self.rows[0][0].id

    @property
    def last_id(self):
        return self.rows[-1][0].id


def count_customers(organization_id, flt):
    """(total, exact): the tally by status when nothing else filters; else counted up to COUNT_BOUND, and above
    it estimated from a sample, rounded to two figures."""
    tally = sa.select(sa.func.coalesce(sa.func.sum(CustomerTally.n), 0)).where(
        CustomerTally.organization_id == organization_id,
        *([CustomerTally.status == flt.status] if flt.status != "all" else []))
    if not flt.narrowed:
        return db.session.scalar(tally), True
    bounded = filtered_customers(organization_id, flt).with_only_columns(Customer.id).limit(COUNT_BOUND + 1)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(bounded.subquery()))
    if total <= COUNT_BOUND:
        return total, True
    status = [Customer.status == flt.status] if flt.status != "all" else []
    sample = sa.select(Customer.id).where(Customer.organization_id == organization_id, *status) \
        .order_by(Customer.id).limit(ESTIMATE_SAMPLE).subquery()
    matches = db.session.scalar(sa.select(sa.func.count()).select_from(Customer).where(
        Customer.id.in_(sa.select(sample.c.id)), *_conditions(organization_id, flt, query_words(flt.q))))
    population = db.session.scalar(tally)
    estimate = population * matches / min(ESTIMATE_SAMPLE, population or 1)
    return max(COUNT_BOUND + 1, int(float(f"{estimate:.2g}"))), False


def _cursor(organization_id, flt, customer_id):
    """The sort values of the customer a Next or Previous link starts from, or None when it is gone."""
    if not customer_id:
        return None
    row = db.session.execute(sa.select(*sort_columns(flt)).where(
        Customer.organization_id == organization_id, Customer.id == customer_id)).first()
    return tuple(row) if row else None


def overview_page(organization_id, flt, page=1, per_page=50, after=None, before=None):
    """One page of the overview. Next and Previous start from the row they were next to (`after`, `before`: a
    customer id) along the sort's index, so a page deep in the list costs what the first does; a page number alone
    is an offset of ids in that index. Rows come in one query for the page's ids."""
    if query_words(flt.q):
        return _search_page(organization_id, flt, page, per_page)
    total, exact = count_customers(organization_id, flt)
    page = min(max(1, page), max(1, -(-total // per_page)))
    ids = filtered_customers(organization_id, flt).with_only_columns(Customer.id)
    cursor = _cursor(organization_id, flt, after or before)
    # The page's ids (and one more, to know whether there is a next page) from the sort's index, then the
    # customers of those ids with their primary email, in one query.
    backwards, extra = False, True
    if cursor is not None:
        backwards = after is None
        columns = sa.tuple_(*sort_columns(flt))
        ahead = (columns < sa.tuple_(*cursor)) if flt.descending != backwards else (columns > sa.tuple_(*cursor))
        ids = ordered(ids.where(ahead), flt, reverse=backwards).limit(per_page + 1)
    else:
        offset = (page - 1) * per_page
        if exact and offset > total // 2:  # nearer the end: from the end, backwards
            ids = ordered(ids, flt, reverse=True).limit(max(0, min(per_page, total - offset))) \
                .offset(max(0, total - offset - per_page))
            extra = False
        else:
            ids = ordered(ids, flt).limit(per_page + 1).offset(offset)
    rows = db.session.execute(ordered(with_primary_email(sa.select(Customer)).where(Customer.id.in_(ids)), flt)).all()
    more = extra and len(rows) > per_page
    if more:
        rows = rows[1:] if backwards else rows[:per_page]
    if cursor is not None:
        if backwards and len(rows) < per_page:  # rows came or went above: start again from the top
            return overview_page(organization_id, flt, 1, per_page)
        has_previous, has_next = (more, True) if backwards else (True, more)
    else:
        has_previous, has_next = page > 1, more or (not extra and (page - 1) * per_page + len(rows) < total)
    if not rows and page > 1:  # past the end of an estimated total
        return overview_page(organization_id, flt, 1, per_page)
    return Page(rows=rows, total=total, exact=exact, page=page, per_page=per_page, has_previous=has_previous,
                has_next=has_next)


def _search_page(organization_id, flt, page, per_page):
    """A search's page: its matches are sorted whatever the page, so one query counts them as well (a window over
    the matches), and the page is an offset."""
    page = max(1, page)
    ids = ordered(filtered_customers(organization_id, flt).with_only_columns(
        Customer.id, sa.func.count().over().label("total")), flt).limit(per_page).offset((page - 1) * per_page) \
        .subquery("page_ids")
    found = db.session.execute(ordered(with_primary_email(sa.select(Customer)).join(ids, ids.c.id == Customer.id)
                                       .add_columns(ids.c.total), flt)).all()
    if not found and page > 1:  # past the end: the last page
        total = db.session.scalar(sa.select(sa.func.count()).select_from(
            filtered_customers(organization_id, flt).with_only_columns(Customer.id).subquery()))
        return _search_page(organization_id, flt, max(1, -(-total // per_page)), per_page) if total else \
            _search_page(organization_id, flt, 1, per_page)
    total = found[0].total if found else 0
    return Page(rows=[(customer, email) for customer, email, _total in found], total=total, exact=True, page=page,
                per_page=per_page, has_previous=page > 1, has_next=page * per_page < total)


def export_rows(organization_id, flt, batch=1000):
    """Every customer of the filter, in the overview's order, streamed in batches."""
    query = ordered(with_primary_email(filtered_customers(organization_id, flt)), flt)
    yield from db.session.execute(query.execution_options(yield_per=batch))
