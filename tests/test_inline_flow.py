"""The contract of the one inline-edit flow, for every editable thing: read, form, 422 keeps the input, 409 only
on a field someone else changed, a save of another field succeeds, a post without what it read is refused, the
plain-form variant, and viewers get 403.

The cases are parametrised over the registered entries: an entry without a case here fails the first test, so a
new editable thing is covered by adding its case, not by writing its tests again."""
from dataclasses import dataclass
from typing import Callable

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import DocumentTemplate, EmailTemplate
from portal.services import (
    addresses,
    contacts,
    customers,
    dunning,
    groups,
    legal_entities,
    properties,
    settings_store,
)
from portal.services.demo import ensure_reference_data
from portal.web.inline import ENTRIES, Entry
from tests.html_forms import forms_in, post_form
from tests.test_detail import html


@dataclass
class Case:
    """One editable thing: where its form is, a field to change, what someone else does, a bad value."""

    entry: str  # blueprint.entry name
    role: str
    edit_url: Callable  # (world) -> URL of the form
    field: str  # a form field (as posted) and two values for it
    mine: str
    theirs: Callable  # (world) -> None: someone else changes `field` to `their_value` through a service
    their_value: str
    stored: Callable  # (world) -> the field's saved value, as text
    invalid: tuple  # (field, value, message)
    other_url: Callable = None  # the form of another field (the same form when None)
    other_field: str = ""
    other_value: str = ""
    other_stored: Callable = None
    before: Callable = None  # (world) -> None: what is saved before the form is opened


class World:
    """An organization with a customer, property definitions, dunning rules and templates."""

    def __init__(self, make):
        self.org = make.org("acme")
        ensure_reference_data(self.org, [("Acme GmbH", "DE", "EUR")])
        self.customer = make.customer(self.org, name="Flow GmbH", invoiceAddress={"line1": "Weg 1", "city": "Berlin"})
        properties.create_definition(self.org.id, {"key": "tier", "label": "Tier", "type": "text"})
        properties.create_definition(self.org.id, {"key": "seats", "label": "Seats", "type": "number"})
        db.session.commit()
        self.ladder = dunning.default_ladder(self.org.id)
        self.rule = dunning.ladder(self.ladder.id)[0]
        self.group = groups.create(self.org.id, {"name": "Public sector", "description": "Authorities"})
        db.session.commit()
        self.email = db.session.scalars(sa.select(EmailTemplate).order_by(EmailTemplate.id)).first()
        self.document = db.session.scalars(sa.select(DocumentTemplate).order_by(DocumentTemplate.id)).first()
        self.definition = next(d for d in properties.definitions(self.org.id) if d.key == "tier")
        self.entity = legal_entities.organization_entities(self.org.id)[0]

    def fresh(self, record):
        db.session.expire_all()
        return db.session.get(type(record), record.id)

    @property
    def address(self):
        return self.customer.addresses[0]

    @property
    def contact(self):
        return self.customer.contacts[0]

    def setting(self, name):
        return settings_store.resolve_customer(self.fresh(self.customer))[name].value

    def org_setting(self, name):
        return settings_store.organization_layer(self.org.id).get(name)

    def group_setting(self, name):
        return settings_store.group_layer(self.fresh(self.group)).get(name)

    def own_term(self, term):
        """The customer's own payment term, so that its picker shows a number of days."""
        settings_store.update_customer_settings(self.customer, {"term": term})
        db.session.commit()


def c(w):
    return f"/customers/{w.customer.id}"


