"""Customers: the rules of their fields, creation and changes."""
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload

from portal.domain import validation as rules
from portal.domain.validation import Errors, ValidationFailed
from portal.extensions import db
from portal.models import (
    Address,
    Contact,
    Customer,
    CustomerAlias,
    CustomerSearchTerm,
    CustomerSettings,
    LegalEntity,
    Organization,
)
from portal.models.base import utcnow
from portal.models.customer import CUSTOMER_TYPES, STATUSES
from portal.services import audit
from portal.services.customer_search import index_search_terms, search_terms
from portal.services.groups import group_id_of

ALIAS_MAX = 128
DEBTOR_IDENT_MAX = 64


def load_customer(organization_id, customer_id, for_update=False):
    """The organization's customer with its parts, or 404; `for_update` locks its row until the transaction ends,
    so that edits of one customer (its sections, cards, settings, search terms) run one after another."""
    if rules.whole_number(customer_id) is None:
        abort(404, "No such customer.")
    # Its parts load when first used, one query each (what a select-in load of one customer costs too), so a tab or
    # a section reads only the parts it shows.
    query = sa.select(Customer).where(Customer.organization_id == organization_id, Customer.id == customer_id)
    if for_update:
        # Not joined: PostgreSQL re-reads only the locked row after a concurrent commit, so parts read in the same
        # statement could be from before it; read after the lock, each in a statement of its own, they are current.
        query = query.with_for_update(of=Customer)
    else:
        query = query.options(joinedload(Customer.settings))
    return db.first_or_404(query, description="No such customer.")


# --- rules shared by the New customer form, the API and later edits -------------------------------

def check_aliases_free(organization_id, aliases, customer_id=None):
    """Raise ValueError naming the first alias another customer of the organization already has."""
    if not aliases:
        return aliases
    query = sa.select(CustomerAlias.alias).where(
        CustomerAlias.organization_id == organization_id, CustomerAlias.alias.in_(aliases))
    if customer_id is not None:
        query = query.where(CustomerAlias.customer_id != customer_id)
    taken = db.session.scalars(query).first()
    if taken:
        raise ValueError(f"Alias '{taken}' already belongs to another customer.")
    return aliases


def check_debtor_ident_free(organization_id, debtor_ident):
    if debtor_ident and db.session.scalar(sa.select(Customer.id).where(
            Customer.organization_id == organization_id, Customer.debtor_ident == debtor_ident)):
        raise ValueError(f"Debtor ident '{debtor_ident}' is already taken.")
    return debtor_ident


ARCHIVED_LEGAL_ENTITY = "This legal entity is archived; choose an active one."


def legal_entity(organization_id, value, current_id=None):
    """The id of one of the organization's legal entities, or None; an archived one only if the customer has it
    already (`current_id`)."""
    if value in (None, ""):
        return None
    entity_id = rules.whole_number(value if isinstance(value, int) else str(value))
    row = db.session.execute(sa.select(LegalEntity.id, LegalEntity.archived_at).where(
        LegalEntity.id == entity_id, LegalEntity.organization_id == organization_id)).first() \
        if entity_id is not None else None
    if row is None:
        raise ValueError("Choose one of your legal entities.")
    if row.archived_at is not None and entity_id != current_id:
        raise ValueError(ARCHIVED_LEGAL_ENTITY)
    return entity_id


def clean_address(data, errors, prefix, required_country=None):
    """The fields of Invoice address 1 of a new customer, each checked by the one address rule (it may be left out
    altogether, but an address given has its first line); errors go under `prefix.field`."""
    data = data or {}
    cleaned = {field: errors.check(f"{prefix}.{field}", rules.text, data.get(field), limit)
               for field, limit in rules.ADDRESS_TEXT_LIMITS.items()}
    if f"{prefix}.line1" not in errors:
        errors.check(f"{prefix}.line1", rules.address_complete, cleaned, may_be_empty=True)
    country = data.get("country") or required_country
    cleaned["country"] = errors.check(f"{prefix}.country", rules.country, country)
    return cleaned


ARCHIVED_READ_ONLY = "Archived customers are read-only; restore the customer first."


def require_active(customer):
    """Archived customers keep everything but change nothing until restored."""
    if customer.status == "archived":
        raise ValidationFailed({"status": ARCHIVED_READ_ONLY})


def _vat_rule(organization_id, value, data):
    return rules.vat_id(value, data.get("country"))


def _aliases_rule(organization_id, value, data, customer_id=None):
    aliases = rules.string_list(value, ALIAS_MAX, "Aliases")
    return check_aliases_free(organization_id, aliases, customer_id)


