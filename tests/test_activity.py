"""The Activity tab: every event as a sentence in product words, filters by section, person and channel, and a
revert per field change (success, conflict, invalid old value, roles, archived, with htmx and without)."""
import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask_login import login_user

from portal.domain.labels import raw_codes
from portal.extensions import db
from portal.models import AuditEvent, LegalEntity, PropertyDefinition
from portal.services import addresses as address_service
from portal.services import contacts as contact_service
from portal.services import customers as customer_service
from portal.services import payment_methods as payment_service
from portal.services import properties as property_service
from portal.services import settings_store as store
from tests.api.conftest import Api, token_for
from tests.html_forms import forms_in
from tests.html_tree import parse

STATEMENT = {"option": "Detailed", "type": "CustomerAnniversary", "interval": "Monthly",
             "statementActivityType": "OnlyParentActivity"}


# --- reading the tab as a user does -----------------------------------------------------------------------

def sentences(response):
    """Each event's sentence, newest first."""
    return [node.text() for node in parse(response).by_class("event-sentence")]


def events_text(response):
    """Each event's whole text (sentence, fields, who, channel, when, why)."""
    return [node.text() for node in parse(response).by_class("event")]


def activity(auth, customer, **args):
    return auth.get(f"/customers/{customer.id}/activity" + (("?" + "&".join(f"{k}={v}" for k, v in args.items()))
                                                             if args else ""))


def revert_forms(response):
    """The Revert forms of the page, by (event id, field) from their URL."""
    found = {}
    for form in forms_in(response.get_data(as_text=True)):
        match = re.search(r"/activity/(\d+)/revert/([^?]+)", form.action or "")
        if match and "seen" not in dict(form.fields):
            found[(int(match.group(1)), match.group(2))] = form
    return found


def latest_event(customer):
    db.session.rollback()
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.customer_id == customer.id)
                              .order_by(AuditEvent.id.desc())).first()


def event_count(customer):
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.customer_id == customer.id))


@pytest.fixture
def acting_as(app):
    """Changes through the services, as `user` in a request of the portal (the actor the UI records)."""

    @contextmanager
    def acting(user):
        with app.test_request_context():
            login_user(user)
            yield
            db.session.commit()

    return acting


@pytest.fixture
def customer(make, org):
    return make.customer(org, name="Weber Logistik GmbH", aliases=["crm-1"],
                         invoiceAddress={"line1": "Hafenstraße 5", "city": "Hamburg", "postalCode": "20457"})


@pytest.fixture
def anna(make, org):
    """A manager with a name, in New York (times show in her zone)."""
    user = make.user(org, "manager", email="anna@acme.test")
    user.name, user.timezone = "Anna Weber", "America/New_York"
    db.session.commit()
    return user


@pytest.fixture
def as_anna(auth, anna):
    auth.login(anna)
    return auth


# --- sentences ----------------------------------------------------------------------------------------------

def test_a_field_change_reads_as_a_sentence_with_labels_who_channel_and_time(as_anna, anna, customer, acting_as):
    with acting_as(anna):
        store.update_customer_settings(customer, {"term": "Net14"})
    with acting_as(anna):
        store.update_customer_settings(customer, {"term": "Net30"})
    event = latest_event(customer)
    response = activity(as_anna, customer)
    assert response.status_code == 200
    first = parse(response).by_class("event")[0]
    assert first.by_class("event-sentence")[0].text() == \
        "Anna Weber changed Payment term from Net 14 days to Net 30 days"
    assert first.by_class("event-channel")[0].text() == "Portal"
    assert first.by_class("badge")[0].text() == "Billing settings"
    # 2026-…Z shown in America/New_York, as the user reads the clock
    from zoneinfo import ZoneInfo
    local = event.created_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo("America/New_York"))
    assert first.all(lambda n: n.tag == "time").__next__().text() == local.strftime("%Y-%m-%d %H:%M")
    assert "times in America/New_York" in parse(response).by_id("activity-list").text()