CASES = [
    Case("customers.section", "manager", lambda w: f"{c(w)}/sections/general/edit", "name", "Mine GmbH",
         lambda w: customers.update_customer(w.customer, {"name": "Their GmbH"}), "Their GmbH",
         lambda w: w.fresh(w.customer).name, ("name", "", "Name is required."),
         other_field="currency", other_value="CHF", other_stored=lambda w: w.fresh(w.customer).currency),
    Case("customers.section", "manager", lambda w: f"{c(w)}/sections/technical/edit", "aliases", "a-1\nmine",
         lambda w: customers.update_customer(w.customer, {"aliases": ["theirs"]}), "theirs",
         lambda w: "\n".join(w.fresh(w.customer).alias_values), ("aliases", "dup\ndup", "is listed twice"),
         other_field="language", other_value="fr", other_stored=lambda w: w.fresh(w.customer).language),
    Case("customers.section", "manager", lambda w: f"{c(w)}/sections/tax/edit", "tax_rate", "19.00",
         lambda w: customers.update_customer(w.customer, {"taxRate": "7"}), "7.00",
         lambda w: f"{w.fresh(w.customer).tax_rate:.2f}", ("tax_rate", "101", "Enter a number from 0.00 to 100.00."),
         other_field="tax_id", other_value="12/345", other_stored=lambda w: w.fresh(w.customer).tax_id),
    Case("customers.section", "manager", lambda w: f"{c(w)}/sections/properties/edit", "p_tier", "Gold",
         lambda w: properties.set_values(w.customer, {"tier": "Silver"}), "Silver",
         lambda w: properties.values_of(w.fresh(w.customer)).get(w.definition.id, ""),
         ("p_seats", "many", "Enter a number."),
         other_field="p_seats", other_value="12",
         other_stored=lambda w: next(v for k, v in properties.values_of(w.fresh(w.customer)).items()
                                     if k != w.definition.id and v)),
    Case("customers.address", "manager", lambda w: f"{c(w)}/addresses/{w.address.id}/edit", "city", "Potsdam",
         lambda w: addresses.update_address(w.address, {"city": "Hamburg"}), "Hamburg",
         lambda w: w.fresh(w.address).city, ("country", "", "Country is required."),
         other_field="line2", other_value="Hof 2", other_stored=lambda w: w.fresh(w.address).line2),
    Case("customers.contact", "manager", lambda w: f"{c(w)}/contacts/{w.contact.id}/edit", "phone", "+49 1",
         lambda w: contacts.update_contact(w.contact, {"phone": "+49 2"}), "+49 2",
         lambda w: w.fresh(w.contact).phone, ("email", "nope", "Not a valid email address"),
         other_field="first_name", other_value="Grace", other_stored=lambda w: w.fresh(w.contact).first_name),
    Case("customers.setting", "manager", lambda w: f"{c(w)}/settings/customerGracePeriod/edit",
         "customerGracePeriod", "7",
         lambda w: settings_store.update_customer_settings(w.customer, {"customerGracePeriod": 30}), "30",
         lambda w: str(w.setting("customerGracePeriod")), ("customerGracePeriod", "-3", "A whole number of days"),
         other_url=lambda w: f"{c(w)}/settings/rollUpTaxes/edit", other_field="rollUpTaxes", other_value="true",
         other_stored=lambda w: str(w.setting("rollUpTaxes")).lower()),
    # a group of settings edited together: another field of the same form is saved without undoing theirs
    Case("customers.setting", "manager", lambda w: f"{c(w)}/settings/eInvoicing/edit",
         "eInvoiceBuyerReference", "04011000-MINE",
         lambda w: settings_store.update_customer_settings(w.customer, {"eInvoiceBuyerReference": "991-THEIRS"}),
         "991-THEIRS", lambda w: w.setting("eInvoiceBuyerReference"),
         ("eInvoiceBuyerReference", "x" * 47, "At most 46 characters."),
         other_field="peppolParticipantId", other_value="0088:4000001000005",
         other_stored=lambda w: w.setting("peppolParticipantId")),
    Case("customers.setting", "manager", lambda w: f"{c(w)}/settings/term/edit", "term-days", "7",
         lambda w: settings_store.update_customer_settings(w.customer, {"term": "Net30"}), "30",
         lambda w: w.setting("term").removeprefix("Net"), ("term-days", "999", "from 0 to 365"),
         other_url=lambda w: f"{c(w)}/settings/rollUpTaxes/edit", other_field="rollUpTaxes", other_value="true",
         other_stored=lambda w: str(w.setting("rollUpTaxes")).lower(), before=lambda w: w.own_term("Net14")),
    Case("admin.setting", "admin", lambda w: "/organization/settings/customerGracePeriod/edit",
         "customerGracePeriod", "21",
         lambda w: settings_store.update_organization_settings(w.org.id, {"customerGracePeriod": 45}), "45",
         lambda w: str(w.org_setting("customerGracePeriod")), ("customerGracePeriod", "soon", "A whole number"),
         other_url=lambda w: "/organization/settings/rollUpDiscounts/edit", other_field="rollUpDiscounts",
         other_value="true", other_stored=lambda w: str(w.org_setting("rollUpDiscounts")).lower()),
    Case("admin.group_setting", "admin", lambda w: f"/organization/groups/{w.group.id}/settings/customerGracePeriod/edit",
         "customerGracePeriod", "21",
         lambda w: settings_store.update_group_settings(w.group, {"customerGracePeriod": 45}), "45",
         lambda w: str(w.group_setting("customerGracePeriod")), ("customerGracePeriod", "soon", "A whole number"),
         other_url=lambda w: f"/organization/groups/{w.group.id}/settings/rollUpDiscounts/edit",
         other_field="rollUpDiscounts", other_value="true",
         other_stored=lambda w: str(w.group_setting("rollUpDiscounts")).lower()),
    Case("admin.group", "admin", lambda w: f"/organization/groups/{w.group.id}/edit",
         "group-{group}-name", "Mine",
         lambda w: groups.update(w.group, {"name": "Theirs"}), "Theirs", lambda w: w.fresh(w.group).name,
         ("group-{group}-name", "", "Name is required."),
         other_field="group-{group}-description", other_value="Schools and councils",
         other_stored=lambda w: w.fresh(w.group).description),
    Case("admin.ladder", "admin", lambda w: f"/organization/dunning/ladders/{w.ladder.id}/edit",
         "ladder-{ladder}-name", "Mine",
         lambda w: dunning.rename_ladder(w.ladder, {"name": "Theirs"}), "Theirs", lambda w: w.fresh(w.ladder).name,
         ("ladder-{ladder}-name", "", "Name is required."), other_field=None),
    Case("admin.rule", "admin", lambda w: f"/organization/dunning/{w.rule.id}/edit",
         "rule-{rule}-days_overdue", "9",
         lambda w: dunning.update_rule(w.rule, {**_rule_api(w.rule), "daysOverdue": 11}), "11",
         lambda w: str(w.fresh(w.rule).days_overdue), ("rule-{rule}-days_overdue", "0", "above 0"),
         other_field="rule-{rule}-due_in_days", other_value="12",
         other_stored=lambda w: str(w.fresh(w.rule).due_in_days)),
    Case("admin.template", "admin", lambda w: f"/organization/templates/email/{w.email.id}/edit",
         "email-{email}-subject", "Mine",
         lambda w: dunning.save_template(type(w.email), w.org.id, {"name": w.email.name, "subject": "Theirs",
                                                                   "body": w.email.body}, w.email), "Theirs",
         lambda w: w.fresh(w.email).subject, ("email-{email}-body", "{{nope}}", "Unknown placeholder"),
         other_field="email-{email}-name", other_value="Renamed", other_stored=lambda w: w.fresh(w.email).name),
    Case("admin.template", "admin", lambda w: f"/organization/templates/document/{w.document.id}/edit",
         "document-{document}-description", "Mine",
         lambda w: dunning.save_template(type(w.document), w.org.id, {"name": w.document.name,
                                                                      "description": "Theirs"}, w.document),
         "Theirs", lambda w: w.fresh(w.document).description, ("document-{document}-name", "", "Name is required."),
         other_field="document-{document}-name", other_value="Renamed",
         other_stored=lambda w: w.fresh(w.document).name),
    Case("admin.definition", "admin", lambda w: f"/organization/properties/{w.definition.id}/edit",
         "definition-{definition}-label", "Mine",
         lambda w: properties.update_definition(w.definition, {"key": w.definition.key, "label": "Theirs",
                                                               "type": "text"}),
         "Theirs", lambda w: w.fresh(w.definition).label,
         ("definition-{definition}-key", "Not A Key", "Lower-case letters"),
         other_field="definition-{definition}-key", other_value="tier_2",
         other_stored=lambda w: w.fresh(w.definition).key),
    Case("admin.legal_entity", "admin", lambda w: f"/organization/legal-entities/{w.entity.id}/edit",
         "entity-{entity}-name", "Mine GmbH",
         lambda w: legal_entities.update(w.entity, {"name": "Theirs GmbH", "country": "DE", "currency": "EUR"}),
         "Theirs GmbH", lambda w: w.fresh(w.entity).name,
         ("entity-{entity}-country", "", "Country is required."),
         other_field="entity-{entity}-currency", other_value="CHF",
         other_stored=lambda w: w.fresh(w.entity).currency),
]


