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
from portal.models import Contact, Customer, CustomerAlias, CustomerSearchTerm
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


def _prefix_match(organization_id, word):
    # A range on the primary key (org, term, customer) is a prefix search that uses the index everywhere.
    return sa.select(CustomerSearchTerm.customer_id).where(
        CustomerSearchTerm.organization_id == organization_id,
        CustomerSearchTerm.term >= word,
        CustomerSearchTerm.term < word + "\U0010ffff",
    )


SORTS = {
    "name": Customer.name,
    "debtorIdent": Customer.debtor_ident,
    "accountNumber": Customer.account_number,
    "country": Customer.country,
    "currency": Customer.currency,
    "createdAt": Customer.created_at,
}


@dataclass
class CustomerFilter:
    """What the overview and the API list: a search, filters and a sort."""

    q: str = ""
    status: str = "active"
    customer_type: str = ""
    country: str = ""
    currency: str = ""
    legal_entity_id: int | None = None
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
        return cls(
            q=rules.search_text(args.get("q"), 200),
            status=status if status in (*STATUSES, "all") else "active",
            customer_type=args.get("type") if args.get("type") in CUSTOMER_TYPES else "",
            country=(args.get("country") or "").upper() if (args.get("country") or "").upper()
            in rules.COUNTRY_CODES else "",
            currency=(args.get("currency") or "").upper() if (args.get("currency") or "").upper()
            in rules.CURRENCY_CODES else "",
            legal_entity_id=rules.whole_number(str(legal_entity_id)) or None,
            alias=rules.search_text(args.get("alias"), ALIAS_MAX),
            sort=sort if sort in SORTS else "name",
            descending=descending,
        )

    def as_args(self, **changes):
        """The query-string arguments that reproduce this filter (defaults left out)."""
        values = {
            "q": self.q, "status": self.status if self.status != "active" else "", "type": self.customer_type,
            "country": self.country, "currency": self.currency,
            "legal_entity": self.legal_entity_id or "",
            "sort": ("-" if self.descending else "") + self.sort if (self.sort, self.descending) != ("name", False)
            else "",
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}

    @property
    def is_filtered(self):
        return bool(self.q or self.status != "active" or self.customer_type or self.country or self.currency
                    or self.legal_entity_id or self.alias)


def filtered_customers(organization_id, flt):
    """The WHERE clause of the overview, the CSV export and the API list, as one select of Customer."""
    query = sa.select(Customer).where(Customer.organization_id == organization_id)
    if flt.status != "all":
        query = query.where(Customer.status == flt.status)
    if flt.customer_type:
        query = query.where(Customer.customer_type == flt.customer_type)
    if flt.country:
        query = query.where(Customer.country == flt.country)
    if flt.currency:
        query = query.where(Customer.currency == flt.currency)
    if flt.legal_entity_id:
        query = query.where(Customer.legal_entity_id == flt.legal_entity_id)
    if flt.alias:
        query = query.where(Customer.id.in_(sa.select(CustomerAlias.customer_id).where(
            CustomerAlias.organization_id == organization_id, CustomerAlias.alias == flt.alias)))
    for word in query_words(flt.q):
        query = query.where(Customer.id.in_(_prefix_match(organization_id, word)))
    return query


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


def ordered(query, flt):
    column = SORTS[flt.sort]
    if flt.descending:
        return query.order_by(column.desc(), Customer.id.desc())
    return query.order_by(column.asc(), Customer.id.asc())


@dataclass
class Page:
    """One page of the overview."""

    rows: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self):
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self):
        return min(self.total, self.page * self.per_page)


def overview_page(organization_id, flt, page, per_page):
    """The rows of one overview page (customer, primary email) and the total: two queries."""
    base = filtered_customers(organization_id, flt)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.with_only_columns(Customer.id)
                                                                      .subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.execute(
        ordered(with_primary_email(base), flt).limit(per_page).offset((page - 1) * per_page)).all()
    return Page(rows=rows, total=total, page=page, per_page=per_page)


def export_rows(organization_id, flt, batch=1000):
    """Every customer of the filter, in the overview's order, streamed in batches."""
    query = ordered(with_primary_email(filtered_customers(organization_id, flt)), flt)
    yield from db.session.execute(query.execution_options(yield_per=batch))
