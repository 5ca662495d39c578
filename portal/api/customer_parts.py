"""Address and contact endpoints of a customer."""
from flask import url_for

from portal.api import ApiError, bp
from portal.api.common import MERGE_PATCH_TYPES, check_if_match, etag_of, json_body, object_id, respond
from portal.api.customers import load_customer, write
from portal.api.representations import address_json, contact_json
from portal.api.schemas import ADDRESS_CREATE, ADDRESS_PATCH, CONTACT_CREATE, CONTACT_PATCH
from portal.extensions import db
from portal.services import addresses as address_service
from portal.services import contacts as contact_service

READ_ONLY = ("id", "uri", "isMain")


def _part(items, raw_id, what):
    wanted = object_id(raw_id)
    found = next((item for item in items if item.id == wanted), None)
    if found is None:
        raise ApiError(404, "Not Found", f"No such {what}.")
    return found


def _writable(body, current):
    errors = [{"field": k, "message": "Read-only field."} for k in READ_ONLY if k in body and body[k] != current.get(k)]
    if errors:
        raise ApiError(422, "Unprocessable Content", "Read-only fields cannot change.", errors)
    return {k: v for k, v in body.items() if k not in READ_ONLY}


def _no_body():
    response = respond({})
    response.status_code = 204
    response.set_data(b"")
    del response.headers["Content-Type"]
    return response


@bp.get("/customers/<customer_id>/addresses")
def addresses(customer_id):
    return respond({"data": [address_json(a) for a in load_customer(customer_id).addresses]})


@bp.post("/customers/<customer_id>/addresses")
@write
def create_address(customer_id):
    customer = load_customer(customer_id)
    body = _writable(json_body(ADDRESS_CREATE), {})
    address = address_service.create_address(customer, body)
    return respond(address_json(address), 201, {"Location": url_for("api.address", customer_id=customer_id,
                                                                    address_id=str(address.id))})


@bp.get("/customers/<customer_id>/addresses/<address_id>")
def address(customer_id, address_id):
    return respond(address_json(_part(load_customer(customer_id).addresses, address_id, "address")))


@bp.patch("/customers/<customer_id>/addresses/<address_id>")
@write
def patch_address(customer_id, address_id):
    address = _part(load_customer(customer_id).addresses, address_id, "address")
    current = address_json(address)
    check_if_match(etag_of(current))
    body = _writable(json_body(ADDRESS_PATCH, MERGE_PATCH_TYPES), current)
    address_service.update_address(address, body)
    db.session.flush()
    return respond(address_json(address))


@bp.delete("/customers/<customer_id>/addresses/<address_id>")
@write
def delete_address(customer_id, address_id):
    address = _part(load_customer(customer_id).addresses, address_id, "address")
    check_if_match(etag_of(address_json(address)))
    address_service.delete_address(address)
    return _no_body()


@bp.get("/customers/<customer_id>/contacts")
def contacts(customer_id):
    return respond({"data": [contact_json(c) for c in load_customer(customer_id).contacts]})


@bp.post("/customers/<customer_id>/contacts")
@write
def create_contact(customer_id):
    customer = load_customer(customer_id)
    body = _writable(json_body(CONTACT_CREATE), {})
    contact = contact_service.create_contact(customer, body)
    return respond(contact_json(contact), 201, {"Location": url_for("api.contact", customer_id=customer_id,
                                                                    contact_id=str(contact.id))})


@bp.get("/customers/<customer_id>/contacts/<contact_id>")
def contact(customer_id, contact_id):
    return respond(contact_json(_part(load_customer(customer_id).contacts, contact_id, "contact")))


@bp.patch("/customers/<customer_id>/contacts/<contact_id>")
@write
def patch_contact(customer_id, contact_id):
    contact = _part(load_customer(customer_id).contacts, contact_id, "contact")
    current = contact_json(contact)
    check_if_match(etag_of(current))
    body = _writable(json_body(CONTACT_PATCH, MERGE_PATCH_TYPES), current)
    contact_service.update_contact(contact, body)
    db.session.flush()
    return respond(contact_json(contact))


@bp.delete("/customers/<customer_id>/contacts/<contact_id>")
@write
def delete_contact(customer_id, contact_id):
    contact = _part(load_customer(customer_id).contacts, contact_id, "contact")
    check_if_match(etag_of(contact_json(contact)))
    contact_service.delete_contact(contact)
    return _no_body()
