"""The attack suite's world: two organizations full of hostile text, users of every role, and a concrete URL for
every route of the URL map, so that a new route is attacked as soon as it exists (or fails loudly for want of a
sample value)."""
import itertools

import pytest
import sqlalchemy as sa
from werkzeug.routing import AnyConverter

from portal import create_app
from portal.domain.settings_fields import INHERITABLE_FIELDS
from portal.extensions import db
from portal.models import AuditEvent, DocumentTemplate, EmailTemplate, LegalEntity
from portal.services import (
    addresses,
    contacts,
    dunning,
    groups,
    payment_methods,
    properties,
    settings_store,
    tokens,
)
from portal.services import users as user_service
from portal.services.demo import ensure_reference_data

# Markup that would run, load or swap something if it reached the page unescaped.
SCRIPT = '<script>alert("xss")</script>'
IMG = '"><img src=x onerror=alert(1)>'
HTMX = '<div hx-get="/evil" hx-trigger="load">'
HOSTILE = f"{SCRIPT}{IMG}{HTMX}'; DROP TABLE customer; --"
SHORT = '<b hx-get=/evil>'  # for fields of 20 characters

# Routes the suite does not attack as pages: static files and the API (which has its own suite).
SKIPPED_ENDPOINTS = {"static"}


def web_rules(app):
    """Every route of the web layer (not the API), with its methods."""
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint not in SKIPPED_ENDPOINTS and not rule.endpoint.startswith("api.")]


def _collection_app():
    return create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")  # the URL map needs no database


def route_cases(methods=("GET", "POST")):
    """(endpoint, method) pairs of the web layer, for parametrising at collection time."""
    app = _collection_app()
    return sorted({(rule.endpoint, method) for rule in web_rules(app)
                   for method in rule.methods if method in methods})


def id_route_cases():
    """(endpoint, method) pairs of the routes that name a record by id."""
    app = _collection_app()
    return sorted({(rule.endpoint, method) for rule in web_rules(app) for method in rule.methods
                   if method in ("GET", "POST") and any(a.endswith("_id") for a in rule.arguments)})


class Site:
    """Two organizations ("acme" under attack, "rival" the other tenant) with one of everything, named with
    hostile text, and a user of every role."""

    def __init__(self, make):
        self.make = make
        self.org = make.org("acme", name=f"Acme {SCRIPT}")
        ensure_reference_data(self.org, [(f"Acme {IMG} GmbH", "DE", "EUR")])
        self.users = {role: make.user(self.org, role) for role in ("viewer", "manager", "admin")}
        # a user whose set-password link is open (the anonymous set-password page needs a live one)
        self.member, self.link = user_service.add_user(self.org.id, "member@acme.example", f"Member {SCRIPT}"[:200],
                                                       "viewer")
        self.customer = self._hostile_customer(self.org)
        self.imports = {self.org.id: self._import(self.org)}
        self.archived = make.customer(self.org, name=f"Archived {HTMX}")
        self.archived.status = "archived"
        self.rival = make.org("rival")
        ensure_reference_data(self.rival, [("Rival Ltd", "GB", "GBP")])
        self.rival_admin = make.user(self.rival, "admin")
        self.rival_member, _link = user_service.add_user(self.rival.id, "member@rival.example", "Rival member", "viewer")
        self.rival_customer = self._hostile_customer(self.rival)
        self.imports[self.rival.id] = self._import(self.rival)
        db.session.commit()

    def _import(self, organization):
        """A previewed CSV import with hostile text in its file name, headers and cells."""
        from portal.services import imports
        from portal.services.audit import CLI_ACTOR

        import csv
        import io

        buffer = io.StringIO()
        csv.writer(buffer).writerows([["Debtor ID", "Name", "Country", "Billing currency", "Primary contact email", SHORT],
                                      ["H-1", HOSTILE, "DE", "EUR", "h@example.com", "x"],
                                      ["H-2", SCRIPT, "ZZ", "EUR", "bad", "y"]])
        data = buffer.getvalue().encode()
        job = imports.start(organization.id, CLI_ACTOR, f"{SCRIPT}.csv", data)
        imports.set_mapping(job, job.mapping)
        imports.begin_preview(job)
        db.session.commit()
        imports.run_preview(job.id)
        return job.id

    def _hostile_customer(self, organization):
        make = self.make
        customer = make.customer(organization, name=f"Customer {HOSTILE}"[:200], aliases=[f"A-{SHORT}"],
                                 contractorReferences=[f"ref {SCRIPT}"], vatId=None,
                                 invoiceAddress={"line1": f"Weg {IMG}", "line2": HTMX, "city": f"City {SCRIPT}",
                                                 "state": SHORT, "postalCode": SHORT})
        addresses.create_address(customer, {"type": "shipping", "line1": f"Dock {HTMX}", "city": SHORT,
                                            "postalCode": "1", "country": "DE"})
        contacts.create_contact(customer, {"firstName": f"Eve {SCRIPT}", "lastName": IMG,
                                           "email": "eve@example.com", "phone": SHORT,
                                           "emailPreferences": ["billing"]})
        payment_methods.add_payment_method(customer, {"type": "card", "label": f"Card {HTMX}"})
        properties.create_definition(organization.id, {"key": f"tier{organization.id}", "label": f"Tier {SCRIPT}",
                                                        "type": "text"})
        settings_store.update_customer_settings(customer, {"standingPoNumber": f"PO {SHORT}"})
        # a group with hostile text, holding the customer and a value of its own, and a second dunning ladder
        group = groups.create(organization.id, {"name": f"Group {SCRIPT}"[:200], "description": HOSTILE[:2000]})
        groups.move_customers(organization.id, [customer.id], group)
        settings_store.update_group_settings(group, {"term": "Net30"})
        gentle = dunning.create_ladder(organization.id, {"name": f"Ladder {IMG}"[:200]})
        settings_store.update_customer_settings(db.session.get(type(customer), customer.id),
                                                {"dunningLadderId": str(gentle.id)})
        db.session.flush()
        tokens.create_token(organization.id, f"Token {SCRIPT}")
        template = db.session.scalar(sa.select(EmailTemplate).where(EmailTemplate.organization_id == organization.id))
        template.name = f"Mail {SCRIPT}"
        template.body = f"Dear {HOSTILE}"
        document = db.session.scalar(sa.select(DocumentTemplate)
                                     .where(DocumentTemplate.organization_id == organization.id))
        document.name = f"Letter {IMG}"
        db.session.commit()
        return customer

    def ids(self, organization, customer):
        """The sample value of each id-like route argument, for one organization's records."""
        rule = dunning.ladder(dunning.default_ladder_id(organization.id))[0]
        email = db.session.scalar(sa.select(EmailTemplate.id).where(EmailTemplate.organization_id == organization.id))
        document = db.session.scalar(sa.select(DocumentTemplate.id)
                                     .where(DocumentTemplate.organization_id == organization.id))
        definition = properties.definitions(organization.id)[0]
        token = tokens.organization_tokens(organization.id)[0]
        shipping = next(a for a in customer.addresses if not a.is_main)
        # the Activity tab's revert names an event: the customer's standing PO number change (a revertible field)
        event = db.session.scalar(sa.select(AuditEvent.id).where(
            AuditEvent.customer_id == customer.id, AuditEvent.entity == "settings", AuditEvent.action == "update")
            .order_by(AuditEvent.id))
        return {
            "customer_id": customer.id, "address_id": shipping.id, "contact_id": next(c.id for c in customer.contacts if not c.is_primary),
            "method_id": customer.payment_methods[0].id, "rule_id": rule.id, "definition_id": definition.id,
            "email_template_id": email, "document_template_id": document, "token_id": token.id,
            "event_id": event, "user_id": (self.member if organization.id == self.org.id else self.rival_member).id,
            "entity_id": db.session.scalar(sa.select(LegalEntity.id).where(
                LegalEntity.organization_id == organization.id).order_by(LegalEntity.id)),
            "token": self.link, "import_id": self.imports[organization.id],
            "group_id": groups.organization_groups(organization.id)[0].id,
            "ladder_id": next(ladder.id for ladder in dunning.ladders(organization.id)
                              if ladder.id != dunning.default_ladder_id(organization.id)),
        }


