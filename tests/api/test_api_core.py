"""The API machinery: tokens, errors, ETags, If-Match, idempotency — on the customer endpoints."""
import threading

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import ApiToken, AuditEvent, Customer, IdempotencyRecord
from tests.api.conftest import Api, token_for


def customer_count():
    return db.session.scalar(sa.select(sa.func.count(Customer.id)))


# --- authentication -----------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_missing_or_bad_token_is_401_with_a_challenge(client, org, header):
    response = client.get("/api/v1/customers", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["status"] == 401


def test_revoked_token_stops_working(api):
    assert api.get("/customers").status_code == 200
    from portal.services.tokens import revoke_token

    revoke_token(db.session.scalar(sa.select(ApiToken)))
    db.session.commit()
    assert api.get("/customers").status_code == 401


def test_read_only_token_reads_but_cannot_write(read_only_api, new_customer):
    assert read_only_api.get("/customers").status_code == 200
    response = read_only_api.post("/customers", new_customer)
    assert response.status_code == 403 and response.json["detail"] == "This API token is read-only."
    assert customer_count() == 0


def test_token_use_is_recorded(api):
    api.get("/customers")
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) is not None


def test_api_needs_no_csrf_token_but_html_forms_do(api, new_customer):
    assert api.post("/customers", new_customer).status_code == 201


def test_other_tenants_customer_is_404(api, make):
    stranger = make.customer(make.org("globex"), name="Globex Secret")
    for response in (api.get(f"/customers/{stranger.id}"), api.patch(f"/customers/{stranger.id}", {"name": "x"}),
                     api.get(f"/customers/{stranger.id}/events")):
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
    assert api.get("/customers", q="globex").json["data"] == []


# --- one error format ----------------------------------------------------------------------------------

def test_unknown_route_and_method_are_problems(api):
    response = api.get("/nothing-here")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    response = api.send("DELETE", "/customers")
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_400(api):
    response = api.post("/customers", b'{"name": ')
    assert response.status_code == 400 and response.json["detail"] == "The body is not valid JSON."


def test_wrong_content_type_is_415(api, new_customer):
    import json

    response = api.post("/customers", json.dumps(new_customer), content_type="text/plain")
    assert response.status_code == 415


def test_unknown_fields_are_422_naming_them(api, new_customer):
    response = api.post("/customers", {**new_customer, "favouriteColour": "blue"})
    assert response.status_code == 422
    assert {"field": "favouriteColour", "message": "Unknown field."} in response.json["errors"]


def test_body_over_one_mebibyte_is_413(api, new_customer):
    response = api.post("/customers", {**new_customer, "name": "x" * (1024 * 1024)})
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert customer_count() == 0


def test_non_object_body_is_422(api):
    assert api.post("/customers", [1, 2]).status_code == 422


@pytest.mark.parametrize("change, field, message", [
    ({"taxRate": 101}, "taxRate", "Enter a number from 0.00 to 100.00."),
    ({"vatId": "DE123456789"}, "vatId", "Not a valid EU VAT id (check the country prefix and digits)."),
    ({"country": "XX"}, "country", "Choose a country (ISO 3166-1 alpha-2 code)."),
    ({"name": "   "}, "name", "Name is required."),
    ({"customerType": "VIP"}, "customerType", "Must be one of: B2B, B2C, AFFILIATED, OTHER."),
    ({"primaryContact": {"email": "nope"}}, "primaryContact.email", None),
    ({"aliases": "crm-1"}, "aliases", "Must be of type array or null."),
])
def test_validation_errors_name_the_field(api, new_customer, change, field, message):
    response = api.post("/customers", {**new_customer, **change})
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json["errors"]}
    assert field in errors
    if message:
        assert errors[field] == message
    assert customer_count() == 0


def test_missing_required_fields_are_named(api):
    response = api.post("/customers", {"name": "Only a name"})
    fields = {e["field"] for e in response.json["errors"]}
    assert {"customerType", "language", "country", "currency", "primaryContact"} <= fields


