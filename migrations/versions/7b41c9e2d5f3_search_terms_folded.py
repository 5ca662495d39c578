"""search terms: folded (no accents), and from contacts' names and emails and addresses' cities and postal codes

Revision ID: 7b41c9e2d5f3
Revises: 7d2e5b8c41a3
Create Date: 2027-01-12 10:00:00

Data only: the customer_search_term rows of every existing customer are rebuilt by the rules of this revision
(a frozen copy of portal.services.customer_search.search_terms as it was written with it; a test checks that both
give the same terms). The downgrade rebuilds them by the rules of the revision before.
"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '7b41c9e2d5f3'
down_revision = '7d2e5b8c41a3'
branch_labels = None
depends_on = None

BATCH = 2000
TERM_MAX = 254
_UNACCENTED = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_GERMAN_SPELLING = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})

customer = sa.table("customer", sa.column("id", sa.Integer), sa.column("organization_id", sa.Integer),
                    sa.column("name", sa.String), sa.column("debtor_ident", sa.String),
                    sa.column("account_number", sa.String), sa.column("vat_id", sa.String))
alias = sa.table("customer_alias", sa.column("customer_id", sa.Integer), sa.column("alias", sa.String))
contact = sa.table("contact", sa.column("customer_id", sa.Integer), sa.column("first_name", sa.String),
                   sa.column("last_name", sa.String), sa.column("email", sa.String),
                   sa.column("is_primary", sa.Boolean))
address = sa.table("address", sa.column("customer_id", sa.Integer), sa.column("city", sa.String),
                   sa.column("postal_code", sa.String))
search_term = sa.table("customer_search_term", sa.column("organization_id", sa.Integer),
                       sa.column("term", sa.String), sa.column("customer_id", sa.Integer))


def _fold(text):
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold().translate(_UNACCENTED))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _words(text):
    terms = set()
    text = unicodedata.normalize("NFC", text).casefold()
    for spelling in {text, text.translate(_GERMAN_SPELLING)}:
        folded = _fold(spelling)
        terms.update(folded.split())
        terms.update(re.findall(r"\w+", folded))
    return terms


def _email_terms(email):
    email = _fold(email)
    parts = email.rpartition("@")[2].split(".")
    return {email} | {".".join(parts[i:]) for i in range(len(parts) - 1)}


def _postal_code_terms(postal_code):
    folded = _fold(postal_code)
    return {folded, re.sub(r"[\s-]+", "", folded)} | _words(postal_code)


def terms_now(row, aliases, contacts, addresses):
    """The terms by this revision's rules."""
    terms = _words(row.name or "")
    for value in (row.debtor_ident, row.account_number, row.vat_id, *aliases):
        if value:
            terms.add(_fold(value))
    for first_name, last_name, email, _primary in contacts:
        terms |= _words(first_name or "") | _words(last_name or "")
        if email:
            terms |= _email_terms(email)
    for city, postal_code in addresses:
        terms |= _words(city or "")
        if postal_code:
            terms |= _postal_code_terms(postal_code)
    return {term[:TERM_MAX] for term in terms if term}


def terms_before(row, aliases, contacts, addresses):
    """The terms by the rules of the revision before: lower-cased name words, identifiers, the primary email."""
    terms = set()
    name = (row.name or "").lower()
    terms.update(name.split())
    terms.update(re.findall(r"\w+", name))
    for value in (row.debtor_ident, row.account_number, row.vat_id, *aliases):
        if value:
            terms.add(value.lower())
    email = next((email for _first, _last, email, primary in contacts if primary and email), None)
    if email:
        email = email.lower()
        terms.add(email)
        terms.add(email.split("@")[-1])
    return {term[:TERM_MAX] for term in terms if term}


def _grouped(connection, query, ids):
    grouped = {}
    for row in connection.execute(query.where(query.selected_columns[0].in_(ids))):
        grouped.setdefault(row[0], []).append(tuple(row[1:]) if len(row) > 2 else row[1])
    return grouped


def _insert_terms(connection, values):
    """(organization id, term, customer id) rows, the bulk of the work: COPY on PostgreSQL, else tuples straight
    to the driver's executemany (as the demo seed does)."""
    if not values:
        return
    if connection.dialect.driver == "psycopg":
        with connection.connection.cursor() as cursor, cursor.copy(
                "COPY customer_search_term (organization_id, term, customer_id) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        return
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql("INSERT INTO customer_search_term (organization_id, term, customer_id) "
                               f"VALUES ({marker}, {marker}, {marker})", values)


def rebuild(terms_of):
    """Replace every customer's terms, a batch of customers at a time."""
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        # The term index is written in random order; a larger page cache keeps it in memory (as the demo seed does).
        connection.exec_driver_sql("PRAGMA cache_size=-262144")
    last_id = 0
    while True:
        rows = connection.execute(sa.select(customer).where(customer.c.id > last_id)
                                  .order_by(customer.c.id).limit(BATCH)).all()
        if not rows:
            return
        ids = [row.id for row in rows]
        aliases = _grouped(connection, sa.select(alias.c.customer_id, alias.c.alias), ids)
        contacts = _grouped(connection, sa.select(contact.c.customer_id, contact.c.first_name, contact.c.last_name,
                                                  contact.c.email, contact.c.is_primary), ids)
        addresses = _grouped(connection, sa.select(address.c.customer_id, address.c.city, address.c.postal_code),
                             ids)
        connection.execute(search_term.delete().where(search_term.c.customer_id.in_(ids)))
        values = [(row.organization_id, term, row.id)
                  for row in rows
                  for term in terms_of(row, aliases.get(row.id, []), contacts.get(row.id, []),
                                       addresses.get(row.id, []))]
        _insert_terms(connection, values)
        last_id = ids[-1]


def upgrade():
    rebuild(terms_now)


def downgrade():
    rebuild(terms_before)