# Sample values of a route argument that is not an `any(…)` (whose every option is a sample by itself).
STRING_SAMPLES = {
    "section": ["general", "technical", "tax", "properties"],
    # settings rows: single settings, groups edited together, structured sub-forms
    "name": [f.name for f in INHERITABLE_FIELDS[:3]] + ["standingPoNumber", "autoCollect", "eInvoicing",
                                                        "billingPeriodConfigurations"],
    "filename": ["portal.css"],
    "field": ["standingPoNumber"],  # the field of an event the Activity tab reverts
}


def _id_for(argument, values, ids):
    """The id a route argument names, given the other arguments chosen (kind of card, kind of template)."""
    if argument == "item_id":
        return ids["address_id" if values.get("kind", "addresses") == "addresses" else "contact_id"]
    if argument == "template_id":
        return ids[f"{values['kind']}_template_id"]
    return ids[argument]


def concrete_urls(app, rule, ids, one_each=False):
    """Every URL of `rule` over its samples (`one_each`: just the first combination)."""
    choices = []
    for argument in sorted(rule.arguments, key=lambda a: a not in ("kind",)):
        converter = rule._converters[argument]
        if isinstance(converter, AnyConverter):
            choices.append([(argument, item) for item in converter.items])
        elif argument == "name" and rule.rule.startswith("/organization/"):
            choices.append([(argument, name) for name in [f.name for f in INHERITABLE_FIELDS[:3]]
                            + ["autoCollect", "trackedItemDisplay", "dunningLadderId"]])
        elif argument in STRING_SAMPLES:
            choices.append([(argument, item) for item in STRING_SAMPLES[argument]])
        elif argument.endswith("_id") or argument == "token":
            choices.append([(argument, None)])
        else:
            pytest.fail(f"No sample for <{argument}> of {rule.rule}: add one to tests/security/conftest.py")
    urls = []
    adapter = app.url_map.bind("localhost")
    for combination in itertools.product(*choices):
        values = dict(combination)
        # "kind" is chosen first, so that ids can follow it
        for argument, value in list(values.items()):
            if value is None:
                values[argument] = _id_for(argument, values, ids)
        if "/addresses/" in rule.rule and "item_id" in values:
            values["item_id"] = ids["address_id"]
        if "/contacts/" in rule.rule and "item_id" in values:
            values["item_id"] = ids["contact_id"]
        urls.append(adapter.build(rule.endpoint, values))
        if one_each:
            break
    return urls


def rule_of(app, endpoint, method):
    return next(rule for rule in web_rules(app) if rule.endpoint == endpoint and method in rule.methods)


@pytest.fixture
def site(make):
    return Site(make)


@pytest.fixture
def sign_in(app, site):
    """A fresh client signed in as `role` of acme (or "rival" for the other tenant's admin)."""
    from tests.conftest import Auth

    def signed_in(role):
        auth = Auth(app.test_client())
        auth.login(site.rival_admin if role == "rival" else site.users[role])
        return auth

    return signed_in


def snapshot():
    """Every row of every table, to show that a refused request changed nothing."""
    db.session.rollback()
    return {table.name: sorted(map(repr, db.session.execute(table.select()).all()))
            for table in db.metadata.sorted_tables if table.name not in ("user_session",)}