# --- customers ----------------------------------------------------------------------------------------

def test_create_answers_the_customer_with_location_and_etag(api, new_customer):
    response = api.post("/customers", new_customer)
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"] == body["uri"] == f"/api/v1/customers/{body['id']}"
    assert response.headers["ETag"].startswith('"')
    assert body["name"] == "Acme GmbH" and body["aliases"] == ["crm-4711"] and body["taxRate"] == "0.00"
    assert body["primaryContact"]["email"] == "ada@acme.example"
    assert body["addresses"][0]["isMain"] and body["addresses"][0]["city"] == "Berlin"
    assert body["debtorIdent"].startswith("CUST-") and body["accountNumber"]
    assert api.get(body["uri"].removeprefix("/api/v1")).json == body


def test_same_rules_as_the_form_alias_unique(api, make, org, new_customer):
    make.customer(org, aliases=["crm-4711"])
    response = api.post("/customers", new_customer)
    assert response.status_code == 422
    assert response.json["errors"] == [{"field": "aliases",
                                        "message": "Alias 'crm-4711' already belongs to another customer."}]


def test_find_by_alias_search_and_filters(api, make, org):
    make.customer(org, name="Nordwind GmbH", aliases=["crm-1"], country="DE")
    make.customer(org, name="Harbor Ltd", aliases=["crm-2"], country="GB", currency="GBP")
    assert [c["name"] for c in api.get("/customers", alias="crm-2").json["data"]] == ["Harbor Ltd"]
    assert api.get("/customers", alias="crm").json["data"] == []  # alias= is exact
    assert [c["name"] for c in api.get("/customers", q="nord").json["data"]] == ["Nordwind GmbH"]
    assert [c["name"] for c in api.get("/customers", currency="GBP").json["data"]] == ["Harbor Ltd"]
    assert api.get("/customers", country="XX").status_code == 422
    assert api.get("/customers", limit="0").status_code == 422
    assert api.get("/customers", cursor="garbage!").status_code == 400


def test_cursor_pagination_is_stable_under_inserts(api, make, org):
    for n in range(5):
        make.customer(org, name=f"C{n}")
    first = api.get("/customers", limit="2").json
    assert [c["name"] for c in first["data"]] == ["C0", "C1"]
    make.customer(org, name="Inserted meanwhile")
    pages = [first]
    while pages[-1]["nextCursor"]:
        pages.append(api.get("/customers", limit="2", cursor=pages[-1]["nextCursor"]).json)
    seen = [c["name"] for page in pages for c in page["data"]]
    assert seen == ["C0", "C1", "C2", "C3", "C4", "Inserted meanwhile"]
    assert len(pages) == 3


def test_list_queries_do_not_grow_with_rows(api, make, org, count_queries):
    make.customer(org)
    api.get("/customers")  # the first call also records the token's use
    with count_queries() as few:
        api.get("/customers")
    for _ in range(20):
        make.customer(org)
    with count_queries() as many:
        assert len(api.get("/customers").json["data"]) == 21
    assert many.count == few.count


def test_merge_patch_changes_resets_and_audits_with_reason(api, make, org):
    customer = make.customer(org, vatId="DE136695976")
    response = api.patch(f"/customers/{customer.id}", {"taxRate": "19.00", "vatId": None, "aliases": ["erp-9"]},
                         headers={"X-Audit-Reason": "CRM sync"})
    assert response.status_code == 200, response.json
    assert response.json["taxRate"] == "19.00" and response.json["vatId"] is None
    assert response.json["aliases"] == ["erp-9"]
    events = api.get(f"/customers/{customer.id}/events").json["data"]
    latest = events[0]
    assert latest["action"] == "update" and latest["reason"] == "CRM sync"
    assert latest["actor"] == {"type": "token", "id": latest["actor"]["id"], "name": "API token “CRM sync”"}
    assert latest["changes"]["taxRate"] == {"old": "0.00", "new": "19.00"}
    assert latest["changes"]["vatId"] == {"old": "DE136695976", "new": None}
    assert events[-1]["action"] == "create"


