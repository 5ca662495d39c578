"""SQLite's write lock held by someone else (a large import's apply) beyond the busy timeout: a change answers 503
with Retry-After and a message, and nothing is saved — not a 500."""
import sqlite3

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Customer


@pytest.fixture
def quick_timeout(monkeypatch):
    from portal import db_setup

    monkeypatch.setattr(db_setup, "BUSY_TIMEOUT_MS", 200)


def test_a_change_while_the_database_is_locked_is_a_503(quick_timeout, migrated, make, password_hash):
    if not migrated.startswith("sqlite"):
        pytest.skip("SQLite's database-wide write lock")
    from portal import create_app
    from tests.conftest import Auth, IsolatedClient

    app = create_app("test", SQLALCHEMY_DATABASE_URI=migrated)  # a new engine: its connections get the short timeout
    app.test_client_class = IsolatedClient
    with app.app_context():
        from tests.conftest import Factory, _empty_tables

        _empty_tables()
        factory = Factory(password_hash)
        org = factory.org("acme")
        customer = factory.customer(org, name="Before AG")
        auth = Auth(app.test_client())
        auth.login(factory.user(org, "manager"))
        form = auth.open_form(f"/customers/{customer.id}/sections/general/edit")
        holder = sqlite3.connect(migrated.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            response = auth.submit(form, {"general-name": "During Lock AG"})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert "The database is busy writing a large change" in response.get_data(as_text=True)
        db.session.rollback()
        assert db.session.scalar(sa.select(Customer.name).where(Customer.id == customer.id)) == "Before AG"
        db.session.remove()