def test_every_kind_of_customer_event_reads_in_product_words(as_anna, anna, make, org, customer, acting_as):
    with acting_as(anna):
        customer_service.update_customer(customer, {"customerType": "AFFILIATED", "language": "fr", "taxRate": "7"})
    with acting_as(anna):
        shipping = address_service.create_address(customer, {"type": "shipping", "name": "Warehouse",
                                                             "line1": "Dock 5", "city": "Bremen", "country": "DE"})
    with acting_as(anna):
        address_service.update_address(shipping, {"city": "Kiel"})
    with acting_as(anna):
        contact = contact_service.create_contact(customer, {"firstName": "Bob", "lastName": "Stone",
                                                            "email": "bob@example.com",
                                                            "emailPreferences": ["billing"]})
    with acting_as(anna):
        contact_service.update_contact(contact, {"emailPreferences": ["billing", "legal"], "phone": "+49 40 1"})
    with acting_as(anna):
        contact_service.update_contact(contact, {"isPrimary": True})
    with acting_as(anna):
        visa = payment_service.add_payment_method(customer, {"type": "card", "label": "Visa •••• 4242"})
    with acting_as(anna):
        payment_service.add_payment_method(customer, {"type": "sepa_debit", "label": "SEPA DE89 •••• 3000",
                                                      "isDefault": True})
    with acting_as(anna):
        property_service.create_definition(org.id, {"key": "vip", "label": "VIP customer", "type": "boolean"})
        property_service.create_definition(org.id, {"key": "since", "label": "Customer since", "type": "date"})
    with acting_as(anna):
        property_service.set_values(customer, {"vip": "yes", "since": "2021-03-04"})
    with acting_as(anna):
        address_service.delete_address(shipping)
    with acting_as(anna):
        payment_service.remove_payment_method(customer, visa)
    with acting_as(anna):
        customer_service.update_customer(customer, {"status": "archived"})
    said = sentences(activity(as_anna, customer))
    assert said == [
        "Anna Weber archived the customer",
        "Anna Weber removed the payment method Visa •••• 4242",
        "Anna Weber removed the shipping address “Warehouse”",
        "Anna Weber changed VIP customer and Customer since",
        "Anna Weber added the payment method SEPA DE89 •••• 3000",
        "Anna Weber added the payment method Visa •••• 4242",
        "Anna Weber made Bob Stone the primary contact",
        "Anna Weber moved the primary contact away from Ada Lovelace",
        "Anna Weber changed Phone and Receives of Bob Stone",
        "Anna Weber added the contact Bob Stone",
        "Anna Weber changed City of a removed address from “Bremen” to “Kiel”",
        "Anna Weber added the shipping address “Warehouse”",
        "Anna Weber changed Customer type, Language and Tax rate",
        "The command line added the customer “Weber Logistik GmbH”",
    ]
    text = "\n".join(events_text(activity(as_anna, customer)))
    for words in ("Set Customer since to Mar 4, 2021", "Set VIP customer to Yes",
                  "Changed Receives of Bob Stone: added Legal notices", "Set Phone of Bob Stone to “+49 40 1”",
                  "Changed Customer type from Business (B2B) to Affiliated company",
                  "Changed Language from German to French", "Changed Tax rate from 0.00 % to 7.00 %",
                  "Billing currency: Euro (EUR)", "Country: Germany", "Legal entity: ",  # create lists values
                  "Type: Card", "Label: “Visa •••• 4242”", "Default payment method: On"):
        if words == "Legal entity: ":
            continue  # the factory's customers have none
        assert words in text, words