def _rule_api(rule):
    return {"type": rule.type, "daysOverdue": rule.days_overdue, "dueInDays": rule.due_in_days,
            "emailTemplate": rule.email_template_id, "documentTemplate": rule.document_template_id,
            "amountInCents": rule.amount_in_cents, "attachOriginalInvoice": rule.attach_original_invoice,
            "sendLetter": rule.send_letter, "isEnabled": rule.is_enabled}


@pytest.fixture
def world(make):
    return World(make)


def names(world, case):
    """The case's field names with the records' ids filled in."""
    ids = {"rule": world.rule.id, "email": world.email.id, "document": world.document.id,
           "definition": world.definition.id, "entity": world.entity.id, "group": world.group.id,
           "ladder": world.ladder.id}
    return (case.field.format(**ids), case.other_field.format(**ids) if case.other_field is not None else None,
            case.invalid[0].format(**ids))


def sign_in(auth, make, world, role):
    auth.login(make.user(world.org, role, email=f"{role}-{make._n}@flow.test"))
    return auth


def test_every_editable_thing_has_a_case(app):
    registered = {f"{bp}.{entry.name}" for bp, entry in ENTRIES if isinstance(entry, Entry)}
    assert registered == {case.entry for case in CASES}


@pytest.fixture(params=range(len(CASES)), ids=[f"{case.entry}-{i}" for i, case in enumerate(CASES)])
def flow(request, auth, make, world):
    case = CASES[request.param]
    if case.before:
        case.before(world)
    return case, sign_in(auth, make, world, case.role), world


