"""Overdue rules and the dunning timeline through the API."""
import pytest

from portal.extensions import db
from portal.services import settings_store
from portal.services.demo import ensure_reference_data


@pytest.fixture
def templates(org):
    """The demo ladder: level 1 reminder, level 2 dunning (2.50), with their templates."""
    ensure_reference_data(org, [])
    db.session.commit()
    from portal.services.dunning import default_ladder, ladder

    rules = ladder(default_ladder(org.id).id)
    return {"email": rules[1].email_template, "document": rules[1].document_template}


def test_rules_look_as_the_vendor_reference_describes(api, templates):
    data = api.get("/dunning/overdue-rules").json["data"]
    assert [r["level"] for r in data] == [1, 2]
    rule = data[1]
    assert set(rule) == {"id", "ladderId", "level", "daysOverdue", "dueInDays", "type", "emailTemplate",
                         "documentTemplate", "amountInCents", "attachOriginalInvoice", "sendLetter", "isEnabled",
                         "createdAt", "updatedAt", "uri"}
    assert rule["emailTemplate"] == {"id": str(templates["email"].id), "name": "Dunning notice"}
    assert rule["type"] == "dunning" and rule["amountInCents"] == 250 and rule["createdAt"].endswith("Z")


def test_create_a_level_3_dunning_with_defaults(api, templates):
    response = api.post("/dunning/overdue-rules", {
        "daysOverdue": 10, "type": "dunning", "emailTemplate": {"id": str(templates["email"].id)},
        "documentTemplate": {"id": str(templates["document"].id)}, "amountInCents": 500})
    assert response.status_code == 201, response.json
    rule = response.json
    assert rule["level"] == 3 and rule["dueInDays"] == 7 and rule["attachOriginalInvoice"] is True
    assert rule["sendLetter"] is False and rule["isEnabled"] is True
    assert rule["documentTemplate"]["name"] == "Dunning letter"


@pytest.mark.parametrize("body, field", [
    ({"daysOverdue": 0}, "daysOverdue"),
    ({"daysOverdue": 5, "dueInDays": 0}, "dueInDays"),
    ({"daysOverdue": 5, "type": "dunning", "amountInCents": None}, "amountInCents"),
    ({"daysOverdue": 5, "type": "dunning", "amountInCents": 100, "documentTemplate": None}, "documentTemplate"),
    ({"daysOverdue": 5, "amountInCents": 0}, "amountInCents"),
    ({"daysOverdue": 5, "emailTemplate": {"id": "999999"}}, "emailTemplate"),
    ({"daysOverdue": 5, "emailTemplate": None}, "emailTemplate"),
])
def test_rule_validation(api, templates, body, field):
    payload = {"emailTemplate": {"id": str(templates["email"].id)}, "documentTemplate": {
        "id": str(templates["document"].id)}, **body}
    response = api.post("/dunning/overdue-rules", payload)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json["errors"]}


def test_at_most_five_rules(api, templates):
    for _ in range(3):
        assert api.post("/dunning/overdue-rules", {"daysOverdue": 3, "emailTemplate": {
            "id": str(templates["email"].id)}}).status_code == 201
    sixth = api.post("/dunning/overdue-rules", {"daysOverdue": 3, "emailTemplate": {"id": str(templates["email"].id)}})
    assert sixth.status_code == 422 and sixth.json["errors"][0]["field"] == "level"


def test_put_moves_a_rule_and_delete_closes_the_gap(api, templates):
    rules = api.get("/dunning/overdue-rules").json["data"]
    second = api.get(f"/dunning/overdue-rules/{rules[1]['id']}")
    body = {**second.json, "level": 1, "daysOverdue": 4}
    moved = api.send("PUT", f"/dunning/overdue-rules/{rules[1]['id']}", body,
                     headers={"If-Match": second.headers["ETag"]})
    assert moved.status_code == 200 and moved.json["level"] == 1 and moved.json["daysOverdue"] == 4
    stale = api.send("PUT", f"/dunning/overdue-rules/{rules[1]['id']}", body,
                     headers={"If-Match": second.headers["ETag"]})
    assert stale.status_code == 412
    assert api.delete(f"/dunning/overdue-rules/{rules[1]['id']}").status_code == 204
    assert [(r["level"], r["id"]) for r in api.get("/dunning/overdue-rules").json["data"]] == [(1, rules[0]["id"])]


def test_other_tenants_rules_are_404(api, make, templates):
    other = make.org("globex")
    ensure_reference_data(other, [])
    db.session.commit()
    from portal.services.dunning import default_ladder, ladder

    assert api.get(f"/dunning/overdue-rules/{ladder(default_ladder(other.id).id)[0].id}").status_code == 404


def test_timeline_applies_the_effective_settings(api, make, org, templates):
    customer = make.customer(org, currency="EUR")
    base = f"/customers/{customer.id}/dunning-timeline"
    body = api.get(base, invoiceDate="2026-03-02", amountInCents="119000").json
    assert body["dueDate"] == "2026-03-16" and body["currency"] == "EUR"
    assert [(s["level"], s["sendDate"], s["dueDate"], s["feeInCents"]) for s in body["steps"]] == [
        (1, "2026-03-21", "2026-03-28", 0), (2, "2026-04-04", "2026-04-11", 250)]
    settings_store.update_customer_settings(customer, {"chargeDunningFees": False})
    db.session.commit()
    assert api.get(base, invoiceDate="2026-03-02", amountInCents="1").json["totalFeesInCents"] == 0
    assert api.get(base, invoiceDate="2026-13-01", amountInCents="1").status_code == 422
    assert api.get(base).status_code == 422  # the amount is required
