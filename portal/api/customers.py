"""Customer endpoints: list, create, read, merge-patch, events."""
from functools import wraps

import re

import sqlalchemy as sa
from flask import Response, g, request, url_for
from sqlalchemy.orm import selectinload

from portal.api import WRITE_METHODS, ApiError, boundary, bp
from portal.api.boundary import ID_DIGITS
from portal.api.common import (
    MERGE_PATCH_TYPES,
    check_if_match,
    decode_cursor,
    encode_cursor,
    etag_of,
    json_body,
    limit_arg,
    object_id,
    respond,
)
from portal.api.representations import customer_json, event_json
from portal.api.schemas import CUSTOMER_CREATE, CUSTOMER_PATCH, CUSTOMER_READ_ONLY
from portal.domain import validation as rules
from portal.extensions import db
from portal.models import AuditEvent, Customer
from portal.services import customer_search, idempotency
from portal.services import customers as customer_service
from portal.services.unique_races import once_more_on_unique_race


def _run(view, *args, **kwargs):
    """Run a writing view up to its flush; a unique-key race runs it once more (then the rules answer 422)."""

    def attempt():
        response = view(*args, **kwargs)
        db.session.flush()
        return response

    def give_up():
        raise ApiError(409, "Conflict", "Another request wrote the same data at the same time; GET the resource "
                                        "and try again.")

    return once_more_on_unique_race(attempt, give_up)


def write(view):
    """Commit the view's change with its response; POSTs with an Idempotency-Key run once."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        if key is None:
            response = _run(view, *args, **kwargs)
            db.session.commit()
            return response
        if not key.strip() or len(key) > idempotency.MAX_KEY_LENGTH:
            raise ApiError(422, "Unprocessable Content", "Invalid Idempotency-Key.",
                           [{"field": "Idempotency-Key", "message": "1 to 255 characters."}])
        token_id = g.api_token.id
        fingerprint = idempotency.request_fingerprint(request.method, request.path, request.get_data(cache=True))
        try:
            record = idempotency.claim(token_id, key, fingerprint)
        except idempotency.KeyReused:
            raise ApiError(422, "Unprocessable Content", "This Idempotency-Key was used with a different request.",
                           [{"field": "Idempotency-Key", "message": "Used before with a different body."}]) from None
        except idempotency.StillRunning:
            raise ApiError(409, "Conflict", "A request with this Idempotency-Key is still in flight; retry shortly.",
                           headers={"Retry-After": "1"}) from None
        if record is not None:
            return Response(record.response_body, status=record.status_code,
                            headers={**record.response_headers, "Idempotent-Replayed": "true"})
        try:
            response = _run(view, *args, **kwargs)
            idempotency.complete(token_id, key, response)
            db.session.commit()
        except BaseException:
            idempotency.release(token_id, key)
            raise
        return response

    return wrapped


def load_customer(raw_id):
    """The token's organization's customer; locked for a write, so that If-Match and the change are one step."""
    return customer_service.load_customer(g.api_token.organization_id, object_id(raw_id),
                                          for_update=request.method in WRITE_METHODS)


# A group's id, or "none": the customers in no group.
GROUP_FILTER = "^(none|" + ID_DIGITS.removeprefix("^").removesuffix("$") + ")$"


def _list_filter():
    args = request.args
    errors = []
    for name, codes in (("country", rules.COUNTRY_CODES), ("currency", rules.CURRENCY_CODES)):
        if name in args and args[name] not in codes:
            errors.append({"field": name, "message": f"Unknown {name} code (upper case ISO code)."})
    if "status" in args and args["status"] not in ("active", "archived"):
        errors.append({"field": "status", "message": "active or archived."})
    if "legalEntityId" in args and not re.match(ID_DIGITS, args["legalEntityId"]):
        errors.append({"field": "legalEntityId", "message": "A numeric id."})
    if "groupId" in args and not re.fullmatch(GROUP_FILTER, args["groupId"]):
        errors.append({"field": "groupId", "message": "A numeric id, or none for customers in no group."})
    for name in ("q", "alias"):
        problem = boundary.string_problem(args.get(name, ""))
        if problem:
            errors.append({"field": name, "message": problem})
    if errors:
        raise ApiError(422, "Unprocessable Content", "Invalid query parameters.", errors)
    flt = customer_search.CustomerFilter.from_args(args)
    flt.status = args.get("status") or "all"
    return flt


@bp.get("/customers")
def customers():
    """Search and filter customers; cursor pagination by id, stable under inserts."""
    flt = _list_filter()
    limit = limit_arg()
    after = decode_cursor(request.args.get("cursor"))
    query = customer_search.filtered_customers(g.api_token.organization_id, flt).options(
        selectinload(Customer.aliases), selectinload(Customer.addresses), selectinload(Customer.contacts))
    if after is not None:
        query = query.where(Customer.id > after)
    rows = db.session.scalars(query.order_by(Customer.id).limit(limit + 1)).all()
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].id) if len(rows) > limit else None
    return respond({"data": [customer_json(c) for c in page], "nextCursor": next_cursor})


@bp.post("/customers")
@write
def create_customer():
    """Create a customer by the New customer form's rules."""
    body = json_body(CUSTOMER_CREATE)
    customer = customer_service.create_customer(g.api_token.organization_id, body)
    db.session.flush()
    customer = load_customer(str(customer.id))
    representation = customer_json(customer)
    return respond(representation, 201, {"Location": url_for("api.customer", customer_id=str(customer.id))})


@bp.get("/customers/<customer_id>")
def customer(customer_id):
    return respond(customer_json(load_customer(customer_id)))


@bp.patch("/customers/<customer_id>")
@write
def patch_customer(customer_id):
    """JSON merge patch of the customer's own fields; archive and restore through `status`."""
    body = json_body(CUSTOMER_PATCH, MERGE_PATCH_TYPES)
    customer = load_customer(customer_id)
    current = customer_json(customer)
    check_if_match(etag_of(current))
    errors = [{"field": name, "message": "Read-only field."}
              for name in CUSTOMER_READ_ONLY if name in body and body[name] != current[name]]
    if errors:
        raise ApiError(422, "Unprocessable Content", "Read-only fields cannot change.", errors)
    changes = {k: v for k, v in body.items() if k not in CUSTOMER_READ_ONLY}
    customer_service.update_customer(customer, changes)
    db.session.flush()
    db.session.refresh(customer)
    return respond(customer_json(load_customer(customer_id)))


@bp.get("/customers/<customer_id>/events")
def customer_events(customer_id):
    """The customer's audit events, newest first."""
    customer = load_customer(customer_id)
    limit = limit_arg()
    before = decode_cursor(request.args.get("cursor"))
    query = sa.select(AuditEvent).where(AuditEvent.organization_id == customer.organization_id,
                                        AuditEvent.customer_id == customer.id)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    return respond({"data": [event_json(e) for e in page],
                    "nextCursor": encode_cursor(page[-1].id) if len(rows) > limit else None})