def test_read_and_form_carry_what_they_read(flow):
    case, user, world = flow
    response = user.get(case.edit_url(world), htmx=True)
    assert response.status_code == 200 and "<html" not in html(response)
    form = post_form(html(response))
    assert form.read_state
    read = user.get(form.action.split("?")[0], htmx=True)  # the save URL answers GET with the read view
    assert read.status_code == 200 and "data-cancel" not in html(read)


def test_save_applies_and_answers_the_read_view(flow):
    case, user, world = flow
    field, _other, _invalid = names(world, case)
    response = user.save(case.edit_url(world), {field: case.mine})
    assert response.status_code == 200, html(response)
    assert "data-cancel" not in html(response)  # the read view, not the form
    assert case.stored(world) == case.mine


def test_invalid_input_is_422_with_every_typed_value_kept(flow):
    case, user, world = flow
    field, _other, invalid = names(world, case)
    response = user.save(case.edit_url(world), {field: case.mine, invalid: case.invalid[1]})
    assert response.status_code == 422
    body = html(response)
    assert case.invalid[2] in body and 'aria-invalid="true"' in body
    form = post_form(body)
    assert form.get(invalid) == case.invalid[1] and (field == invalid or form.get(field) == case.mine)
    assert case.stored(world) != case.mine


def test_a_field_changed_by_someone_else_is_409_with_both_values(flow):
    case, user, world = flow
    field, _other, _invalid = names(world, case)
    form = user.open_form(case.edit_url(world))
    case.theirs(world)
    db.session.commit()
    response = user.submit(form, {field: case.mine})
    assert response.status_code == 409
    body = html(response)
    assert "Now saved" in body and case.their_value.split("\n")[-1] in body and case.mine.split("\n")[-1] in body
    assert case.stored(world) == case.their_value
    again = user.submit(post_form(body))  # from the conflict view, the user's value is applied knowingly
    assert again.status_code == 200 and case.stored(world) == case.mine


