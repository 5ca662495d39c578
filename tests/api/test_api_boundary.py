"""The JSON boundary: hostile strings and numbers are field errors, never a 500, on SQLite and PostgreSQL alike."""
import json

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Customer, OverdueRule
from tests.api.test_api_dunning import templates  # noqa: F401  (fixture)

BIG = 2**31


def customer_count():
    return db.session.scalar(sa.select(sa.func.count(Customer.id)))


def raw_post(api, path, text):
    """POST a body given as JSON text (Python's json cannot write a lone surrogate's escape or 1e309 itself)."""
    return api.send("POST", path, text.encode())


def field_errors(response):
    return {e["field"]: e["message"] for e in response.json["errors"]}


# --- ids, cursors and numbers out of the columns' range ------------------------------------------------

@pytest.mark.parametrize("path", [f"/customers/{BIG}", f"/customers/{2**63}", f"/customers/{BIG}/settings",
                                  f"/customers/{BIG}/contacts", f"/customers/1/contacts/{BIG}",
                                  f"/dunning/overdue-rules/{BIG}"])
def test_an_id_beyond_the_column_is_404(api, path):
    response = api.get(path)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_a_legal_entity_filter_beyond_the_column_is_422_at_the_field(api):
    response = api.get("/customers", legalEntityId=str(BIG))
    assert response.status_code == 422 and "legalEntityId" in field_errors(response)


@pytest.mark.parametrize("cursor", [str(BIG), str(2**63), "eyJhZnRlciI6IDIxNDc0ODM2NDh9", "garbage!", "-1"])
def test_a_cursor_we_never_issued_is_400(api, make, org, cursor):
    make.customer(org)
    for path in ("/customers", f"/customers/{db.session.scalar(sa.select(Customer.id))}/events"):
        response = api.get(path, cursor=cursor)
        assert response.status_code == 400, (path, response.json)
        assert response.mimetype == "application/problem+json"


def test_cursors_still_page(api, make, org):
    for _ in range(3):
        make.customer(org)
    first = api.get("/customers", limit=2).json
    assert first["nextCursor"].isdigit()
    second = api.get("/customers", limit=2, cursor=first["nextCursor"]).json
    assert len(second["data"]) == 1 and second["nextCursor"] is None


@pytest.mark.parametrize("amount", [BIG, 2**63, -BIG - 1])
def test_a_fee_beyond_the_column_is_422_at_the_field(api, templates, amount):  # noqa: F811
    response = api.post("/dunning/overdue-rules", {
        "daysOverdue": 10, "type": "dunning", "emailTemplate": {"id": str(templates["email"].id)},
        "documentTemplate": {"id": str(templates["document"].id)}, "amountInCents": amount})
    assert response.status_code == 422, response.json
    assert "amountInCents" in field_errors(response)
    assert db.session.scalar(sa.select(sa.func.count(OverdueRule.id))) == 2


@pytest.mark.parametrize("template_id", [2**63, str(2**63), str(BIG)])
def test_a_template_id_beyond_the_column_is_422_at_the_field(api, templates, template_id):  # noqa: F811
    response = api.post("/dunning/overdue-rules", {"daysOverdue": 10, "emailTemplate": {"id": template_id}})
    assert response.status_code == 422, response.json
    assert any(field.startswith("emailTemplate") for field in field_errors(response))


@pytest.mark.parametrize("number", ["1e309", "-1e309", "1" * 400, "-" + "9" * 400])
def test_a_number_beyond_any_column_is_422_at_the_field(api, new_customer, number):
    text = json.dumps(new_customer)[:-1] + f', "taxRate": {number}}}'
    response = raw_post(api, "/customers", text)
    assert response.status_code == 422, response.json
    assert "taxRate" in field_errors(response)
    assert customer_count() == 0


# --- strings: valid Unicode, no NUL, no control characters ---------------------------------------------

HOSTILE_STRINGS = {
    "lone surrogate": "\\ud800",
    "low surrogate": "a\\udfffb",
    "NUL": "a\\u0000b",
    "escape": "a\\u001bb",
    "line break": "a\\nb",
    "DEL": "a\\u007fb",
    "C1 control": "a\\u0085b",
}


