"""Settings endpoints: layers, effective values, sources, PUT/PATCH rules and ETags that follow the organization."""
import pytest


@pytest.fixture
def customer(make, org):
    return make.customer(org, name="Settings GmbH")


def test_get_shows_own_values_effective_values_and_sources(api, customer):
    body = api.get(f"/customers/{customer.id}/settings").json
    assert body["term"] is None and body["effective"]["term"] == "Net14"
    assert body["sources"]["term"] == "default" and body["hasPaymentMethod"] is False
    assert body["uri"] == f"/api/v1/customers/{customer.id}/settings"


def test_get_modify_put_round_trip(api, customer):
    """The seed vendor's advice: GET, change the data, PUT it back whole."""
    current = api.get(f"/customers/{customer.id}/settings")
    body = current.json
    body["term"] = "Net30"
    body["sendPaymentReminders"] = False
    response = api.send("PUT", f"/customers/{customer.id}/settings", body, headers={"If-Match": current.headers["ETag"]})
    assert response.status_code == 200, response.json
    assert response.json["effective"]["term"] == "Net30" and response.json["sources"]["term"] == "customer"
    assert response.json["sources"]["sendPaymentReminders"] == "customer"


def test_put_names_missing_fields(api, customer):
    response = api.send("PUT", f"/customers/{customer.id}/settings", {"term": "Net30"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json["errors"]}
    assert "autoCollect" in fields and "term" not in fields


def test_patch_null_resets_to_inherited(api, customer):
    api.patch(f"/customers/{customer.id}/settings", {"term": "Net7"})
    response = api.patch(f"/customers/{customer.id}/settings", {"term": None})
    assert response.json["term"] is None and response.json["sources"]["term"] == "default"


def test_organization_change_reaches_inheriting_customers_and_their_etag(api, make, org, customer):
    overriding = make.customer(org, name="Own Terms Ltd")
    api.patch(f"/customers/{overriding.id}/settings", {"term": "Net7"})
    before = api.get(f"/customers/{customer.id}/settings").headers["ETag"]
    response = api.patch("/organization/settings", {"term": "Net30"})
    assert response.status_code == 200 and response.json["sources"]["term"] == "organization"
    assert response.json["overrideCounts"]["term"] == 1
    inheriting = api.get(f"/customers/{customer.id}/settings")
    assert inheriting.json["effective"]["term"] == "Net30" and inheriting.json["sources"]["term"] == "organization"
    assert inheriting.headers["ETag"] != before
    own = api.get(f"/customers/{overriding.id}/settings").json
    assert own["effective"]["term"] == "Net7" and own["sources"]["term"] == "customer"


def test_stale_if_match_on_settings_is_412(api, customer):
    etag = api.get(f"/customers/{customer.id}/settings").headers["ETag"]
    api.patch("/organization/settings", {"autoSendDocuments": False})  # another layer changed
    response = api.patch(f"/customers/{customer.id}/settings", {"term": "Net7"}, headers={"If-Match": etag})
    assert response.status_code == 412


@pytest.mark.parametrize("patch, field, message", [
    ({"term": "Net400"}, "term", "Use NetN (N 0–365), DayOfMonthD (D 1–31) or MFI1."),
    ({"term": "Weekly"}, "term", "Use NetN (N 0–365), DayOfMonthD (D 1–31) or MFI1."),
    ({"taxExempt": True}, "taxExemptCode", "Required when the customer is tax exempt."),
    ({"eInvoiceFormat": "xrechnung-ubl"}, "eInvoiceBuyerReference",
     "The buyer reference (Leitweg-ID) is required for XRechnung."),
    ({"eInvoiceFormat": "peppol-bis"}, "peppolParticipantId", "The Peppol participant ID is required for Peppol BIS."),
    ({"peppolParticipantId": "no-colon"}, "peppolParticipantId", "Use scheme:id, e.g. 0088:4000001000005."),
    ({"autoCollect": True}, "autoCollect", "Auto-collect needs a payment method; add one first."),
    ({"rechargeType": "BringBalanceBackTo", "rechargeThresholdAmount": 100, "rechargeTargetAmount": 50},
     "rechargeTargetAmount", "The target must be above the threshold."),
    ({"eInvoiceBuyerReference": "x" * 47}, "eInvoiceBuyerReference", "At most 46 characters."),
    ({"avalaraUsageType": "ABCDE"}, "avalaraUsageType", "At most 4 characters."),
    ({"customerGracePeriod": -1}, "customerGracePeriod", None),
    ({"billingPeriodConfigurations": [{"type": "CustomerActivation", "rule": "Prompt", "interval": "Monthly",
                                       "day": 5}]}, "billingPeriodConfigurations.0.day",  # the schema states it
     "Day and month only go with SpecifiedDate."),
    ({"defaultPaymentMethodId": "999"}, "defaultPaymentMethodId", "Choose one of this customer's payment methods."),
])
def test_each_rule_answers_422_at_its_field(api, customer, patch, field, message):
    response = api.patch(f"/customers/{customer.id}/settings", patch)
    assert response.status_code == 422, response.json
    errors = {e["field"]: e["message"] for e in response.json["errors"]}
    assert field in errors
    if message:
        assert errors[field] == message
    assert api.get(f"/customers/{customer.id}/settings").json["term"] is None


def test_valid_combinations_are_accepted(api, customer):
    response = api.patch(f"/customers/{customer.id}/settings", {
        "taxExempt": True, "taxExemptCode": "EXEMPT-7", "eInvoiceFormat": "xrechnung-cii",
        "eInvoiceBuyerReference": "04011000-12345-67", "term": "DayOfMonth15",
        "billingPeriodConfigurations": [{"type": "SpecifiedDate", "rule": "SingleInvoice", "interval": "Yearly",
                                         "day": 1, "month": 7}],
        "customerBillingStatementSetting": {"option": "Detailed", "type": "CustomerAnniversary",
                                            "interval": "Monthly", "statementActivityType": "OnlyParentActivity"},
        "rechargeType": "BringBalanceBackTo", "rechargeThresholdAmount": "50.00", "rechargeTargetAmount": 200,
    })
    assert response.status_code == 200, response.json
    assert response.json["rechargeTargetAmount"] == "200.00"
    assert response.json["effective"]["billingPeriodConfigurations"][0]["month"] == 7


def test_default_payment_method_and_auto_collect(api, customer):
    from portal.extensions import db
    from portal.services.payment_methods import (
        add_payment_method,
        remove_payment_method,
    )

    first = add_payment_method(customer, {"type": "card", "label": "Visa •••• 4242"})
    second = add_payment_method(customer, {"type": "sepa_debit", "label": "SEPA •••• 3000"})
    db.session.commit()
    body = api.get(f"/customers/{customer.id}/settings").json
    assert body["defaultPaymentMethodId"] == str(first.id) and body["hasPaymentMethod"] is True
    changed = api.patch(f"/customers/{customer.id}/settings",
                        {"defaultPaymentMethodId": str(second.id), "autoCollect": True})
    assert changed.status_code == 200 and changed.json["defaultPaymentMethodId"] == str(second.id)
    remove_payment_method(customer, second)
    remove_payment_method(customer, first)
    db.session.commit()
    after = api.get(f"/customers/{customer.id}/settings").json
    assert after["autoCollect"] is False and after["hasPaymentMethod"] is False


def test_put_organization_requires_every_field(api):
    assert api.send("PUT", "/organization/settings", {"term": "Net30"}).status_code == 422
    body = api.get("/organization/settings").json
    response = api.send("PUT", "/organization/settings", {**body, "term": "Net21"})
    assert response.status_code == 200 and response.json["effective"]["term"] == "Net21"


def test_organization_layer_has_no_customer_only_fields(api):
    response = api.patch("/organization/settings", {"taxExemptCode": "X"})
    assert response.status_code == 422


def test_read_only_token_cannot_change_settings(read_only_api, customer):
    assert read_only_api.patch(f"/customers/{customer.id}/settings", {"term": "Net7"}).status_code == 403
    assert read_only_api.get("/organization/settings").status_code == 200


def test_settings_changes_are_audited(api, customer):
    api.patch(f"/customers/{customer.id}/settings", {"term": "Net7"}, headers={"X-Audit-Reason": "agreed by phone"})
    event = api.get(f"/customers/{customer.id}/events").json["data"][0]
    assert event["entity"] == "settings" and event["changes"]["term"] == {"old": None, "new": "Net7"}
    assert event["reason"] == "agreed by phone"
