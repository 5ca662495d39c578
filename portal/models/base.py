"""Column helpers shared by the models."""
from datetime import UTC, datetime

import sqlalchemy as sa

from portal.domain.settings_fields import INHERITABLE_FIELDS, STORED_FIELDS
from portal.extensions import db


def utcnow():
    """The current time in UTC, without tzinfo (as the database stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def created_at_column():
    return db.Column(db.DateTime, nullable=False, default=utcnow)


def updated_at_column():
    return db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


_COLUMN_TYPES = {
    "bool": sa.Boolean,
    "enum": lambda: sa.String(40),
    "int": sa.Integer,
    "decimal": lambda: sa.Numeric(14, 2),
    "string": lambda: sa.String(255),
    "term": lambda: sa.String(16),
    "json": sa.JSON,
    "ladder": sa.Integer,
}


def add_setting_columns(model, fields=STORED_FIELDS):
    """Give a settings layer one nullable column per field: NULL means 'not set here, inherit'."""
    for setting in fields:
        column_type = _COLUMN_TYPES[setting.kind]()
        setattr(model, setting.column, db.Column(setting.column, column_type, nullable=True))


def add_tally_columns(model):
    """Give a tally one count per inheritable setting, named as the setting's column."""
    for setting in INHERITABLE_FIELDS:
        if setting.stored:
            setattr(model, setting.column, db.Column(setting.column, sa.Integer, nullable=False, server_default="0"))