@pytest.mark.parametrize("kind", HOSTILE_STRINGS)
@pytest.mark.parametrize("path, place", [
    ("name", "{}"), ("aliases.0", "[{}]"), ("contractorReferences.0", "[{}]"), ("taxId", "{}"),
    ("primaryContact.firstName", None), ("invoiceAddress.city", None),
])
def test_a_hostile_string_in_a_new_customer_is_422_at_its_path(api, new_customer, kind, path, place):
    marker = "\u2603MARK\u2603"
    body = json.loads(json.dumps(new_customer))
    parts = path.split(".")
    if place is None:
        body[parts[0]][parts[1]] = marker
    else:
        body[parts[0]] = json.loads(place.replace("{}", json.dumps(marker)))
    text = json.dumps(body, ensure_ascii=False).replace(marker, HOSTILE_STRINGS[kind])
    response = raw_post(api, "/customers", text)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert path in field_errors(response)
    assert customer_count() == 0


def test_a_hostile_string_in_a_settings_patch_is_422(api, make, org):
    customer = make.customer(org)
    for text in ('{"taxExemptCode": "a\\u0000b"}', '{"taxExemptCode": "\\ud800"}', '{"standingPoNumber": "x\\ty"}'):
        response = api.send("PATCH", f"/customers/{customer.id}/settings", text.encode(),
                            content_type="application/merge-patch+json")
        assert response.status_code == 422, (text, response.json)


def test_a_hostile_object_key_is_422(api, make, org):
    customer = make.customer(org)
    response = api.send("PATCH", f"/customers/{customer.id}", b'{"\\ud800": 1}',
                        content_type="application/merge-patch+json")
    assert response.status_code == 422


# --- decimals and digits ---------------------------------------------------------------------------------

def test_negative_zero_tax_rate_is_stored_as_zero(api, new_customer):
    response = api.post("/customers", {**new_customer, "taxRate": -0.0})
    assert response.status_code == 201, response.json
    assert response.json["taxRate"] == "0.00"


@pytest.mark.parametrize("rate", ["-0", "-0.00", "+5", "19,5", " 19", "1e1"])
def test_a_tax_rate_string_is_plain_ascii_digits(api, new_customer, rate):
    response = api.post("/customers", {**new_customer, "taxRate": rate})
    assert response.status_code == 422, response.json
    assert field_errors(response) == {"taxRate": "Enter a number from 0.00 to 100.00."}


@pytest.mark.parametrize("rate", ["١٢", "１２", "12\u00a0", "1_2"])
def test_a_tax_rate_of_non_ascii_digits_is_422(api, new_customer, rate):
    response = api.post("/customers", {**new_customer, "taxRate": rate})
    assert response.status_code == 422, response.json
    assert "taxRate" in field_errors(response) and customer_count() == 0


@pytest.mark.parametrize("rate, shown", [("19", "19.00"), (19, "19.00"), (7.5, "7.50"), ("0.5", "0.50")])
def test_tax_rate_goes_out_as_a_string_with_two_decimals(api, new_customer, rate, shown):
    response = api.post("/customers", {**new_customer, "taxRate": rate})
    assert response.status_code == 201, response.json
    assert response.json["taxRate"] == shown
    assert api.get(response.headers["Location"].removeprefix("/api/v1")).json["taxRate"] == shown


def test_settings_decimals_go_out_as_strings_with_two_decimals(api, make, org):
    customer = make.customer(org)
    response = api.patch(f"/customers/{customer.id}/settings", {"acquisitionCost": 12.5})
    assert response.status_code == 200, response.json
    assert response.json["acquisitionCost"] == "12.50" and response.json["effective"]["acquisitionCost"] == "12.50"


# --- order: a malformed body is 400 before If-Match's 412 ---------------------------------------------

def test_a_malformed_body_with_a_stale_if_match_is_400(api, make, org):
    customer = make.customer(org)
    for path in (f"/customers/{customer.id}", f"/customers/{customer.id}/settings"):
        response = api.send("PATCH", path, b"{not json", headers={"If-Match": '"stale"'},
                            content_type="application/merge-patch+json")
        assert response.status_code == 400, path


def test_a_schema_invalid_body_with_a_stale_if_match_is_422(api, make, org):
    customer = make.customer(org)
    response = api.patch(f"/customers/{customer.id}", {"name": 5}, headers={"If-Match": '"stale"'})
    assert response.status_code == 422


def test_is_primary_null_means_not_primary(api, make, org):
    customer = make.customer(org)
    response = api.post(f"/customers/{customer.id}/contacts", {"email": "bob@example.com", "isPrimary": None})
    assert response.status_code == 201, response.json
    assert response.json["isPrimary"] is False


@pytest.mark.parametrize("status", ["", "deleted"])
def test_an_empty_or_unknown_status_filter_is_422(api, status):
    response = api.get("/customers", status=status)
    assert response.status_code == 422 and "status" in field_errors(response)
