"""Legal entities: the companies of an organization that customers are billed under. They are archived, never
deleted: customers that use one keep it, new customers are not offered it."""
import sqlalchemy as sa

from portal.domain import validation as rules
from portal.domain.validation import Errors
from portal.extensions import db
from portal.models import Customer, LegalEntity
from portal.models.base import utcnow
from portal.services import audit

FIELDS = ("name", "country", "currency")


def organization_entities(organization_id, include_archived=True):
    """The organization's legal entities, active ones first, by name."""
    query = sa.select(LegalEntity).where(LegalEntity.organization_id == organization_id)
    if not include_archived:
        query = query.where(LegalEntity.archived_at.is_(None))
    return db.session.scalars(query.order_by(LegalEntity.archived_at.is_not(None), LegalEntity.name)).all()


def customer_counts(organization_id):
    """{legal entity id: how many customers (any status) use it}."""
    return dict(db.session.execute(
        sa.select(Customer.legal_entity_id, sa.func.count()).where(
            Customer.organization_id == organization_id, Customer.legal_entity_id.is_not(None))
        .group_by(Customer.legal_entity_id)).all())


def clean(organization_id, data, entity=None):
    errors = Errors()
    cleaned = {
        "name": errors.check("name", rules.required_text, data.get("name"), 200, "Name"),
        "country": errors.check("country", rules.country, data.get("country") or None),
        "currency": errors.check("currency", rules.currency, data.get("currency") or None),
    }
    if cleaned["name"]:
        same = sa.select(LegalEntity.id).where(LegalEntity.organization_id == organization_id,
                                               sa.func.lower(LegalEntity.name) == cleaned["name"].lower())
        if entity is not None:
            same = same.where(LegalEntity.id != entity.id)
        if db.session.scalar(same):
            errors["name"] = "Another legal entity has this name."
    errors.raise_if_any()
    return cleaned


def create(organization_id, data):
    cleaned = clean(organization_id, data)
    entity = LegalEntity(organization_id=organization_id, **cleaned)
    db.session.add(entity)
    db.session.flush()
    audit.record(organization_id, "legalEntity", entity.id, "create", {k: [None, v] for k, v in cleaned.items()})
    return entity


def update(entity, data):
    cleaned = clean(entity.organization_id, data, entity)
    before = {field: getattr(entity, field) for field in FIELDS}
    for field, value in cleaned.items():
        setattr(entity, field, value)
    changed = audit.diff(before, cleaned)
    if changed:
        audit.record(entity.organization_id, "legalEntity", entity.id, "update", changed)
    return changed


def archive(entity):
    if entity.archived_at is None:
        entity.archived_at = utcnow()
        audit.record(entity.organization_id, "legalEntity", entity.id, "archive", {"archived": [False, True]})


def restore(entity):
    if entity.archived_at is not None:
        entity.archived_at = None
        audit.record(entity.organization_id, "legalEntity", entity.id, "restore", {"archived": [True, False]})