def test_booleans_ids_money_and_a_removed_payment_method(as_anna, anna, make, org, acting_as):
    customer = make.customer(org, currency="GBP")
    with acting_as(anna):
        visa = payment_service.add_payment_method(customer, {"type": "card", "label": "Visa •••• 4242"})
        master = payment_service.add_payment_method(customer, {"type": "card", "label": "Mastercard •••• 5454"})
    with acting_as(anna):
        store.update_customer_settings(customer, {"defaultPaymentMethodId": str(master.id)})
    with acting_as(anna):
        store.update_customer_settings(customer, {"autoSendDocuments": False, "dunningExempt": True})
    with acting_as(anna):
        store.update_customer_settings(customer, {"rechargeType": "BringBalanceBackTo",
                                                  "rechargeThresholdAmount": "100", "rechargeTargetAmount": "250.5"})
    with acting_as(anna):
        payment_service.remove_payment_method(customer, visa)
    text = "\n".join(events_text(activity(as_anna, customer)))
    assert "changed Default payment method from a removed payment method (Visa •••• 4242) to Mastercard •••• 5454" \
        in text
    assert "Set Auto-send documents to Off (was inherited)" in text
    assert "Set Dunning exempt to On (was inherited)" in text
    assert "Set Recharge threshold to £100.00" in text and "Set Recharge target to £250.50" in text
    assert "Set Recharge type to Bring the balance back to the target" in text
    for raw in ("True", "False", "None", "{", "BringBalanceBackTo", "defaultPaymentMethodId"):
        assert raw not in text, raw


def test_a_legal_entity_is_named_and_a_removed_one_said_so(as_anna, anna, org, customer, acting_as):
    first = db.session.scalar(sa.select(LegalEntity).where(LegalEntity.organization_id == org.id))
    second = LegalEntity(organization_id=org.id, name="Acme Nordic AB", country="SE", currency="SEK")
    db.session.add(second)
    db.session.commit()
    with acting_as(anna):
        customer_service.update_customer(customer, {"legalEntityId": second.id})
    with acting_as(anna):
        customer_service.update_customer(customer, {"legalEntityId": first.id})
    said = sentences(activity(as_anna, customer))
    assert said[0] == f"Anna Weber changed Legal entity from Acme Nordic AB to {first.name}"
    assert said[1] == "Anna Weber set Legal entity to Acme Nordic AB"
    db.session.delete(db.session.get(LegalEntity, second.id))
    db.session.commit()
    said = sentences(activity(as_anna, customer))
    assert said[0] == f"Anna Weber changed Legal entity from a removed legal entity to {first.name}"


def test_structured_settings_say_what_changed_inside_them(as_anna, anna, customer, acting_as):
    with acting_as(anna):
        store.update_customer_settings(customer, {"customerBillingStatementSetting": STATEMENT})
    with acting_as(anna):
        store.update_customer_settings(customer, {"customerBillingStatementSetting": {**STATEMENT,
                                                                                      "interval": "Yearly"}})
    with acting_as(anna):
        store.update_customer_settings(customer, {"billingPeriodConfigurations": [
            {"type": "SpecifiedDate", "rule": "SingleInvoice", "interval": "Monthly", "day": 1}]})
    with acting_as(anna):
        store.update_customer_settings(customer, {"billingPeriodConfigurations": [
            {"type": "SpecifiedDate", "rule": "SingleInvoice", "interval": "Monthly", "day": 15},
            {"type": "SpecifiedDate", "rule": "OneInvoicePerDay", "interval": "Yearly", "day": 1, "month": 3}]})
    with acting_as(anna):
        store.update_customer_settings(customer, {"trackedItemDisplay": {
            "trackedItemDisplayFormat": "SeparatePage", "showTrackedItemName": True}})
    said = sentences(activity(as_anna, customer))
    assert said[:5] == [
        "Anna Weber set Tracked item display to On a separate page; shows Name (was inherited)",
        "Anna Weber changed Billing period configurations: Monthly: Day 1 → 15; added Yearly: On a set day "
        "(day 1, March), One invoice per day",
        "Anna Weber set Billing period configurations to Monthly: On a set day (day 1), "
        "One invoice for all subscriptions",
        "Anna Weber changed Billing statements: Interval Monthly → Yearly",
        "Anna Weber set Billing statements to Detailed, Monthly, On the customer's anniversary, "
        "Parent's activity only (was inherited)",
    ]


def test_lists_say_what_they_gained_and_lost(as_anna, anna, customer, acting_as):
    with acting_as(anna):
        customer_service.update_customer(customer, {"aliases": ["crm-2", "erp-7"]})
    assert sentences(activity(as_anna, customer))[0] == \
        "Anna Weber changed Aliases: added “crm-2”, “erp-7”; removed “crm-1”"


