"""Demo data: organizations, users, templates, rules and realistic customers, fast in bulk."""
import random
from datetime import timedelta

import sqlalchemy as sa
from stdnum.iso7064 import mod_11_10

from portal.extensions import db
from portal.models import (
    Address,
    Contact,
    Customer,
    CustomerAlias,
    CustomerGroup,
    CustomerSearchTerm,
    CustomerSettings,
    DocumentTemplate,
    DunningLadder,
    EmailTemplate,
    LegalEntity,
    Organization,
    OrganizationSettings,
    OverdueRule,
    PaymentMethod,
    PropertyDefinition,
    User,
)
from portal.models.base import utcnow
from portal.services import audit
from portal.services.customer_search import search_terms
from portal.services.customers import (
    account_number_for,
    generated_debtor_ident,
    next_account_sequence,
)

DEMO_PASSWORD = "demo-password"
DEMO_ORGS = (
    ("acme", "Acme Billing GmbH", [("Acme Billing GmbH", "DE", "EUR"), ("Acme Billing Ltd", "GB", "GBP"),
                                   ("Acme Billing Inc.", "US", "USD")]),
    ("globex", "Globex Subscriptions AG", [("Globex Subscriptions AG", "CH", "CHF"),
                                           ("Globex Europe B.V.", "NL", "EUR")]),
)
PLACES = {
    "DE": ("EUR", "de", [("Berlin", "10115"), ("München", "80331"), ("Hamburg", "20095"), ("Köln", "50667")],
           ["Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerplatz"]),
    "AT": ("EUR", "de", [("Wien", "1010"), ("Graz", "8010")], ["Ringstraße", "Mariahilfer Straße"]),
    "FR": ("EUR", "fr", [("Paris", "75001"), ("Lyon", "69001")], ["Rue de Rivoli", "Avenue Victor Hugo"]),
    "NL": ("EUR", "nl", [("Amsterdam", "1012"), ("Utrecht", "3511")], ["Damrak", "Oudegracht"]),
    "GB": ("GBP", "en", [("London", "EC1A 1BB"), ("Manchester", "M1 1AE")], ["High Street", "Station Road"]),
    "US": ("USD", "en", [("New York", "10001"), ("Austin", "73301"), ("Seattle", "98101")],
           ["Main Street", "Broadway", "Market Street"]),
    "CH": ("CHF", "de", [("Zürich", "8001"), ("Basel", "4001")], ["Bahnhofstrasse", "Seestrasse"]),
    "ES": ("EUR", "es", [("Madrid", "28001"), ("Barcelona", "08001")], ["Calle Mayor", "Gran Vía"]),
    "SE": ("SEK", "sv", [("Stockholm", "111 20"), ("Göteborg", "411 01")], ["Drottninggatan", "Kungsgatan"]),
    "JP": ("JPY", "ja", [("Tokyo", "100-0001")], ["Chiyoda"]),
}
COMPANY_WORDS = ["Nord", "Süd", "Alpen", "Blue", "River", "Summit", "Nimbus", "Vertex", "Atlas", "Polar",
                 "Quantum", "Harbor", "Cedar", "Falcon", "Orbit", "Granite", "Lumen", "Pioneer", "Zenith", "Maple"]
COMPANY_KINDS = ["Logistics", "Software", "Foods", "Energy", "Media", "Analytics", "Robotics", "Consulting",
                 "Health", "Mobility", "Textiles", "Labs"]
LEGAL_FORMS = {"DE": "GmbH", "AT": "GmbH", "CH": "AG", "FR": "SARL", "NL": "B.V.", "GB": "Ltd", "US": "Inc.",
               "ES": "S.L.", "SE": "AB", "JP": "K.K."}
FIRST_NAMES = ["Anna", "Ben", "Clara", "David", "Elif", "Finn", "Greta", "Hugo", "Ines", "Jonas", "Kira",
               "Luca", "Mia", "Noah", "Olga", "Paul", "Rosa", "Sven", "Tara", "Yusuf"]