def test_read_only_fields_cannot_change_but_may_be_sent_back(api, make, org):
    customer = make.customer(org)
    current = api.get(f"/customers/{customer.id}").json
    response = api.patch(f"/customers/{customer.id}", {**current, "name": "Renamed"})
    assert response.status_code == 200 and response.json["name"] == "Renamed"
    response = api.patch(f"/customers/{customer.id}", {"debtorIdent": "NEW-1", "accountNumber": "1"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json["errors"]} == {"debtorIdent", "accountNumber"}


def test_archive_and_restore_through_status(api, make, org):
    customer = make.customer(org)
    assert api.patch(f"/customers/{customer.id}", {"status": "archived"}).json["status"] == "archived"
    blocked = api.patch(f"/customers/{customer.id}", {"name": "Changed while archived"})
    assert blocked.status_code == 422
    assert blocked.json["errors"][0]["message"].startswith("Archived customers are read-only")
    assert api.patch(f"/customers/{customer.id}", {"status": "active"}).json["status"] == "active"
    actions = [e["action"] for e in api.get(f"/customers/{customer.id}/events").json["data"]]
    assert actions[:2] == ["restore", "archive"]


# --- ETags and concurrency -------------------------------------------------------------------------------

def test_stale_if_match_is_412_and_changes_nothing(api, make, org):
    customer = make.customer(org, name="Original")
    etag = api.get(f"/customers/{customer.id}").headers["ETag"]
    assert api.patch(f"/customers/{customer.id}", {"name": "First"}, headers={"If-Match": etag}).status_code == 200
    stale = api.patch(f"/customers/{customer.id}", {"name": "Second"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    assert api.get(f"/customers/{customer.id}").json["name"] == "First"


def test_etag_changes_when_a_contact_changes(api, make, org):
    customer = make.customer(org)
    before = api.get(f"/customers/{customer.id}").headers["ETag"]
    contact_id = customer.primary_contact.id
    api.patch(f"/customers/{customer.id}/contacts/{contact_id}", {"phone": "+49 30 1234"})
    assert api.get(f"/customers/{customer.id}").headers["ETag"] != before


def test_an_alias_change_moves_the_etag_and_the_version(api, make, org):
    customer = make.customer(org, aliases=["crm-1"])
    before = api.get(f"/customers/{customer.id}")
    changed = api.patch(f"/customers/{customer.id}", {"aliases": ["crm-1", "erp-2"]},
                        headers={"If-Match": before.headers["ETag"]})
    assert changed.status_code == 200 and changed.json["version"] == before.json["version"] + 1
    assert changed.headers["ETag"] != before.headers["ETag"]
    stale = api.patch(f"/customers/{customer.id}", {"aliases": ["crm-1"]}, headers={"If-Match": before.headers["ETag"]})
    assert stale.status_code == 412 and api.get(f"/customers/{customer.id}").json["aliases"] == ["crm-1", "erp-2"]


def test_of_concurrent_patches_with_one_if_match_exactly_one_wins(app, org, make):
    customer_id = make.customer(org, name="Contested").id  # threads have no app context to load it
    secret = token_for(org)
    etag = Api(app.test_client(), secret).get(f"/customers/{customer_id}").headers["ETag"]
    statuses, barrier = [], threading.Barrier(6)

    def patch(n):
        client = Api(app.test_client(), secret)
        barrier.wait()
        statuses.append(client.patch(f"/customers/{customer_id}", {"name": f"Writer {n}"},
                                     headers={"If-Match": etag}).status_code)

    threads = [threading.Thread(target=patch, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412, 412, 412, 412, 412]
    db.session.rollback()  # end the test's own read snapshot
    updates = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "update")).all()
    assert len(updates) == 1


# --- idempotency ---------------------------------------------------------------------------------------

def test_idempotent_replay_returns_the_first_response(api, new_customer):
    first = api.post("/customers", new_customer, headers={"Idempotency-Key": "k-1"})
    again = api.post("/customers", new_customer, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert customer_count() == 1


def test_same_key_with_another_body_is_422(api, new_customer):
    api.post("/customers", new_customer, headers={"Idempotency-Key": "k-2"})
    other = api.post("/customers", {**new_customer, "name": "Other"}, headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 422 and other.json["errors"][0]["field"] == "Idempotency-Key"
    assert customer_count() == 1


def test_replay_while_the_first_is_running_is_409(api, new_customer):
    import json

    from portal.services.idempotency import request_fingerprint

    token = db.session.scalar(sa.select(ApiToken))
    fingerprint = request_fingerprint("POST", "/api/v1/customers", json.dumps(new_customer).encode())
    db.session.add(IdempotencyRecord(token_id=token.id, key="k-3", request_hash=fingerprint))
    db.session.commit()
    response = api.post("/customers", new_customer, headers={"Idempotency-Key": "k-3"})
    assert response.status_code == 409
    assert customer_count() == 0


def test_keys_are_per_token(api, client, org, new_customer):
    api.post("/customers", new_customer, headers={"Idempotency-Key": "k-4"})
    other = Api(client, token_for(org))
    response = other.post("/customers", {**new_customer, "aliases": []}, headers={"Idempotency-Key": "k-4"})
    assert response.status_code == 201 and customer_count() == 2


def test_failed_request_frees_its_key(api, new_customer):
    bad = api.post("/customers", {**new_customer, "country": "XX"}, headers={"Idempotency-Key": "k-5"})
    assert bad.status_code == 422
    good = api.post("/customers", new_customer, headers={"Idempotency-Key": "k-5"})
    assert good.status_code == 201


def test_overlong_key_is_refused(api, new_customer):
    response = api.post("/customers", new_customer, headers={"Idempotency-Key": "x" * 256})
    assert response.status_code == 422 and customer_count() == 0


def _stale_claim(new_customer, key, age_seconds):
    """An in-flight claim as a request leaves it when its worker dies before it answers."""
    import json
    from datetime import timedelta

    from portal.models.base import utcnow
    from portal.services.idempotency import request_fingerprint

    token = db.session.scalar(sa.select(ApiToken))
    fingerprint = request_fingerprint("POST", "/api/v1/customers", json.dumps(new_customer).encode())
    db.session.add(IdempotencyRecord(token_id=token.id, key=key, request_hash=fingerprint,
                                     created_at=utcnow() - timedelta(seconds=age_seconds)))
    db.session.commit()


def test_in_flight_answers_409_with_retry_after(api, new_customer):
    _stale_claim(new_customer, "k-6", age_seconds=1)
    response = api.post("/customers", new_customer, headers={"Idempotency-Key": "k-6"})
    assert response.status_code == 409 and response.headers["Retry-After"] == "1"
    assert "still in flight" in response.json["detail"]


def test_a_retry_after_a_crashed_request_proceeds_once_the_lease_ran_out(app, api, new_customer):
    assert app.config.get("IDEMPOTENCY_LEASE_SECONDS", 30) == 30
    _stale_claim(new_customer, "k-7", age_seconds=31)
    response = api.post("/customers", new_customer, headers={"Idempotency-Key": "k-7"})
    assert response.status_code == 201, response.json
    replay = api.post("/customers", new_customer, headers={"Idempotency-Key": "k-7"})
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json == response.json and customer_count() == 1


def test_the_lease_is_configurable(app, api, new_customer):
    app.config["IDEMPOTENCY_LEASE_SECONDS"] = 5
    _stale_claim(new_customer, "k-8", age_seconds=6)
    assert api.post("/customers", new_customer, headers={"Idempotency-Key": "k-8"}).status_code == 201