def test_an_api_change_names_its_token_and_reason(as_anna, client, org, customer):
    api = Api(client, token_for(org))
    assert api.patch(f"/customers/{customer.id}", {"taxRate": "19.00"},
                     headers={"X-Audit-Reason": "Nightly CRM sync"}).status_code == 200
    first = parse(activity(as_anna, customer)).by_class("event")[0]
    assert first.by_class("event-sentence")[0].text() == \
        "API token “CRM sync” changed Tax rate from 0.00 % to 19.00 %"
    assert first.by_class("event-channel")[0].text() == "API"
    assert first.by_class("event-reason")[0].text() == "Why: Nightly CRM sync"


def test_no_raw_code_or_python_value_is_shown(as_anna, anna, customer, acting_as):
    with acting_as(anna):
        store.update_customer_settings(customer, {
            "eInvoiceFormat": "xrechnung-ubl", "eInvoiceBuyerReference": "991-01234-56",
            "autoCollectSettingType": "OutstandingBalance", "customerBillingStatementSetting": STATEMENT,
            "customerServiceStartOption": "NoChargesForMissedPeriods", "autoPostDraftInvoice": False})
    with acting_as(anna):
        customer_service.update_customer(customer, {"customerType": "OTHER"})
    text = " ".join(events_text(activity(as_anna, customer)))
    shown = set(re.findall(r"[\w-]+", text))
    assert not (raw_codes() & shown), raw_codes() & shown
    for python in ("True", "False", "None", "{'", "[]"):
        assert python not in text


# --- filters ------------------------------------------------------------------------------------------------

@pytest.fixture
def busy_customer(anna, manager, client, org, customer, acting_as):
    """Changes of every section by two people, the API and the command line."""
    with acting_as(anna):
        store.update_customer_settings(customer, {"term": "Net30"})
    with acting_as(manager):
        contact_service.create_contact(customer, {"firstName": "Bob", "email": "bob@example.com"})
    with acting_as(anna):
        customer_service.update_customer(customer, {"taxRate": "7"})
    Api(client, token_for(org)).patch(f"/customers/{customer.id}", {"taxId": "T-1"})
    return customer


def test_filter_by_section_person_and_channel(as_anna, anna, manager, busy_customer):
    customer = busy_customer
    assert sentences(activity(as_anna, customer, section="settings")) == [
        "Anna Weber set Payment term to Net 30 days (was inherited)"]
    assert sentences(activity(as_anna, customer, section="contacts")) == [
        "Manager of acme added the contact Bob"]
    by_anna = sentences(activity(as_anna, customer, person=f"user:{anna.id}"))
    assert len(by_anna) == 2 and all(s.startswith("Anna Weber") for s in by_anna)
    assert sentences(activity(as_anna, customer, channel="token")) == [
        "API token “CRM sync” set Tax ID to “T-1”"]
    assert sentences(activity(as_anna, customer, channel="cli")) == [
        "The command line added the customer “Weber Logistik GmbH”"]
    both = sentences(activity(as_anna, customer, section="details", person=f"user:{anna.id}"))
    assert both == ["Anna Weber changed Tax rate from 0.00 % to 7.00 %"]


def test_the_filter_form_offers_sections_people_and_channels_and_keeps_the_choice(as_anna, anna, busy_customer):
    response = activity(as_anna, busy_customer, section="settings", channel="user")
    form = next(f for f in forms_in(response.get_data(as_text=True)) if "activity-filters" in f.attrs.get("class", ""))
    assert form.attrs["method"] == "get" and form.attrs["hx-target"] == "#activity-list"
    assert form.attrs["hx-push-url"] == "true"
    assert dict(form.fields) == {"section": "settings", "person": "", "channel": "user"}
    tree = parse(response)
    options = lambda select_id: [o.text() for o in tree.by_id(select_id).all(lambda n: n.tag == "option")]  # noqa
    assert options("activity-section") == ["All sections", "Customer details", "Addresses", "Contacts",
                                           "Payment methods", "Billing settings", "Properties"]
    assert options("activity-person") == ["Everyone", "Anna Weber", "Manager of acme", "API token “CRM sync”"]
    assert options("activity-channel") == ["Every channel", "Portal", "API", "Command line"]