LAST_NAMES = ["Müller", "Schmidt", "Dubois", "de Vries", "Smith", "Johnson", "García", "Rossi", "Andersson",
              "Tanaka", "Novak", "Keller", "Weber", "Martin", "Brown"]


def ensure_organization(slug, name):
    organization = db.session.scalar(sa.select(Organization).where(Organization.slug == slug))
    if organization is None:
        organization = Organization(slug=slug, name=name)
        db.session.add(organization)
        db.session.flush()
        db.session.add(OrganizationSettings(organization_id=organization.id))
        audit.record(organization.id, "organization", organization.id, "create",
                     {"name": [None, name], "slug": [None, slug]})
    return organization


def ensure_user(organization, email, role, name, password_hash):
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        user = User(organization_id=organization.id, email=email, role=role, name=name, password_hash=password_hash)
        db.session.add(user)
        db.session.flush()
        audit.record(organization.id, "user", user.id, "create", {"email": [None, email], "role": [None, role]})
    return email


def ensure_reference_data(organization, legal_entities):
    """Legal entities, templates, dunning rules and property definitions, once."""
    org_id = organization.id
    have = set(db.session.scalars(sa.select(LegalEntity.name).where(LegalEntity.organization_id == org_id)))
    for name, country, currency in legal_entities:
        if name not in have:
            db.session.add(LegalEntity(organization_id=org_id, name=name, country=country, currency=currency))
    if not db.session.scalar(sa.select(EmailTemplate.id).where(EmailTemplate.organization_id == org_id)):
        reminder_mail = EmailTemplate(
            organization_id=org_id, name="Friendly payment reminder",
            subject="Reminder: invoice {{invoice_number}} is overdue",
            body="Dear {{customer_name}},\n\nour invoice {{invoice_number}} over {{amount}} was due on "
                 "{{due_date}}. Please pay it by {{new_due_date}}.\n\nKind regards")
        dunning_mail = EmailTemplate(
            organization_id=org_id, name="Dunning notice",
            subject="Dunning notice for invoice {{invoice_number}}",
            body="Dear {{customer_name}},\n\ninvoice {{invoice_number}} over {{amount}} is still unpaid. "
                 "A fee of {{fee}} applies. Please pay by {{new_due_date}}.")
        reminder_doc = DocumentTemplate(organization_id=org_id, name="Reminder letter",
                                        description="One page, original invoice summary")
        dunning_doc = DocumentTemplate(organization_id=org_id, name="Dunning letter",
                                       description="Formal notice with fee statement")
        standard = DunningLadder(organization_id=org_id, name="Standard")
        db.session.add_all([reminder_mail, dunning_mail, reminder_doc, dunning_doc, standard])
        db.session.flush()
        settings_row = db.session.get(OrganizationSettings, org_id)
        if settings_row.dunning_ladder_id is None:
            settings_row.dunning_ladder_id = standard.id
        db.session.add_all([
            OverdueRule(organization_id=org_id, ladder_id=standard.id, level=1, days_overdue=5, due_in_days=7, type="reminder",
                        email_template_id=reminder_mail.id, document_template_id=reminder_doc.id),
            OverdueRule(organization_id=org_id, ladder_id=standard.id, level=2, days_overdue=7, due_in_days=7, type="dunning",
                        email_template_id=dunning_mail.id, document_template_id=dunning_doc.id,
                        amount_in_cents=250),
        ])
    if not db.session.scalar(sa.select(PropertyDefinition.id).where(PropertyDefinition.organization_id == org_id)):
        db.session.add_all([
            PropertyDefinition(organization_id=org_id, key="industry", label="Industry", type="select",
                               options=["Software", "Retail", "Manufacturing", "Services"], position=1),
            PropertyDefinition(organization_id=org_id, key="employees", label="Employees", type="number",
                               position=2),
            PropertyDefinition(organization_id=org_id, key="contract_start", label="Contract start", type="date",
                               position=3),
            PropertyDefinition(organization_id=org_id, key="key_account", label="Key account", type="boolean",
                               position=4),
        ])
    db.session.flush()


