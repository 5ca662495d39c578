"""Address and contact endpoints: the same rules as the detail page's forms."""
import pytest


@pytest.fixture
def customer(make, org):
    return make.customer(org, name="Parts GmbH")


def test_add_change_and_remove_a_shipping_address(api, customer):
    base = f"/customers/{customer.id}/addresses"
    created = api.post(base, {"type": "shipping", "name": "Warehouse", "line1": "Dock 4", "city": "Hamburg",
                              "postalCode": "20095", "country": "DE"})
    assert created.status_code == 201, created.json
    address = created.json
    assert address["type"] == "shipping" and not address["isMain"]
    changed = api.patch(f"{base}/{address['id']}", {"city": "Bremen"}, headers={"If-Match": created.headers["ETag"]})
    assert changed.status_code == 200 and changed.json["city"] == "Bremen"
    stale = api.delete(f"{base}/{address['id']}", headers={"If-Match": created.headers["ETag"]})
    assert stale.status_code == 412
    assert api.delete(f"{base}/{address['id']}").status_code == 204
    assert [a["isMain"] for a in api.get(base).json["data"]] == [True]


def test_invoice_address_1_carries_the_name_and_stays(api, customer):
    main = api.get(f"/customers/{customer.id}/addresses").json["data"][0]
    assert main["name"] == "Parts GmbH"
    renamed = api.patch(f"/customers/{customer.id}/addresses/{main['id']}", {"name": "Parts & Co. KG"})
    assert renamed.json["name"] == "Parts & Co. KG"
    assert api.get(f"/customers/{customer.id}").json["name"] == "Parts & Co. KG"
    removal = api.delete(f"/customers/{customer.id}/addresses/{main['id']}")
    assert removal.status_code == 422
    assert removal.json["errors"] == [{"field": "address", "message": "Invoice address 1 cannot be removed."}]
    assert api.patch(f"/customers/{customer.id}/addresses/{main['id']}", {"type": "shipping"}).status_code == 422


def test_address_validation(api, customer):
    response = api.post(f"/customers/{customer.id}/addresses", {"line1": "x", "country": "ZZ", "type": "home"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json["errors"]} == {"type", "country"}  # the schema states both
    response = api.post(f"/customers/{customer.id}/addresses", {"line1": "x", "country": "ZZ"})
    assert response.json["errors"] == [{"field": "country", "message": "Choose a country (ISO 3166-1 alpha-2 code)."}]


def test_contacts_primary_moves_and_email_is_unique(api, customer):
    base = f"/customers/{customer.id}/contacts"
    first = api.get(base).json["data"][0]
    created = api.post(base, {"firstName": "Grace", "email": "grace@parts.example",
                              "emailPreferences": ["legal"], "isPrimary": True})
    assert created.status_code == 201, created.json
    contacts = api.get(base).json["data"]
    assert [c["isPrimary"] for c in contacts] == [True, False]
    assert contacts[0]["email"] == "grace@parts.example"
    assert api.get(f"/customers/{customer.id}").json["primaryContact"]["email"] == "grace@parts.example"
    assert api.get("/customers", q="grace@parts").json["data"][0]["id"] == str(customer.id)

    duplicate = api.post(base, {"email": first["email"].upper()})
    assert duplicate.status_code == 422
    assert duplicate.json["errors"][0]["message"] == "Another contact of this customer has this email."

    unprimary = api.patch(f"{base}/{created.json['id']}", {"isPrimary": False})
    assert unprimary.status_code == 422
    assert api.delete(f"{base}/{created.json['id']}").status_code == 422  # the primary stays
    assert api.delete(f"{base}/{first['id']}").status_code == 204


def test_contact_preferences_are_checked(api, customer):
    response = api.post(f"/customers/{customer.id}/contacts", {"email": "a@b.example", "emailPreferences": ["spam"]})
    assert response.status_code == 422


def test_parts_of_other_customers_are_404(api, make, org, customer):
    other = make.customer(org)
    assert api.get(f"/customers/{customer.id}/contacts/{other.primary_contact.id}").status_code == 404
    assert api.get(f"/customers/{customer.id}/addresses/{other.addresses[0].id}").status_code == 404
    assert api.get(f"/customers/{customer.id}/addresses/abc").status_code == 404


def test_changes_are_audited(api, customer):
    api.post(f"/customers/{customer.id}/addresses", {"line1": "Dock 4", "country": "DE", "type": "shipping"})
    events = api.get(f"/customers/{customer.id}/events").json["data"]
    assert events[0]["entity"] == "address" and events[0]["action"] == "create"
    assert events[0]["changes"]["line1"] == {"old": None, "new": "Dock 4"}