def test_htmx_filtering_swaps_only_the_list(as_anna, busy_customer):
    response = as_anna.get(f"/customers/{busy_customer.id}/activity?section=contacts", htmx=True,
                           **{"HX-Target": "activity-list"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and "activity-filters" not in body
    assert body.lstrip().startswith('<div id="activity-list"')
    assert sentences(response) == ["Manager of acme added the contact Bob"]


def test_an_empty_result_says_so(as_anna, busy_customer):
    response = activity(as_anna, busy_customer, section="properties")
    assert parse(response).by_class("empty-note")[0].text() == "No changes match these filters. Show all changes"
    assert "0 changes match these filters" in parse(response).by_id("activity-list").text()


@pytest.mark.parametrize("args", ["section=nonsense", "person=user:99999999999999999999", "person=admin",
                                  "channel=%3Cscript%3E", "person=user:-1", "page=abc"])
def test_unknown_filter_values_show_everything(as_anna, busy_customer, args):
    response = as_anna.get(f"/customers/{busy_customer.id}/activity?{args}")
    assert response.status_code == 200 and len(sentences(response)) == 5


def test_pagination_keeps_the_filters(app, as_anna, anna, customer, acting_as):
    for n in range(30):
        with acting_as(anna):
            customer_service.update_customer(customer, {"taxRate": str(n + 1)})
    response = activity(as_anna, customer, section="details", person=f"user:{anna.id}")
    older = next(a for a in parse(response).all(lambda n: n.tag == "a") if a.text() == "Older ›")
    assert "section=details" in older.attrs["href"] and f"person=user:{anna.id}" in older.attrs["href"]
    assert older.attrs["hx-target"] == "#activity-list"
    second = as_anna.get(older.attrs["href"])
    assert "Page 2 of 2" in parse(second).text() and len(sentences(second)) == 5


# --- revert -------------------------------------------------------------------------------------------------

@pytest.fixture
def renamed(as_anna, anna, customer, acting_as):
    """Anna changed the payment term and the tax rate: the events to revert."""
    with acting_as(anna):
        store.update_customer_settings(customer, {"term": "Net30"})
    with acting_as(anna):
        customer_service.update_customer(customer, {"taxRate": "7", "taxId": "DE-77"})
    return customer


def test_revert_puts_the_old_value_back_and_writes_an_event_with_the_reason(as_anna, renamed):
    customer = renamed
    original = latest_event(customer)
    forms = revert_forms(activity(as_anna, customer))
    assert set(forms) >= {(original.id, "taxRate"), (original.id, "taxId")}  # a revert per field
    response = as_anna.submit(forms[(original.id, "taxRate")])
    assert response.status_code == 200
    body = parse(response)
    assert body.by_id("activity-list") is not None
    assert "Reverted Tax rate to 0.00 %." in body.by_id("flashes").text()
    db.session.rollback()
    assert str(db.session.get(type(customer), customer.id).tax_rate) == "0.00"
    assert db.session.get(type(customer), customer.id).tax_id == "DE-77"  # the other field of the event stays
    event = latest_event(customer)
    assert event.changes == {"taxRate": ["7.00", "0.00"]} and event.reverts_event_id == original.id
    when = original.created_at.strftime("%Y-%m-%d %H:%M")
    assert event.reason == f"revert of Anna Weber's change of Tax rate on {when} UTC"
    first = parse(activity(as_anna, customer)).by_class("event")[0]
    assert first.by_class("event-sentence")[0].text() == "Anna Weber reverted Tax rate to 0.00 %"
    assert first.by_class("event-reason")[0].text() == f"Why: revert of Anna Weber's change of Tax rate on {when} UTC"
    assert "Now 0.00 % again" in parse(activity(as_anna, customer)).by_id(f"event-{original.id}").text()


def test_revert_of_a_setting_goes_back_to_inherited(as_anna, renamed):
    customer = renamed
    setting_event = [e for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.customer_id == customer.id, AuditEvent.entity == "settings"))][0]
    form = revert_forms(activity(as_anna, customer))[(setting_event.id, "term")]
    assert as_anna.submit(form).status_code == 200
    db.session.rollback()
    assert store.customer_layer(customer_service.load_customer(customer.organization_id, customer.id))["term"] is None
    assert latest_event(customer).changes == {"term": ["Net30", None]}
    assert sentences(activity(as_anna, customer))[0] == "Anna Weber reverted Payment term to inherited"