# One rule per customer field: (organization_id, value, the other input) -> cleaned value, or ValueError.
CUSTOMER_FIELD_RULES = {
    "name": lambda org, v, d: rules.required_text(v, 200, "Name"),
    "customerType": lambda org, v, d: rules.choice(v, CUSTOMER_TYPES, "Customer type"),
    "language": lambda org, v, d: rules.language(v),
    "country": lambda org, v, d: rules.country(v),
    "currency": lambda org, v, d: rules.currency(v),
    "legalEntityId": lambda org, v, d: legal_entity(org, v),
    "groupId": lambda org, v, d: group_id_of(org, v),
    "vatId": _vat_rule,
    "taxCountry": lambda org, v, d: rules.country(v or None, required=False),
    "taxId": lambda org, v, d: rules.text(v, 64),
    "taxRate": lambda org, v, d: rules.tax_rate(v),
    "contractorReferences": lambda org, v, d: rules.string_list(v, 128, "Contractor references"),
    "aliases": _aliases_rule,
    "status": lambda org, v, d: rules.choice(v, STATUSES, "Status"),
}
CUSTOMER_COLUMNS = {
    "name": "name", "customerType": "customer_type", "language": "language", "country": "country",
    "currency": "currency", "legalEntityId": "legal_entity_id", "groupId": "group_id", "vatId": "vat_id",
    "taxCountry": "tax_country", "taxId": "tax_id", "taxRate": "tax_rate", "contractorReferences": "contractor_references",
    "status": "status",
}
NEW_CUSTOMER_DEFAULTS = {"customerType": "B2B", "language": "en"}


def clean_new_customer(organization_id, data, debtor_ident_known_free=False):
    """Check a new customer (API name names); return the cleaned values or raise ValidationFailed.
    `debtor_ident_known_free`: the caller has looked the debtor ident up already (an import, a chunk at a time)."""
    errors = Errors()
    data = {**data}
    for name, default in NEW_CUSTOMER_DEFAULTS.items():
        data[name] = data.get(name) or default
    cleaned = {}
    for name, rule in CUSTOMER_FIELD_RULES.items():
        if name != "status":
            cleaned[name] = errors.check(name, rule, organization_id, data.get(name), {**data, **cleaned})
    cleaned["aliases"] = cleaned["aliases"] or []
    cleaned["contractorReferences"] = cleaned["contractorReferences"] or []
    debtor_ident = errors.check("debtorIdent", rules.identifier, data.get("debtorIdent"), DEBTOR_IDENT_MAX,
                                "Debtor ident")
    cleaned["debtorIdent"] = debtor_ident if debtor_ident_known_free else errors.check(
        "debtorIdent", check_debtor_ident_free, organization_id, debtor_ident)

    contact = data.get("primaryContact") or {}
    if not isinstance(contact, dict):
        errors["primaryContact"] = "Must be an object with firstName, lastName and email."
        contact = {}
    cleaned["primaryContact"] = {
        "firstName": errors.check("primaryContact.firstName", rules.text, contact.get("firstName"), 100),
        "lastName": errors.check("primaryContact.lastName", rules.text, contact.get("lastName"), 100),
        "email": errors.check("primaryContact.email", rules.email, contact.get("email")),
    }
    address = data.get("invoiceAddress")
    if address is not None and not isinstance(address, dict):
        errors["invoiceAddress"] = "Must be an object."
        address = None
    cleaned["invoiceAddress"] = clean_address(address, errors, "invoiceAddress", cleaned["country"])
    errors.raise_if_any()
    return cleaned


def touch(customer):
    """Mark the customer changed when one of its parts changed (aliases, addresses, contacts, properties): its row
    is written, so its version and updatedAt move and every ETag of its representation changes."""
    customer.updated_at = utcnow()


def clean_customer_changes(customer, changes):
    """Check changed customer fields (API names) by the shared rules; return them cleaned or raise
    ValidationFailed. Nothing is written."""
    errors = Errors()
    unknown = set(changes) - set(CUSTOMER_FIELD_RULES)
    for name in sorted(unknown):
        errors[name] = "Unknown or read-only name."
    if customer.status == "archived" and set(changes) - {"status"} and changes.get("status") != "active":
        errors["status"] = ARCHIVED_READ_ONLY
    errors.raise_if_any()
    current = {**customer_summary(customer), **changes}
    cleaned = {}
    for name, value in changes.items():
        if name == "aliases":
            cleaned[name] = errors.check(name, _aliases_rule, customer.organization_id, value, current,
                                          customer.id)
        elif name == "legalEntityId":  # the one it has stays allowed after it was archived
            cleaned[name] = errors.check(name, legal_entity, customer.organization_id, value,
                                          customer.legal_entity_id)
        else:
            cleaned[name] = errors.check(name, CUSTOMER_FIELD_RULES[name], customer.organization_id, value,
                                          current)
    if "country" in changes and "vatId" not in changes and customer.vat_id:
        errors.check("vatId", _vat_rule, customer.organization_id, customer.vat_id, current)
    errors.raise_if_any()
    return cleaned


