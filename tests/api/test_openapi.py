"""The OpenAPI document matches the behaviour: schemathesis generates requests from it."""
import pytest
import schemathesis
from schemathesis.config._checks import PositiveDataAcceptanceConfig
from hypothesis import HealthCheck, given, settings

from portal import create_app
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


@pytest.mark.parametrize("label", _operation_labels())
def test_api_matches_its_document(app, make, org, label):
    """Every check schemathesis has, positive_data_acceptance included, on every operation.

    Schema-valid data may still meet a rule JSON Schema cannot state (a taken alias, a template that must exist,
    a stale If-Match): the document declares those per operation (a 422 response with `x-domain-rules`, a 412 with
    If-Match), the check's expected statuses take exactly those, and `only_declared_domain_rules` fails a 422 that
    names any other field — so a constraint missing from the schema still shows up.
    """
    for n in range(3):
        make.customer(org, name=f"Existing {n}")
    secret = token_for(org)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
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

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {secret}"},
                               additional_checks=[only_declared_domain_rules])

    check()
