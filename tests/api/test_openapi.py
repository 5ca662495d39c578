"""The OpenAPI document matches the behaviour: schemathesis generates requests from it."""
import pytest
import schemathesis
from flask import g
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.config._checks import PositiveDataAcceptanceConfig

from portal import create_app
from portal.extensions import db
from portal.services import customers as customer_service
from portal.services import dunning, groups, settings_store
from portal.services.demo import ensure_reference_data
from tests.api.conftest import token_for


def test_document_is_openapi_3_1_and_public(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    assert "/customers/{customerId}" in document["paths"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def _operation_labels():
    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")  # the document needs no database
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok().label for result in schema.get_all_operations()]


def _declared(operation):
    """What the document says a schema-valid request may still meet: domain-rule fields (422) and If-Match (412)."""
    responses = operation.definition.raw.get("responses", {})
    return responses.get("422", {}).get("x-domain-rules", []), "412" in responses


@pytest.fixture
def known_ids(make, org):
    """What the generated requests meet: three customers (the first in a group), the demo's "Standard" ladder, a
    "Strict" one the group uses and an unused one, and an empty group; {name of a path, query or body id (or of an
    object with an id): the ids it may name}."""
    ensure_reference_data(org, [])
    customers = [make.customer(org, name=f"Existing {n}") for n in range(3)]
    standard = dunning.default_ladder(org.id)
    reminder, notice = dunning.ladder(standard.id)
    strict = dunning.create_ladder(org.id, {"name": "Strict"})
    dunning.create_rule(strict, {"daysOverdue": 3, "emailTemplate": {"id": str(reminder.email_template_id)}})
    unused = dunning.create_ladder(org.id, {"name": "Lenient"})
    key_accounts = groups.create(org.id, {"name": "Key accounts", "description": "Net 30, strict dunning"})
    settings_store.update_group_settings(key_accounts, {"term": "Net30", "dunningLadderId": str(strict.id)})
    empty = groups.create(org.id, {"name": "Prospects"})
    customer_service.update_customer(customers[0], {"groupId": str(key_accounts.id)})
    db.session.commit()
    ladders = [str(ladder.id) for ladder in (standard, strict, unused)]
    return {
        "customerId": [str(c.id) for c in customers], "addressId": [str(c.addresses[0].id) for c in customers],
        "contactId": [str(c.contacts[0].id) for c in customers],
        "id": [str(r.id) for ladder in (standard, strict) for r in dunning.ladder(ladder.id)],
        "groupId": [str(key_accounts.id), str(empty.id)], "ladderId": ladders, "dunningLadderId": ladders,
        "emailTemplate": [str(reminder.email_template_id), str(notice.email_template_id)],
        "documentTemplate": [str(reminder.document_template_id), str(notice.document_template_id)],
    }


def each_request_on_its_own(app):
    """The app as schemathesis calls it: outside the test client, in the test's app context, so each request is
    made to start and end outside a transaction and without what an earlier one cached in `g`, as the test client
    does (else loading the document caches "no token" and every later call is a 401, and a call without a token
    that the auth check makes reuses the token of the call before)."""

    def wsgi(environ, start_response):
        db.session.rollback()
        for cached in ("_login_user", "csrf_token", "bearer_token"):
            g.pop(cached, None)
        try:
            return app(environ, start_response)
        finally:
            db.session.rollback()

    return wsgi


def _on_known_ids(case, known_ids, pick):
    """A positive case's ids made ones that exist (random ones are almost always a 404), the same `pick` for every
    id so that an address belongs to the customer it is read through."""
    for container in (case.path_parameters, case.query, case.body if isinstance(case.body, dict) else None):
        for name, value in (container or {}).items():
            if name not in known_ids or value is None:
                continue
            known = known_ids[name][pick % len(known_ids[name])]
            if isinstance(value, dict):
                value["id"] = known
            else:
                container[name] = known


@pytest.mark.parametrize("label", _operation_labels())
def test_api_matches_its_document(app, known_ids, org, label):
    """Every check schemathesis has, positive_data_acceptance included, on every operation.

    Half the positive cases name resources that exist (`known_ids`), so that reads, changes and refused deletes
    (409) of every kind run, not only 404s.

    Schema-valid data may still meet a rule JSON Schema cannot state (a taken alias, a template that must exist,
    a stale If-Match): the document declares those per operation (a 422 response with `x-domain-rules`, a 412 with
    If-Match), the check's expected statuses take exactly those, and `only_declared_domain_rules` fails a 422 that
    names any other field — so a constraint missing from the schema still shows up.
    """
    secret = token_for(org)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", each_request_on_its_own(app))
    operation = next(r.ok() for r in schema.get_all_operations() if r.ok().label == label)
    domain_rules, has_if_match = _declared(operation)
    expected = [*PositiveDataAcceptanceConfig().expected_statuses, *(["422"] if domain_rules else []),
                *(["412"] if has_if_match else [])]
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(expected_statuses=expected)

    def only_declared_domain_rules(ctx, response, case):
        if response.status_code != 422 or case.meta is None or not case.meta.generation.mode.is_positive:
            return None
        fields = [e["field"] for e in response.json().get("errors", [])]
        undeclared = [f for f in fields if not any(f == r or f.startswith(r + ".") for r in domain_rules)]
        assert not undeclared, f"schema-valid data refused at undeclared fields {undeclared}: {response.text[:500]}"
        return None

    statuses = []

    @given(case=operation.as_strategy(), known=st.booleans(), pick=st.integers(0, 5))
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case, known, pick):
        if known and case.meta is not None and case.meta.generation.mode.is_positive:
            _on_known_ids(case, known_ids, pick)
        response = case.call_and_validate(headers={"Authorization": f"Bearer {secret}"},
                                          additional_checks=[only_declared_domain_rules])
        statuses.append(response.status_code)

    check()
    assert set(statuses) - {401}, "every request was refused as unauthenticated: the token did not reach the app"