def _vat_id(rng, country):
    if country != "DE":
        return None
    body = str(rng.randint(10_000_000, 99_999_999))
    return "DE" + body + mod_11_10.calc_check_digit(body)


DEMO_GROUP = "Enterprise"
DEMO_GROUP_SHARE = 10  # every tenth demo customer is in it


def _customer_rows(rng, organization_id, legal_entities, first_sequence, count, now, group_id=None):
    countries = list(PLACES)
    for n in range(count):
        sequence = first_sequence + n
        country = rng.choice(countries)
        currency, language, cities, streets = PLACES[country]
        customer_type = rng.choices(["B2B", "B2C", "AFFILIATED", "OTHER"], weights=[70, 22, 5, 3])[0]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if customer_type == "B2C":
            name = f"{first} {last}"
        else:
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {LEGAL_FORMS[country]}"
        entity = next((e for e in legal_entities if e.currency == currency), rng.choice(legal_entities))
        city, postal_code = rng.choice(cities)
        domain = name.split()[0].lower().replace("ü", "ue").replace("ö", "oe") + f"{sequence}.example"
        created = now - timedelta(days=rng.randint(0, 1500), minutes=rng.randint(0, 1440))
        yield {
            "customer": {
                "organization_id": organization_id, "debtor_ident": generated_debtor_ident(sequence),
                "account_number": account_number_for(sequence), "name": name, "customer_type": customer_type,
                "language": language, "country": country, "currency": currency, "legal_entity_id": entity.id,
                "group_id": group_id if sequence % DEMO_GROUP_SHARE == 0 else None,
                "vat_id": _vat_id(rng, country) if customer_type == "B2B" else None, "tax_country": country,
                "tax_rate": rng.choice(["0.00", "19.00", "20.00", "7.00"]), "contractor_references": [],
                "status": "archived" if rng.random() < 0.04 else "active", "created_at": created,
                "updated_at": created, "version": 1,
            },
            "address": {"type": "invoice", "is_main": True, "line1": f"{rng.choice(streets)} {rng.randint(1, 120)}",
                        "line2": "", "city": city, "state": "", "postal_code": postal_code, "country": country,
                        "created_at": created, "updated_at": created, "version": 1},
            "contact": {"first_name": first, "last_name": last,
                        "email": f"{first.lower()}.{sequence}@{domain}".replace("ü", "ue"),
                        "phone": f"+{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(10000, 99999)}",
                        "email_preferences": ["billing", "updates", "legal"], "is_primary": True,
                        "created_at": created, "updated_at": created, "version": 1},
            "alias": f"crm-{organization_id}-{sequence}" if rng.random() < 0.5 else None,
            "payment_method": rng.random() < 0.4,
        }


def _insert_plain_rows(connection, table, columns, rows):
    """executemany with tuples straight to the driver: seven terms a customer make this the bulk."""
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    connection.exec_driver_sql(sql, rows)


def ensure_demo_group(organization):
    """The demo's customer group (every tenth demo customer is in it): enterprise accounts pay in 45 days."""
    if not db.session.scalar(sa.select(CustomerGroup.id).where(CustomerGroup.organization_id == organization.id)):
        db.session.add(CustomerGroup(organization_id=organization.id, name=DEMO_GROUP, term="Net45",
                                     description="Large accounts with negotiated payment terms"))
        db.session.flush()