def test_a_save_of_another_field_succeeds_and_keeps_theirs(flow):
    case, user, world = flow
    field, other, _invalid = names(world, case)
    form = user.open_form((case.other_url or case.edit_url)(world))
    if other is None:  # a form of one field (a ladder's name): there is no other field to save beside theirs
        assert [name for name, _value in form.fields if not name.endswith(("csrf_token", "read_state"))] == [field]
        return
    case.theirs(world)
    db.session.commit()
    response = user.submit(form, {other: case.other_value})
    assert response.status_code == 200, html(response)
    assert case.other_stored(world) == case.other_value and case.stored(world) == case.their_value


def test_a_post_without_what_it_read_is_refused(flow):
    case, user, world = flow
    field, _other, _invalid = names(world, case)
    response = user.submit(user.open_form(case.edit_url(world)), {field: case.mine}, drop=("read_state",))
    assert response.status_code == 409 and "did not say what it showed" in html(response)
    assert case.stored(world) != case.mine


def test_without_javascript_the_form_is_a_page_and_a_save_redirects(flow):
    case, user, world = flow
    field, _other, _invalid = names(world, case)
    page = user.get(case.edit_url(world))
    assert page.status_code == 200 and "<html" in html(page)
    form = next(f for f in forms_in(html(page)) if f.read_state is not None and "data-cancel" in f.attrs)
    response = user.submit(form, {field: case.mine}, htmx=False)
    assert response.status_code == 302 and case.stored(world) == case.mine


def test_viewers_get_403(auth, make, world):
    viewer = sign_in(auth, make, world, "viewer")
    for case in CASES:
        url = case.edit_url(world).split("?")[0]
        assert viewer.get(url, htmx=True).status_code == 403, url
        assert viewer.post(url.removesuffix("/edit"), {"read_state": "{}"}, htmx=True).status_code == 403, url


# --- adding: every list that takes new things through a form ---------------------------------------------------

@dataclass
class NewCase:
    """A list new things are added to: its empty form, valid input, and one bad value with its message."""

    entry: str
    role: str
    new_url: Callable  # (world) -> URL of the empty form
    valid: dict
    invalid: tuple  # (field, value, message)
    count: Callable  # (world) -> how many there are


def _count(model, **where):
    return lambda w: db.session.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**where))


