"""The OpenAPI document matches the behaviour: schemathesis generates requests from it."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

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


@pytest.mark.parametrize("label", _operation_labels())
def test_api_matches_its_document(app, make, org, label):
    for n in range(3):
        make.customer(org, name=f"Existing {n}")
    secret = token_for(org)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = next(r.ok() for r in schema.get_all_operations() if r.ok().label == label)

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        # Schema-valid data may still break a domain rule (an unknown country code, a taken alias):
        # that answers 422, so "every schema-valid request succeeds" is not a property of this API.
        case.call_and_validate(headers={"Authorization": f"Bearer {secret}"},
                               excluded_checks=[positive_data_acceptance])

    check()
