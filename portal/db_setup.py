"""Database connection settings: SQLite gets WAL, foreign keys, a busy timeout and immediate writes."""
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context, request
from sqlalchemy import event

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BUSY_TIMEOUT_MS = 20_000


def _readable(value):
    """A stored JSON value with any lone surrogate shown as U+FFFD (no UTF-8 encodes one, so no page could)."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_readable(item) for item in value]
    if isinstance(value, dict):
        return {_readable(key): _readable(item) for key, item in value.items()}
    return value


def json_from_database(text):
    """JSON columns as read: rows stored before the input boundary existed must not break a page."""
    import json

    if isinstance(text, (bytes, bytearray, memoryview)):  # psycopg hands over the raw bytes
        text = bytes(text).decode()
    value = json.loads(text)
    return _readable(value) if "\\ud" in text.lower() else value


def _sqlite_connect(dbapi_connection, _record):
    # Let SQLAlchemy's "begin" event below open transactions, not the sqlite3 module.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # A writer waits this long for the lock: an import's apply holds it for about 7 s per 50,000 new customers.
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_writing = ContextVar("sqlite_immediate", default=False)


@contextmanager
def writing_transactions():
    """Every transaction begun inside takes SQLite's write lock up front (a background job that reads, then writes:
    a read that turns into a write cannot wait for the lock, it fails at once if another writer came first)."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def _sqlite_begin(connection):
    # A writing request takes the write lock up front: a second writer waits and then reads the
    # first one's result, so version checks (ETag, form version) see the newest row.
    # Signing in only reads (and checks a slow password hash): it must not queue behind writers.
    immediate = _writing.get() or (has_request_context() and request.method in WRITE_METHODS
                                   and request.endpoint != "auth.login")
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def init_app(app):
    """Apply the SQLite settings to this app's engine."""
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
