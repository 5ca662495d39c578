"""Hostile bodies on every API write operation (taken from the OpenAPI document, so new ones are covered): never a
5xx, and every 4xx is problem+json. Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal import create_app
from portal.api.docs import document
from portal.extensions import db
from portal.services.demo import ensure_reference_data
from tests.api.conftest import Api, token_for

WRITE_METHODS = ("post", "put", "patch")

HOSTILE_STRINGS = ["\ud800", "a\udfffb", "a\x00b", "\x1b[31m", "line\nbreak", "tab\there", "\x7f", "\x85",
                   "'; DROP TABLE customer; --", "\" OR 1=1 --", "<script>alert(1)</script>", "<div hx-get=/x>",
                   "%00", "${jndi:ldap://x}", "١٢", "\u202e", "\ufeff", "x" * 5000, "", " ",
                   "0000-01-01", "9999-12-31", "1899-12-31T00:00:00Z", "2026-02-30", "NaN", "-0", "1e309"]
RAW_NUMBERS = ["1e309", "-1e309", "1" * 400, "-" + "9" * 400, "2147483648", "-2147483649", "9223372036854775808",
               "-0", "-0.0", "1e-400", "0.35000000000000003", "100.001"]


def _write_operations():
    with create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://").test_request_context():
        paths = document()["paths"]
    return [(method.upper(), path, sorted(_properties(operation)))
            for path, item in paths.items() for method, operation in item.items() if method in WRITE_METHODS]


def _properties(operation):
    content = operation["requestBody"]["content"]
    ref = next(iter(content.values()))["schema"]["$ref"].rsplit("/", 1)[1]
    with create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://").test_request_context():
        return document()["components"]["schemas"][ref].get("properties", {})


scalars = st.one_of(
    st.sampled_from(HOSTILE_STRINGS).map(json.dumps),
    st.text(st.characters(codec=None, categories=["Cc", "Cs", "Co", "Cn", "Zs", "Lo", "Nd"]), max_size=20).map(
        json.dumps),
    st.sampled_from(RAW_NUMBERS),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["true", "false", "null"]),
)
fragments = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: "[" + ",".join(items) + "]"),
        st.dictionaries(st.sampled_from(["id", "name", "email", "line1", "country", "firstName", "\ud800", "x"]),
                        inner, max_size=3).map(
            lambda d: "{" + ",".join(json.dumps(k) + ":" + v for k, v in d.items()) + "}")),
    max_leaves=6)


def bodies(field_names):
    """JSON text of an object whose members are the operation's fields (and a stray one) with hostile values."""
    names = st.sampled_from([*field_names, "unknownField"]) if field_names else st.just("unknownField")
    return st.dictionaries(names, fragments, min_size=1, max_size=4).map(
        lambda d: "{" + ",".join(json.dumps(k) + ":" + v for k, v in d.items()) + "}")


@pytest.mark.parametrize("method, path, field_names", _write_operations(), ids=lambda v: v if isinstance(v, str)
                         and ("/" in v or v.isupper()) else "")
def test_hostile_bodies_never_break_the_api(client, make, org, method, path, field_names):
    ensure_reference_data(org, [])
    customer = make.customer(org, invoiceAddress={"line1": "Hauptstraße 1", "city": "Berlin", "postalCode": "10115"})
    from portal.services import groups
    from portal.services.dunning import default_ladder, ladder

    group = groups.create(org.id, {"name": "Key accounts"})
    db.session.commit()
    standard = default_ladder(org.id)
    ids = {"customerId": customer.id, "addressId": customer.addresses[0].id, "contactId": customer.contacts[0].id,
           "id": ladder(standard.id)[0].id, "groupId": group.id, "ladderId": standard.id}
    url = path.format(**ids)
    api = Api(client, token_for(org))
    content_type = "application/merge-patch+json" if method == "PATCH" else "application/json"

    @given(text=bodies(field_names))
    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(text):
        response = api.send(method, url, text.encode("utf-8", "surrogatepass"), content_type=content_type)
        assert response.status_code < 500, (text, response.get_data(as_text=True)[:500])
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json", (text, response.status_code)
        db.session.rollback()

    check()
