"""Idempotency-Key: the first response to a POST is kept 24 hours per token and replayed."""
import hashlib
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import IdempotencyRecord
from portal.models.base import utcnow

KEEP = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class KeyReused(Exception):
    """The key was used before with a different request."""


class StillRunning(Exception):
    """The first request with this key has not finished yet."""


def request_fingerprint(method, path, body):
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def _find(token_id, key):
    return db.session.scalar(sa.select(IdempotencyRecord).where(
        IdempotencyRecord.token_id == token_id, IdempotencyRecord.key == key))


def claim(token_id, key, fingerprint):
    """The finished record to replay, or None after reserving the key for this request (committed)."""
    db.session.execute(sa.delete(IdempotencyRecord).where(
        IdempotencyRecord.token_id == token_id, IdempotencyRecord.created_at < utcnow() - KEEP))
    for _attempt in range(2):
        record = _find(token_id, key)
        if record is not None:
            db.session.commit()
            if record.request_hash != fingerprint:
                raise KeyReused()
            if record.status_code is None:
                raise StillRunning()
            return record
        db.session.add(IdempotencyRecord(token_id=token_id, key=key, request_hash=fingerprint))
        try:
            db.session.commit()
            return None
        except IntegrityError:  # a concurrent request claimed it first
            db.session.rollback()
    raise StillRunning()


def complete(token_id, key, response):
    """Store the response with the change it describes (the caller commits both together)."""
    record = _find(token_id, key)
    record.status_code = response.status_code
    record.response_body = response.get_data(as_text=True)
    record.response_headers = {k: v for k, v in response.headers.items()
                               if k in ("Content-Type", "ETag", "Location")}


def release(token_id, key):
    """Forget a claim whose request failed, so that the client may retry with the same key."""
    db.session.rollback()
    db.session.execute(sa.delete(IdempotencyRecord).where(
        IdempotencyRecord.token_id == token_id, IdempotencyRecord.key == key,
        IdempotencyRecord.status_code.is_(None)))
    db.session.commit()