def test_revert_without_javascript_redirects_back_to_the_tab_with_a_flash(as_anna, renamed):
    customer = renamed
    original = latest_event(customer)
    response = as_anna.submit(revert_forms(activity(as_anna, customer, section="details"))[(original.id, "taxId")],
                              htmx=False)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/customers/{customer.id}/activity?section=details"
    page = as_anna.get(response.headers["Location"])
    assert "Reverted Tax ID to empty." in parse(page).by_id("flashes").text()
    assert sentences(page)[0] == "Anna Weber reverted Tax ID to empty"


def test_revert_refuses_with_the_conflict_view_when_changed_since(as_anna, anna, renamed, acting_as):
    customer = renamed
    original = latest_event(customer)
    form = revert_forms(activity(as_anna, customer))[(original.id, "taxRate")]
    with acting_as(anna):
        customer_service.update_customer(customer, {"taxRate": "19"})  # someone changed it after the event
    before = event_count(customer)
    for htmx in (True, False):
        response = as_anna.submit(form, htmx=htmx)
        assert response.status_code == 409
        problem = parse(response).by_id("revert-problem")
        assert problem.text().startswith("Tax rate changed again after this event, so nothing was reverted.")
        cells = [n.text() for n in problem.all(lambda n: n.tag in ("th", "td"))]
        assert cells == ["Field", "Now saved", "The revert would restore", "Tax rate", "19.00 %", "0.00 %"]
        assert ("<html" in response.get_data(as_text=True)) is not htmx
    assert event_count(customer) == before
    db.session.rollback()
    assert str(db.session.get(type(customer), customer.id).tax_rate) == "19.00"


def test_the_conflict_view_can_restore_knowingly_unless_changed_again(as_anna, anna, renamed, acting_as):
    customer = renamed
    original = latest_event(customer)
    with acting_as(anna):
        customer_service.update_customer(customer, {"taxRate": "19"})
    conflict = as_anna.submit(revert_forms(activity(as_anna, customer))[(original.id, "taxRate")])
    anyway = next(f for f in forms_in(conflict.get_data(as_text=True)) if f.get("seen") is not None)
    with acting_as(anna):
        customer_service.update_customer(customer, {"taxRate": "21"})
    again = as_anna.submit(anyway)
    assert again.status_code == 409 and "21.00 %" in parse(again).by_id("revert-problem").text()
    anyway = next(f for f in forms_in(again.get_data(as_text=True)) if f.get("seen") is not None)
    assert as_anna.submit(anyway).status_code == 200
    db.session.rollback()
    assert str(db.session.get(type(customer), customer.id).tax_rate) == "0.00"
    assert latest_event(customer).changes == {"taxRate": ["21.00", "0.00"]}


def test_an_old_value_that_breaks_a_rule_now_shows_the_message_and_stores_nothing(as_anna, anna, make, org,
                                                                                    customer, acting_as):
    with acting_as(anna):
        customer_service.update_customer(customer, {"aliases": ["crm-2"]})
    original = latest_event(customer)
    make.customer(org, aliases=["crm-1"])  # someone else has the old alias now
    before = event_count(customer)
    form = revert_forms(activity(as_anna, customer))[(original.id, "aliases")]
    for htmx in (True, False):
        response = as_anna.submit(form, htmx=htmx)
        assert response.status_code == 422
        assert parse(response).by_id("revert-problem").text() == \
            "Aliases cannot go back to “crm-1”: Alias 'crm-1' already belongs to another customer."
    assert event_count(customer) == before
    db.session.rollback()
    assert db.session.get(type(customer), customer.id).alias_values == ["crm-2"]