def seed_customers(organization, count, batch_size=5000, seed=None):
    """Top the organization up to `count` customers; return how many were added."""
    existing = db.session.scalar(sa.select(sa.func.count(Customer.id))
                                 .where(Customer.organization_id == organization.id))
    missing = max(0, count - existing)
    if not missing:
        return 0
    legal_entities = db.session.scalars(sa.select(LegalEntity).where(
        LegalEntity.organization_id == organization.id).order_by(LegalEntity.id)).all()
    rng = random.Random(seed if seed is not None else f"{organization.slug}-{existing}")
    if db.engine.dialect.name == "sqlite":
        # The search-term index grows in random order; a larger page cache keeps that in memory.
        db.session.connection().exec_driver_sql("PRAGMA cache_size=-262144")
    first_sequence = next_account_sequence(organization.id, missing)
    now = utcnow()
    group_id = db.session.scalar(sa.select(CustomerGroup.id).where(CustomerGroup.organization_id == organization.id,
                                                                  CustomerGroup.name == DEMO_GROUP))
    rows = list(_customer_rows(rng, organization.id, legal_entities, first_sequence, missing, now, group_id))
    for start in range(0, len(rows), batch_size):
        batch = rows[start:start + batch_size]
        # Core executemany (no RETURNING per row); the ids are then read back in one query.
        connection = db.session.connection()
        connection.execute(Customer.__table__.insert(), [row["customer"] for row in batch])
        numbers = [row["customer"]["account_number"] for row in batch]
        id_by_number = dict(connection.execute(
            sa.select(Customer.account_number, Customer.id).where(
                Customer.organization_id == organization.id, Customer.account_number.in_(numbers))).all())
        ids = [id_by_number[number] for number in numbers]
        addresses, contacts, aliases, settings, methods, terms = [], [], [], [], [], []
        for customer_id, row in zip(ids, batch, strict=True):
            addresses.append({**row["address"], "customer_id": customer_id})
            contacts.append({**row["contact"], "customer_id": customer_id})
            settings.append({"customer_id": customer_id, "version": 1, "updated_at": now})
            alias_list = [row["alias"]] if row["alias"] else []
            aliases.extend({"organization_id": organization.id, "customer_id": customer_id, "alias": a}
                           for a in alias_list)
            if row["payment_method"]:
                methods.append({"customer_id": customer_id, "type": "card", "label": "Visa •••• 4242",
                                "is_default": True, "created_at": now})
            c = row["customer"]
            terms.extend((organization.id, t, customer_id)
                         for t in search_terms(
                             name=c["name"], debtor_ident=c["debtor_ident"], account_number=c["account_number"],
                             vat_id=c["vat_id"], aliases=alias_list,
                             contacts=[(row["contact"]["first_name"], row["contact"]["last_name"],
                                        row["contact"]["email"])],
                             addresses=[(row["address"]["city"], row["address"]["postal_code"])]))
        for model, values in ((Address, addresses), (Contact, contacts), (CustomerSettings, settings),
                              (CustomerAlias, aliases), (PaymentMethod, methods)):
            if values:
                connection.execute(model.__table__.insert(), values)
        _insert_plain_rows(connection, CustomerSearchTerm.__table__, ("organization_id", "term", "customer_id"),
                           terms)
    return missing


def seed_demo(customers=200, organization_slug=None, hash_password=None):
    """The demo organizations (or one existing organization) with their data; return the logins made."""
    logins = []
    if organization_slug:
        organization = db.session.scalar(sa.select(Organization).where(Organization.slug == organization_slug))
        if organization is None:
            raise LookupError(f"No organization with slug '{organization_slug}'.")
        ensure_reference_data(organization, [(organization.name, "DE", "EUR")])
        ensure_demo_group(organization)
        added = seed_customers(organization, customers)
        _record_seed(organization, added)
        return logins, {organization.slug: added}
    password_hash = hash_password(DEMO_PASSWORD)
    added = {}
    for slug, name, legal_entities in DEMO_ORGS:
        organization = ensure_organization(slug, name)
        for role in ("admin", "manager", "viewer"):
            email = f"{role}@{slug}.example"
            ensure_user(organization, email, role, f"{role.capitalize()} {name.split()[0]}", password_hash)
            logins.append((email, DEMO_PASSWORD, role, name))
        ensure_reference_data(organization, legal_entities)
        ensure_demo_group(organization)
        added[slug] = seed_customers(organization, customers)
        _record_seed(organization, added[slug])
    return logins, added


def _record_seed(organization, added):
    # Demo customers are inserted in bulk: one event says how many came, and from where.
    if added:
        audit.record(organization.id, "organization", organization.id, "seed", {"demoCustomersAdded": [None, added]})