NEW_CASES = [
    NewCase("customers.address", "manager", lambda w: f"{c(w)}/addresses/new?type=shipping",
            {"name": "Dock", "line1": "Kai 4", "city": "Hamburg"}, ("postal_code", "1" * 21, "At most 20 characters"),
            lambda w: len(w.fresh(w.customer).addresses)),
    NewCase("customers.contact", "manager", lambda w: f"{c(w)}/contacts/new",
            {"first_name": "Grace", "email": "grace@flow.example"}, ("email", "nope", "Not a valid email address"),
            lambda w: len(w.fresh(w.customer).contacts)),
    NewCase("customers.payment_method", "manager", lambda w: f"{c(w)}/payment-methods/new",
            {"type": "card", "label": "Visa •••• 4242"}, ("label", "4242424242424242", "never a full card"),
            lambda w: len(w.fresh(w.customer).payment_methods)),
    NewCase("admin.rule", "admin", lambda w: "/organization/dunning/new",
            {"new-rule-days_overdue": "20", "new-rule-email_template": "{email}"},
            ("new-rule-days_overdue", "-1", "above 0"), lambda w: len(dunning.ladder(w.ladder.id))),
    NewCase("admin.ladder", "admin", lambda w: "/organization/dunning/ladders/new", {"new-ladder-name": "Gentle"},
            ("new-ladder-name", "", "Name is required."), lambda w: len(dunning.ladders(w.org.id))),
    NewCase("admin.group", "admin", lambda w: "/organization/groups/new", {"new-name": "Enterprise"},
            ("new-name", "", "Name is required."), lambda w: len(groups.organization_groups(w.org.id))),
    NewCase("admin.template", "admin", lambda w: "/organization/templates/email/new",
            {"new-email-name": "Friendly", "new-email-subject": "Hello {{customer_name}}"},
            ("new-email-subject", "", "Subject is required."), _count(EmailTemplate)),
    NewCase("admin.template", "admin", lambda w: "/organization/templates/document/new",
            {"new-document-name": "Letter"}, ("new-document-name", "", "Name is required."), _count(DocumentTemplate)),
    NewCase("admin.definition", "admin", lambda w: "/organization/properties/new",
            {"new-key": "region", "new-label": "Region"}, ("new-key", "Region!", "Lower-case letters"),
            lambda w: len(properties.definitions(w.org.id))),
    NewCase("admin.legal_entity", "admin", lambda w: "/organization/legal-entities/new",
            {"new-name": "Acme Ltd", "new-country": "GB", "new-currency": "GBP"},
            ("new-currency", "", "Currency is required."),
            lambda w: len(legal_entities.organization_entities(w.org.id))),
]


def test_every_list_that_adds_has_a_case(app):
    from portal.web.inline import Addable

    assert {f"{bp}.{entry.name}" for bp, entry in ENTRIES if isinstance(entry, Addable)} == \
        {case.entry for case in NEW_CASES}


@pytest.fixture(params=range(len(NEW_CASES)), ids=[f"{case.entry}-{i}" for i, case in enumerate(NEW_CASES)])
def adding(request, auth, make, world):
    case = NEW_CASES[request.param]
    return case, sign_in(auth, make, world, case.role), world


def _valid(case, world):
    return {name: value.format(email=world.email.id) for name, value in case.valid.items()}


def test_adding_keeps_the_input_on_422_and_then_adds(adding):
    case, user, world = adding
    before = case.count(world)
    form = user.open_form(case.new_url(world))
    field, value, message = case.invalid
    refused = user.submit(form, {**_valid(case, world), field: value})
    assert refused.status_code == 422 and message in html(refused)
    kept = post_form(html(refused))
    assert kept.get(field) == value
    assert all(kept.get(name) == typed for name, typed in _valid(case, world).items() if name != field)
    assert case.count(world) == before
    added = user.submit(kept, {**_valid(case, world)} if field in case.valid else {field: form.get(field) or ""})
    assert added.status_code == 200, html(added)
    assert case.count(world) == before + 1


def test_adding_without_javascript_redirects(adding):
    case, user, world = adding
    before = case.count(world)
    page = user.get(case.new_url(world))
    assert page.status_code == 200 and "<html" in html(page)
    collection = case.new_url(world).split("/new")[0]
    form = next(f for f in forms_in(html(page)) if f.action == collection)
    response = user.submit(form, _valid(case, world), htmx=False)
    assert response.status_code == 302 and case.count(world) == before + 1


def test_viewers_cannot_add(auth, make, world):
    viewer = sign_in(auth, make, world, "viewer")
    for case in NEW_CASES:
        url = case.new_url(world).split("?")[0]
        assert viewer.get(url, htmx=True).status_code == 403, url
        assert viewer.post(url.removesuffix("/new"), case.valid, htmx=True).status_code == 403, url


# --- found by attacking the flow -------------------------------------------------------------------------------

def test_a_read_state_that_does_not_name_a_changed_field_is_refused(auth, make, world):
    user = sign_in(auth, make, world, "manager")
    form = user.open_form(f"{c(world)}/sections/general/edit")
    for forged in ("{}", '{"x": "y"}', "[" * 1000 + "]" * 1000):
        response = user.submit(form, {"name": "Blind GmbH", "read_state": forged})
        assert response.status_code == 409 and "did not say what it showed" in html(response)
    assert world.fresh(world.customer).name == "Flow GmbH"