def test_a_removed_payment_method_cannot_become_the_default_again(as_anna, anna, customer, acting_as):
    with acting_as(anna):
        visa = payment_service.add_payment_method(customer, {"type": "card", "label": "Visa •••• 4242"})
        master = payment_service.add_payment_method(customer, {"type": "card", "label": "Mastercard •••• 5454"})
    with acting_as(anna):
        store.update_customer_settings(customer, {"defaultPaymentMethodId": str(master.id)})
    original = latest_event(customer)
    with acting_as(anna):
        payment_service.remove_payment_method(customer, visa)
    before = event_count(customer)
    response = as_anna.submit(revert_forms(activity(as_anna, customer))[(original.id, "defaultPaymentMethodId")])
    assert response.status_code == 422
    assert parse(response).by_id("revert-problem").text() == (
        "Default payment method cannot go back to a removed payment method (Visa •••• 4242): "
        "Choose one of this customer's payment methods.")
    assert event_count(customer) == before


def test_contact_address_and_property_fields_revert_through_their_services(as_anna, anna, org, customer,
                                                                            acting_as):
    contact = customer.primary_contact
    main = customer.addresses[0]
    with acting_as(anna):
        property_service.create_definition(org.id, {"key": "tier", "label": "Tier", "type": "select",
                                                    "options": ["Gold", "Silver"]})
        property_service.set_values(customer, {"tier": "Gold"})
    with acting_as(anna):
        property_service.set_values(customer, {"tier": "Silver"})
    with acting_as(anna):
        contact_service.update_contact(contact, {"email": "ada.new@example.com"})
    with acting_as(anna):
        address_service.update_address(main, {"city": "Lübeck"})
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.customer_id == customer.id)
                                .order_by(AuditEvent.id.desc())).all()
    address_event, contact_event, property_event = events[0], events[1], events[2]
    for event, name in ((address_event, "city"), (contact_event, "email"), (property_event, "tier")):
        form = revert_forms(activity(as_anna, customer))[(event.id, name)]
        assert as_anna.submit(form).status_code == 200, name
    db.session.rollback()
    reloaded = customer_service.load_customer(org.id, customer.id)
    assert reloaded.addresses[0].city == "Hamburg" and reloaded.primary_contact.email == contact.email
    assert property_service.values_of(reloaded)[db.session.scalar(sa.select(PropertyDefinition.id))] == "Gold"
    said = sentences(activity(as_anna, customer))
    assert said[:3] == ["Anna Weber reverted Tier to “Gold”", "Anna Weber reverted Email of Ada Lovelace to "
                        f"“{contact.email}”", "Anna Weber reverted City of Invoice address 1 to “Hamburg”"]


def test_what_cannot_be_reverted_has_no_button_and_answers_404(as_anna, anna, customer, acting_as):
    with acting_as(anna):
        contact = contact_service.create_contact(customer, {"firstName": "Bob", "email": "bob@example.com"})
    with acting_as(anna):
        contact_service.update_contact(contact, {"isPrimary": True})
    forms = revert_forms(activity(as_anna, customer))
    assert forms == {}  # creations and the primary flag are not field changes to revert
    create = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "create",
                                                           AuditEvent.customer_id == customer.id))
    for url in (f"/customers/{customer.id}/activity/{create.id}/revert/name",
                f"/customers/{customer.id}/activity/{latest_event(customer).id}/revert/isPrimary",
                f"/customers/{customer.id}/activity/{latest_event(customer).id}/revert/nonsense",
                f"/customers/{customer.id}/activity/99999/revert/name"):
        assert as_anna.post(url).status_code == 404, url


def test_an_already_reverted_field_says_so_and_writes_nothing(as_anna, renamed):
    customer = renamed
    original = latest_event(customer)
    form = revert_forms(activity(as_anna, customer))[(original.id, "taxRate")]
    assert as_anna.submit(form).status_code == 200
    before = event_count(customer)
    response = as_anna.submit(form)  # the same button again (a second tab, a double click)
    assert response.status_code == 200
    assert "Tax rate is 0.00 % already; nothing to revert." in parse(response).by_id("flashes").text()
    assert event_count(customer) == before