def apply_customer_changes(customer, cleaned):
    """Write checked changes (what clean_customer_changes returned); audit; return the name diff."""
    before = customer_summary(customer)
    for name, value in cleaned.items():
        if name == "aliases":
            keep = {a.alias: a for a in customer.aliases}
            customer.aliases = [keep.get(a) or CustomerAlias(organization_id=customer.organization_id, alias=a)
                                for a in (value or [])]
        elif name == "contractorReferences":
            customer.contractor_references = value or []
        else:
            setattr(customer, CUSTOMER_COLUMNS[name], value)
    changed = audit.diff(before, customer_summary(customer))
    if changed:
        touch(customer)
        db.session.flush()
        index_search_terms(customer, "customer", changed)
        action = {"archived": "archive", "active": "restore"}.get(changed.get("status", [None, None])[1], "update")
        audit.record(customer.organization_id, "customer", customer.id, action, changed, customer_id=customer.id)
    return changed


def update_customer(customer, changes):
    """Apply changed customer fields (API names) by the shared rules; audit; return the name diff."""
    return apply_customer_changes(customer, clean_customer_changes(customer, changes))


# --- creation ---------------------------------------------------------------------------------------

def next_account_sequence(organization_id, count=1):
    """Reserve `count` account numbers of the organization atomically; return the first."""
    last = db.session.execute(
        sa.update(Organization).where(Organization.id == organization_id)
        .values(account_sequence=Organization.account_sequence + count)
        .returning(Organization.account_sequence)
    ).scalar_one()
    return last - count + 1


def account_number_for(sequence):
    return f"{100000 + sequence}"


def generated_debtor_ident(sequence):
    return f"CUST-{sequence:06d}"


def create_customer(organization_id, data):
    """Create a customer with Invoice address 1, the primary contact, its settings row and an audit event."""
    cleaned = clean_new_customer(organization_id, data)
    [customer_id] = insert_customers(prepare_customers(organization_id, [cleaned]))
    return db.session.get(Customer, customer_id)


def create_customers(organization_id, rows):
    """Create customers from cleaned input (what clean_new_customer returns); their ids in the order of `rows`."""
    return insert_customers(prepare_customers(organization_id, rows))


def _debtor_idents(organization_id, rows, first_sequence):
    """(debtor ident, account sequence) per cleaned row: the given ident, or CUST-<sequence>; a generated ident
    that another customer (or a row) has already gets the next free sequence."""
    sequences = list(range(first_sequence, first_sequence + len(rows)))
    idents = [row["debtorIdent"] or generated_debtor_ident(seq) for row, seq in zip(rows, sequences)]
    given = {row["debtorIdent"] for row in rows if row["debtorIdent"]}
    while True:
        generated = {ident for ident, row in zip(idents, rows) if not row["debtorIdent"]}
        taken = set(db.session.scalars(sa.select(Customer.debtor_ident).where(
            Customer.organization_id == organization_id, Customer.debtor_ident.in_(generated)))) if generated \
            else set()
        clashes = [i for i, (ident, row) in enumerate(zip(idents, rows))
                   if not row["debtorIdent"] and (ident in taken or ident in given)]
        if not clashes:
            return list(zip(idents, sequences))
        more = next_account_sequence(organization_id, len(clashes))
        for offset, index in enumerate(clashes):
            sequences[index] = more + offset
            idents[index] = generated_debtor_ident(more + offset)


@dataclass
class PreparedCustomers:
    """New customers as the rows their tables get, everything but their ids worked out (numbers reserved, search
    terms folded, audit summaries made), so that writing them is a few statements."""

    organization_id: int
    customers: list  # customer table rows
    addresses: list  # per customer: its rows without customer_id
    contacts: list
    aliases: list
    terms: list  # per customer: its search terms
    summaries: list  # per customer: what its "create" audit event records


