"""Address and contact endpoints of a customer: one definition, registered for both kinds."""
from dataclasses import dataclass

from flask import url_for

from portal.api import ApiError, bp
from portal.api.common import (
    MERGE_PATCH_TYPES,
    check_if_match,
    etag_of,
    json_body,
    no_content,
    object_id,
    respond,
)
from portal.api.customers import load_customer, write
from portal.api.representations import address_json, contact_json
from portal.api.schemas import (
    ADDRESS_CREATE,
    ADDRESS_PATCH,
    CONTACT_CREATE,
    CONTACT_PATCH,
)
from portal.extensions import db
from portal.services import addresses as address_service
from portal.services import contacts as contact_service

READ_ONLY = ("id", "uri", "isMain")


@dataclass(frozen=True)
class PartKind:
    """One kind of customer part as the API serves it."""

    name: str  # address | contact (also the item endpoint's name)
    collection: str  # addresses | contacts
    items: object  # customer -> its parts
    representation: object
    create_schema: dict
    patch_schema: dict
    create: object
    update: object
    delete: object

    def find(self, customer, raw_id):
        wanted = object_id(raw_id)
        found = next((item for item in self.items(customer) if item.id == wanted), None)
        if found is None:
            raise ApiError(404, "Not Found", f"No such {self.name}.")
        return found


def _writable(body, current):
    errors = [{"field": k, "message": "Read-only field."} for k in READ_ONLY if k in body and body[k] != current.get(k)]
    if errors:
        raise ApiError(422, "Unprocessable Content", "Read-only fields cannot change.", errors)
    writable = {k: v for k, v in body.items() if k not in READ_ONLY}
    if "isPrimary" in writable and writable["isPrimary"] is None:  # merge patch: null resets to the default, false
        if current:
            writable["isPrimary"] = False
        else:
            del writable["isPrimary"]
    return writable


def register(kind):
    """The five endpoints of a kind: list, add, read, merge-patch, delete."""
    base = f"/customers/<customer_id>/{kind.collection}"
    item_arg = f"{kind.name}_id"

    def list_parts(customer_id):
        return respond({"data": [kind.representation(p) for p in kind.items(load_customer(customer_id))]})

    def create_part(customer_id):
        body = json_body(kind.create_schema)
        part = kind.create(load_customer(customer_id), _writable(body, {}))
        location = url_for(f"api.{kind.name}", customer_id=customer_id, **{item_arg: str(part.id)})
        return respond(kind.representation(part), 201, {"Location": location})

    def read_part(customer_id, **ids):
        return respond(kind.representation(kind.find(load_customer(customer_id), ids[item_arg])))

    def patch_part(customer_id, **ids):
        body = json_body(kind.patch_schema, MERGE_PATCH_TYPES)
        part = kind.find(load_customer(customer_id), ids[item_arg])
        current = kind.representation(part)
        check_if_match(etag_of(current))
        kind.update(part, _writable(body, current))
        db.session.flush()
        return respond(kind.representation(part))

    def delete_part(customer_id, **ids):
        part = kind.find(load_customer(customer_id), ids[item_arg])
        check_if_match(etag_of(kind.representation(part)))
        kind.delete(part)
        return no_content()

    item = f"{base}/<{item_arg}>"
    bp.add_url_rule(base, f"{kind.collection}", list_parts, methods=["GET"])
    bp.add_url_rule(base, f"create_{kind.name}", write(create_part), methods=["POST"])
    bp.add_url_rule(item, kind.name, read_part, methods=["GET"])
    bp.add_url_rule(item, f"patch_{kind.name}", write(patch_part), methods=["PATCH"])
    bp.add_url_rule(item, f"delete_{kind.name}", write(delete_part), methods=["DELETE"])


register(PartKind("address", "addresses", lambda c: c.addresses, address_json, ADDRESS_CREATE, ADDRESS_PATCH,
                  address_service.create_address, address_service.update_address, address_service.delete_address))
register(PartKind("contact", "contacts", lambda c: c.contacts, contact_json, CONTACT_CREATE, CONTACT_PATCH,
                  contact_service.create_contact, contact_service.update_contact, contact_service.delete_contact))