def test_a_revert_can_be_reverted_and_says_so(as_anna, renamed):
    customer = renamed
    original = latest_event(customer)
    assert as_anna.submit(revert_forms(activity(as_anna, customer))[(original.id, "taxRate")]).status_code == 200
    the_revert = latest_event(customer)
    assert as_anna.submit(revert_forms(activity(as_anna, customer))[(the_revert.id, "taxRate")]).status_code == 200
    again = latest_event(customer)
    assert again.changes == {"taxRate": ["0.00", "7.00"]} and again.reverts_event_id == the_revert.id
    assert again.reason.startswith("revert of Anna Weber's revert of Tax rate on ")


def test_viewers_see_no_revert_button_and_get_403(app, make, org, renamed):
    from tests.conftest import Auth

    customer = renamed
    original = latest_event(customer)
    auth = Auth(app.test_client())
    auth.login(make.user(org, "viewer"))
    assert revert_forms(activity(auth, customer)) == {}
    before = event_count(customer)
    assert auth.post(f"/customers/{customer.id}/activity/{original.id}/revert/taxRate").status_code == 403
    assert event_count(customer) == before


def test_archived_customers_cannot_be_reverted(as_anna, anna, renamed, acting_as):
    customer = renamed
    original = latest_event(customer)
    form = revert_forms(activity(as_anna, customer))[(original.id, "taxRate")]
    with acting_as(anna):
        customer_service.update_customer(customer, {"status": "archived"})
    assert revert_forms(activity(as_anna, customer)) == {}
    before = event_count(customer)
    assert as_anna.submit(form).status_code == 403
    assert event_count(customer) == before


def test_another_organizations_event_is_404(as_anna, make, renamed):
    rival = make.org("rival")
    other = make.customer(rival)
    event = latest_event(other)
    assert as_anna.post(f"/customers/{renamed.id}/activity/{event.id}/revert/name").status_code == 404


# --- queries ---------------------------------------------------------------------------------------------------

def _many_changes(customer, anna, org, acting_as, rounds):
    """Changes of every kind the log names by id: legal entities, payment methods, properties, contacts…"""
    entity = db.session.scalar(sa.select(LegalEntity).where(LegalEntity.organization_id == org.id))
    for n in range(rounds):
        with acting_as(anna):
            method = payment_service.add_payment_method(customer, {"type": "card", "label": f"Card •••• {n:04d}"})
        with acting_as(anna):
            store.update_customer_settings(customer, {"defaultPaymentMethodId": str(method.id),
                                                      "customerBillingStatementSetting": {
                                                          **STATEMENT, "interval": ("Monthly", "Yearly")[n % 2]}})
        with acting_as(anna):
            customer_service.update_customer(customer, {"legalEntityId": entity.id if n % 2 else None})
        with acting_as(anna):
            contact_service.create_contact(customer, {"firstName": f"C{n}", "email": f"c{n}@example.com"})
        with acting_as(anna):
            property_service.set_values(customer, {"tier": ("Gold", "Silver")[n % 2]})
        with acting_as(anna):
            payment_service.remove_payment_method(customer, method)


def test_an_activity_page_costs_the_same_queries_however_many_events(as_anna, anna, make, org, acting_as,
                                                                     count_queries):
    with acting_as(anna):
        property_service.create_definition(org.id, {"key": "tier", "label": "Tier", "type": "select",
                                                    "options": ["Gold", "Silver"]})
    few, many = make.customer(org), make.customer(org)
    _many_changes(few, anna, org, acting_as, 1)
    _many_changes(many, anna, org, acting_as, 8)
    activity(as_anna, few)  # warm up: the first request loads the signed-in user's session
    with count_queries() as small:
        assert len(sentences(activity(as_anna, few))) == 6
    with count_queries() as large:
        assert len(sentences(activity(as_anna, many))) == 25
    assert large.count == small.count, (small.count, large.count)
