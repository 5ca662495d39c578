"""Database connection settings: SQLite gets WAL, foreign keys and a busy timeout."""
from sqlalchemy import event
from sqlalchemy.engine import Engine


def _sqlite_pragmas(dbapi_connection, _record):
    # Autocommit around the PRAGMAs: journal_mode cannot change inside a transaction.
    previous = dbapi_connection.isolation_level
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    dbapi_connection.isolation_level = previous


def init_app(app):
    """Apply the SQLite pragmas to every new connection of this app's engine."""
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)


def is_sqlite(engine: Engine):
    return engine.dialect.name == "sqlite"
