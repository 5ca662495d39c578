"""Customer group endpoints: list, create, read, merge-patch, delete (a group's settings are in api.settings)."""
import sqlalchemy as sa
from flask import g, request, url_for

from portal.api import WRITE_METHODS, ApiError, bp
from portal.api.common import (
    MERGE_PATCH_TYPES,
    check_if_match,
    etag_of,
    json_body,
    no_content,
    object_id,
    respond,
)
from portal.api.customers import write
from portal.api.representations import group_json
from portal.api.schemas import GROUP_CREATE, GROUP_PATCH, GROUP_READ_ONLY
from portal.domain.validation import ValidationFailed
from portal.extensions import db
from portal.models import CustomerGroup
from portal.services import groups as group_service


def load_group(raw_id):
    """The token's organization's group, or 404; locked for a write, so that If-Match and the change are one step."""
    query = sa.select(CustomerGroup).where(CustomerGroup.id == object_id(raw_id),
                                           CustomerGroup.organization_id == g.api_token.organization_id)
    group = db.session.scalar(query.with_for_update() if request.method in WRITE_METHODS else query)
    if group is None:
        raise ApiError(404, "Not Found", "No such customer group.")
    return group


def _group_json(group):
    return group_json(group, group_service.member_count(group))


def _writable(body):
    """The body without the fields the server sets (sent back from a GET, they are ignored)."""
    return {k: v for k, v in body.items() if k not in GROUP_READ_ONLY}


@bp.get("/groups")
def groups():
    """The organization's customer groups by name, each with how many customers are in it."""
    organization_id = g.api_token.organization_id
    counts = group_service.customer_counts(organization_id)
    return respond({"data": [group_json(group, counts.get(group.id, 0))
                             for group in group_service.organization_groups(organization_id)]})


@bp.post("/groups")
@write
def create_group():
    """Create a group (its name unique in the organization); its settings all inherit at first."""
    body = _writable(json_body(GROUP_CREATE))
    group = group_service.create(g.api_token.organization_id, body)
    return respond(_group_json(group), 201, {"Location": url_for("api.group", group_id=str(group.id))})


@bp.get("/groups/<group_id>")
def group(group_id):
    return respond(_group_json(load_group(group_id)))


@bp.patch("/groups/<group_id>")
@write
def patch_group(group_id):
    """JSON merge patch of the name and description (a null description empties it)."""
    body = _writable(json_body(GROUP_PATCH, MERGE_PATCH_TYPES))
    group = load_group(group_id)
    check_if_match(etag_of(_group_json(group)))
    group_service.update(group, body)
    db.session.flush()
    return respond(_group_json(group))


@bp.delete("/groups/<group_id>")
@write
def delete_group(group_id):
    """Delete a group without customers; one with customers is a 409 that says how many."""
    group = load_group(group_id)
    check_if_match(etag_of(_group_json(group)))
    try:
        group_service.delete(group)
    except ValidationFailed as refused:
        raise ApiError(409, "Conflict", refused.errors["group"]) from None
    return no_content()