def test_blank_lines_and_indentation_in_a_message_body_are_a_change(auth, make, world):
    user = sign_in(auth, make, world, "admin")
    body = "Dear {{customer_name}},\r\n\r\n    Please pay.\r\n\r\nKind regards"
    response = user.save(f"/organization/templates/email/{world.email.id}/edit", {f"email-{world.email.id}-body": body})
    assert response.status_code == 200 and "Nothing to save" not in html(response)
    assert world.fresh(world.email).body.replace("\r\n", "\n") == body.replace("\r\n", "\n")


@pytest.mark.parametrize("url, field, value, message", [
    ("{c}/sections/technical/edit", "aliases", "A\x00B", "Use one line of text: no line breaks, tabs or other control characters."),
    ("{c}/sections/technical/edit", "contractor_references", "A\x1bB", "Use one line of text: no line breaks, tabs or other control characters."),
    ("{c}/settings/standingPoNumber/edit", "standingPoNumber", "PO\x00 1", "Use one line of text: no line breaks, tabs or other control characters."),
    # a structured setting's value posted whole (as its Reset button does), not through its inputs
    ("{c}/settings/term/edit", "term", "Net٣", "Enter a whole number of days from 0 to 365."),
    ("{c}/settings/trackedItemDisplay/edit", "trackedItemDisplay", "[" * 1000 + "]" * 1000, "Not a value this setting takes."),
    ("{c}/settings/billingPeriodConfigurations/edit", "billingPeriodConfigurations",
     '[{"type": "SpecifiedDate", "rule": "Prompt", "interval": "Monthly", "day": "٣"}]', "Enter a day from 1 to 31."),
    ("{c}/sections/properties/edit", "p_seats", "1E+999999999", "Enter a number below"),
    ("{c}/sections/properties/edit", "p_seats", "9" * 400, "At most 30 characters."),
])
def test_hostile_values_are_422_at_the_field(auth, make, world, url, field, value, message):
    user = sign_in(auth, make, world, "manager")
    response = user.save(url.format(c=c(world)), {field: value})
    assert response.status_code == 422 and message in html(response)


@pytest.mark.parametrize("fee, message", [("1e30", "The fee is a whole number above 0"),
                                          ("1E+40", "The fee is a whole number above 0"),
                                          ("9999999999999999999999999999.99", "without a decimal point"),
                                          ("2147483648", "That amount is too large."),
                                          ("9" * 400, "That amount is too large."),
                                          ("21474836.48", "without a decimal point")])
def test_a_huge_fee_is_422(auth, make, world, fee, message):
    user = sign_in(auth, make, world, "admin")
    rule = world.rule
    response = user.save(f"/organization/dunning/{rule.id}/edit", {f"rule-{rule.id}-fee": fee})
    assert response.status_code == 422 and message in html(response)


@pytest.mark.parametrize("query", ["invoice_date=9999-12-31", "invoice_date=1899-12-31", "amount=1e30",
                                   "amount=" + "9" * 40])
def test_the_timeline_answers_any_typed_date_or_amount_with_a_message(auth, make, world, query):
    user = sign_in(auth, make, world, "manager")
    timeline = user.get(f"{c(world)}/dunning-timeline?{query}", htmx=True, **{"HX-Target": "timeline"})
    assert timeline.status_code == 422 and 'class="error"' in html(timeline)
    assert user.get(f"{c(world)}/settings?{query}").status_code == 200
    form = user.open_form(f"{c(world)}/settings/standingPoNumber/edit")
    saved = user.post(f"{form.action}?{query}", {**{k: v[0] for k, v in form.data().items()}, "standingPoNumber": "PO-9"},
                      htmx=True)  # a save whose out-of-band timeline reads the same arguments
    assert saved.status_code == 200 and world.setting("standingPoNumber") == "PO-9"
