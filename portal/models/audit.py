"""Audit events and API idempotency records."""
from portal.extensions import db
from portal.models.base import created_at_column


class AuditEvent(db.Model):
    """One change: who, when, what, field by field, and why."""

    __table_args__ = (
        db.Index("ix_audit_event_customer", "organization_id", "customer_id", "id"),
        db.Index("ix_audit_event_import", "import_id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    organization_id = db.Column(db.ForeignKey("organization.id"), nullable=False)
    customer_id = db.Column(db.ForeignKey("customer.id", ondelete="CASCADE"))
    entity = db.Column(db.String(40), nullable=False)
    entity_id = db.Column(db.String(40), nullable=False)
    action = db.Column(db.String(16), nullable=False)
    actor_type = db.Column(db.String(8), nullable=False)
    actor_id = db.Column(db.Integer)
    actor_name = db.Column(db.String(254), nullable=False)
    reason = db.Column(db.String(500))
    changes = db.Column(db.JSON, nullable=False, default=dict)
    created_at = created_at_column()
    # Set on the event of a revert: the event whose change it undid (its `reason` says so in words).
    reverts_event_id = db.Column(db.ForeignKey("audit_event.id", ondelete="SET NULL"))
    # Set on the events of a CSV import: the import (customer_import.id) that made the change.
    import_id = db.Column(db.Integer)


class IdempotencyRecord(db.Model):
    """The first response to a POST with an Idempotency-Key, kept 24 hours per token."""

    __table_args__ = (db.UniqueConstraint("token_id", "key"),)

    id = db.Column(db.Integer, primary_key=True)
    token_id = db.Column(db.ForeignKey("api_token.id", ondelete="CASCADE"), nullable=False)
    key = db.Column(db.String(255), nullable=False)
    request_hash = db.Column(db.String(64), nullable=False)
    status_code = db.Column(db.Integer)
    response_body = db.Column(db.Text)
    response_headers = db.Column(db.JSON)
    created_at = created_at_column()