def prepare_customers(organization_id, rows):
    """Work out new customers from cleaned input: account numbers and debtor idents (reserved now), the rows of
    every table, search terms and audit summaries."""
    numbered = _debtor_idents(organization_id, rows, next_account_sequence(organization_id, len(rows))) if rows \
        else []
    prepared = PreparedCustomers(organization_id, [], [], [], [], [], [])
    for row, (debtor_ident, sequence) in zip(rows, numbered):
        customer = {
            "organization_id": organization_id, "debtor_ident": debtor_ident,
            "account_number": account_number_for(sequence), "name": row["name"],
            "customer_type": row["customerType"], "language": row["language"], "country": row["country"],
            "currency": row["currency"], "legal_entity_id": row["legalEntityId"], "group_id": row.get("groupId"),
            "vat_id": row["vatId"],
            "tax_country": row["taxCountry"], "tax_id": row["taxId"], "tax_rate": row["taxRate"],
            "contractor_references": row["contractorReferences"], "status": "active"}
        address, contact = row["invoiceAddress"], row["primaryContact"]
        address_row = {"type": "invoice", "is_main": True, "line1": address["line1"] or "",
                       "line2": address["line2"] or "", "city": address["city"] or "", "state": address["state"] or "",
                       "postal_code": address["postalCode"] or "", "country": address["country"]}
        contact_row = {"first_name": contact["firstName"] or "", "last_name": contact["lastName"] or "",
                       "email": contact["email"], "email_preferences": ["billing", "updates", "legal"],
                       "is_primary": True}
        prepared.customers.append(customer)
        prepared.addresses.append([address_row])
        prepared.contacts.append([contact_row])
        prepared.aliases.append([{"organization_id": organization_id, "alias": a} for a in row["aliases"]])
        prepared.terms.append(search_terms(
            name=customer["name"], debtor_ident=debtor_ident, account_number=customer["account_number"],
            vat_id=customer["vat_id"], aliases=row["aliases"],
            contacts=[(contact_row["first_name"], contact_row["last_name"], contact_row["email"])],
            addresses=[(address_row["city"], address_row["postal_code"])]))
        summary = _summary(customer.get, row["aliases"], contact_row["email"])
        prepared.summaries.append({k: [None, v] for k, v in summary.items() if v not in (None, "", [])})
    return prepared


def _insert_in_statements(table, rows):
    """INSERT rows a thousand to a statement: asking for a column back makes SQLAlchemy batch an executemany into
    multi-row statements ("insertmanyvalues"). The settings tally's triggers on PostgreSQL run once a statement;
    once a row, an import's 50,000 updates of one tally row in one transaction took minutes."""
    db.session.execute(sa.insert(table).returning(*table.primary_key.columns), rows).all()


def insert_customers(prepared):
    """Write prepared customers: a statement per table for all of them; the "create" audit events. Their ids."""
    if not prepared.customers:
        return []
    # A few multi-row statements, then the ids by debtor ident (unique in the organization): RETURNING in parameter
    # order would run row by row on SQLite.
    _insert_in_statements(Customer.__table__, prepared.customers)
    idents = [customer["debtor_ident"] for customer in prepared.customers]
    by_ident = dict(db.session.execute(sa.select(Customer.debtor_ident, Customer.id).where(
        Customer.organization_id == prepared.organization_id, Customer.debtor_ident.in_(idents))).all())
    ids = [by_ident[ident] for ident in idents]

    def with_ids(parts):
        return [{"customer_id": customer_id, **part} for customer_id, rows in zip(ids, parts) for part in rows]

    db.session.execute(sa.insert(Address.__table__), with_ids(prepared.addresses))
    db.session.execute(sa.insert(Contact.__table__), with_ids(prepared.contacts))
    aliases = with_ids(prepared.aliases)
    if aliases:
        db.session.execute(sa.insert(CustomerAlias.__table__), aliases)
    _insert_in_statements(CustomerSettings.__table__, [{"customer_id": customer_id} for customer_id in ids])
    terms = [{"organization_id": prepared.organization_id, "term": term, "customer_id": customer_id}
             for customer_id, customer_terms_ in zip(ids, prepared.terms) for term in customer_terms_]
    if terms:
        db.session.execute(sa.insert(CustomerSearchTerm.__table__), terms)
    audit.record_many([
        dict(organization_id=prepared.organization_id, entity="customer", entity_id=customer_id, action="create",
             changes=summary, customer_id=customer_id) for customer_id, summary in zip(ids, prepared.summaries)])
    return ids


# customer_summary's fields that are plain columns (API name → column), in the audit trail's order
SUMMARY_COLUMNS = {"name": "name", "debtorIdent": "debtor_ident", "accountNumber": "account_number",
                   "customerType": "customer_type", "language": "language", "country": "country",
                   "currency": "currency", "legalEntityId": "legal_entity_id", "groupId": "group_id",
                   "vatId": "vat_id", "taxCountry": "tax_country", "taxId": "tax_id", "taxRate": "tax_rate"}


def _summary(column, aliases, primary_email):
    """customer_summary's dict from a column getter, the aliases and the primary contact's email."""
    summary = {name: column(name_of) for name, name_of in SUMMARY_COLUMNS.items()}
    summary.update(contractorReferences=list(column("contractor_references") or []), aliases=list(aliases),
                   status=column("status"), primaryEmail=primary_email)
    return summary


def customer_summary(customer):
    """The customer's own fields, as the audit trail records them."""
    return _summary(lambda column: getattr(customer, column), customer.alias_values,
                    customer.primary_contact.email if customer.primary_contact else None)
