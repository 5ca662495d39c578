"""Customer search: the search-term index, the overview's filter and sort, pages and the export's rows."""
import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from portal.domain import validation as rules
from portal.extensions import db
from portal.models import Contact, Customer, CustomerAlias, CustomerSearchTerm
from portal.models.customer import CUSTOMER_TYPES, STATUSES

ALIAS_MAX = 128
SEARCH_WORDS_MAX = 6

def search_terms(name, debtor_ident, account_number, email, aliases, vat_id):
    """The lower-cased words a customer is found by: name words, identifiers, email, aliases, VAT id."""
    terms = set()
    name = (name or "").lower()
    terms.update(name.split())
    terms.update(re.findall(r"\w+", name))
    for value in (debtor_ident, account_number, vat_id, *(aliases or [])):
        if value:
            terms.add(value.lower())
    if email:
        email = email.lower()
        terms.add(email)
        terms.add(email.split("@")[-1])
    return {t[:254] for t in terms if t}


def index_search_terms(customer):
    """Replace the customer's search terms after a change of any field they come from."""
    db.session.execute(sa.delete(CustomerSearchTerm).where(CustomerSearchTerm.customer_id == customer.id))
    primary = customer.primary_contact
    terms = search_terms(customer.name, customer.debtor_ident, customer.account_number,
                         primary.email if primary else None, customer.alias_values, customer.vat_id)
    if terms:
        db.session.execute(sa.insert(CustomerSearchTerm), [
            {"organization_id": customer.organization_id, "term": t, "customer_id": customer.id} for t in terms])


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
    for word in flt.q.lower().split()[:SEARCH_WORDS_MAX]:
        query = query.where(Customer.id.in_(_prefix_match(organization_id, word)))
    return query


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
