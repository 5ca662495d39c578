"""Idempotency-Key: the first response to a POST is kept 24 hours per token and replayed."""
import hashlib
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import IdempotencyRecord
from portal.models.base import utcnow

KEEP = timedelta(hours=24)
LEASE_SECONDS = 30  # default of IDEMPOTENCY_LEASE_SECONDS
MAX_KEY_LENGTH = 255


class KeyReused(Exception):
    """The key was used before with a different request."""


class StillRunning(Exception):
    """The first request with this key has not finished yet."""


def request_fingerprint(method, path, body):
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


@dataclass(frozen=True)
class Replay:
    """A finished request's response, as plain values (no ORM instance another request could delete under us)."""

    status_code: int
    response_body: str
    response_headers: dict


def lease_seconds():
    """How long a claim holds before a retry may take it over (the request that made it is taken to have died)."""
    return float(current_app.config.get("IDEMPOTENCY_LEASE_SECONDS", LEASE_SECONDS))


def _key_matches(token_id, key):
    return sa.and_(IdempotencyRecord.token_id == token_id, IdempotencyRecord.key == key)


def claim(token_id, key, fingerprint):
    """The finished response to replay, or None after reserving the key for this request (committed).

    A reservation older than the lease belongs to a request that died mid-way (a crash or a killed worker never
    releases its key): this request takes it over, so a retry proceeds instead of meeting 409 for 24 hours.
    """
    now = utcnow()
    db.session.execute(sa.delete(IdempotencyRecord).where(
        IdempotencyRecord.token_id == token_id, IdempotencyRecord.created_at < now - KEEP))
    for _attempt in range(3):
        row = db.session.execute(sa.select(
            IdempotencyRecord.id, IdempotencyRecord.request_hash, IdempotencyRecord.status_code,
            IdempotencyRecord.response_body, IdempotencyRecord.response_headers, IdempotencyRecord.created_at,
        ).where(_key_matches(token_id, key))).first()
        if row is not None:
            if row.request_hash != fingerprint:
                db.session.commit()
                raise KeyReused()
            if row.status_code is not None:
                db.session.commit()
                return Replay(row.status_code, row.response_body, dict(row.response_headers or {}))
            if row.created_at >= now - timedelta(seconds=lease_seconds()):
                db.session.commit()
                raise StillRunning()
            taken = db.session.execute(sa.update(IdempotencyRecord).where(
                IdempotencyRecord.id == row.id, IdempotencyRecord.status_code.is_(None),
                IdempotencyRecord.created_at == row.created_at).values(created_at=now))
            db.session.commit()
            if taken.rowcount == 1:
                return None
            continue  # another retry took it over first: look again
        db.session.add(IdempotencyRecord(token_id=token_id, key=key, request_hash=fingerprint, created_at=now))
        try:
            db.session.commit()
            return None
        except IntegrityError:  # a concurrent request claimed it first
            db.session.rollback()
    raise StillRunning()


def complete(token_id, key, response):
    """Store the response with the change it describes (the caller commits both together)."""
    db.session.execute(sa.update(IdempotencyRecord).where(
        _key_matches(token_id, key), IdempotencyRecord.status_code.is_(None)).values(
        status_code=response.status_code, response_body=response.get_data(as_text=True),
        response_headers={k: v for k, v in response.headers.items() if k in ("Content-Type", "ETag", "Location")}))


def release(token_id, key):
    """Forget a claim whose request failed, so that the client may retry with the same key."""
    db.session.rollback()
    db.session.execute(sa.delete(IdempotencyRecord).where(
        _key_matches(token_id, key), IdempotencyRecord.status_code.is_(None)))
    db.session.commit()
