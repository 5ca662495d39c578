"""API fixtures: tokens and a client that sends them."""
import json

import pytest

from portal.extensions import db
from portal.services.tokens import create_token


class Api:
    """A JSON client for /api/v1 with a bearer token."""

    def __init__(self, client, secret):
        self.client = client
        self.secret = secret

    def _headers(self, headers):
        base = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        return {**base, **(headers or {})}

    def get(self, path, headers=None, **params):
        return self.client.get(f"/api/v1{path}", query_string=params, headers=self._headers(headers))

    def send(self, method, path, body=None, headers=None, content_type="application/json"):
        data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        return self.client.open(f"/api/v1{path}", method=method, data=data, content_type=content_type,
                                headers=self._headers(headers))

    def post(self, path, body=None, headers=None, **kw):
        return self.send("POST", path, body, headers, **kw)

    def patch(self, path, body=None, headers=None, **kw):
        kw.setdefault("content_type", "application/merge-patch+json")
        return self.send("PATCH", path, body, headers, **kw)

    def delete(self, path, headers=None):
        return self.send("DELETE", path, None, headers)


def token_for(organization, read_only=False):
    _token, secret = create_token(organization.id, "CRM sync", read_only=read_only)
    db.session.commit()
    return secret


@pytest.fixture
def api(client, org):
    return Api(client, token_for(org))


@pytest.fixture
def read_only_api(client, org):
    return Api(client, token_for(org, read_only=True))


NEW_CUSTOMER = {
    "name": "Acme GmbH", "customerType": "B2B", "language": "de", "country": "DE", "currency": "EUR",
    "aliases": ["crm-4711"],
    "primaryContact": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@acme.example"},
    "invoiceAddress": {"line1": "Hauptstraße 1", "city": "Berlin", "postalCode": "10115"},
}


@pytest.fixture
def new_customer():
    return json.loads(json.dumps(NEW_CUSTOMER))
