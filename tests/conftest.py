"""Fixtures: a migrated real database (SQLite file, or PostgreSQL via TEST_DATABASE_URL), the app,
a client that signs in and sends the CSRF token, and factories."""
import os
import re

import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient

from portal import create_app
from portal.extensions import db

TEST_PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The database under test: PostgreSQL when TEST_DATABASE_URL names one, else a SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal-test.sqlite3'}"


@pytest.fixture(scope="session")
def migrated(database_url):
    """Run the Alembic migrations once: the tests use the schema production gets."""
    from flask_migrate import downgrade, upgrade

    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        if database_url.startswith("postgresql"):
            db.session.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        downgrade(revision="base")  # the way down works too
        upgrade()
    return database_url


@pytest.fixture(scope="session")
def password_hash():
    """The test users' hash: argon2id with the least work argon2 allows. A hash carries its parameters, so the
    portal verifies it in well under a millisecond instead of 0.12 s a sign-in (some 4,000 sign-ins a run); the
    portal's own hashing (set-password links, password changes) keeps its parameters."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(TEST_PASSWORD)


def _empty_tables():
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables)
                                   + " RESTART IDENTITY CASCADE"))
    else:
        # Without foreign-key checks: each deleted audit event would scan the table for events that revert it
        # (quadratic after a test that wrote tens of thousands). A pragma outside any transaction, on the raw
        # connection; the tables are emptied children first either way.
        db.session.commit()
        with db.engine.connect() as connection:
            raw = connection.connection.driver_connection
            raw.execute("PRAGMA foreign_keys=OFF")
            try:
                for table in tables:
                    connection.execute(table.delete())
                connection.commit()
            finally:
                raw.execute("PRAGMA foreign_keys=ON")
        return
    db.session.commit()


class IsolatedClient(FlaskClient):
    """Each request starts and ends outside a transaction, as with a real request's fresh session.

    The test's app context (for factories and assertions) is shared with the requests it makes, and so is
    the session; ending its transaction around each request keeps them from seeing each other's snapshot.
    """

    def open(self, *args, **kwargs):
        shared = has_app_context()  # not in a test's worker threads
        if shared:
            db.session.rollback()
            # Flask-Login, Flask-WTF and the API's token lookup cache per request in g
            for cached in ("_login_user", "csrf_token", "bearer_token"):
                g.pop(cached, None)
        try:
            return super().open(*args, **kwargs)
        finally:
            if shared:
                db.session.rollback()


@pytest.fixture(scope="session")
def shared_app(migrated):
    """One app for the run: building one (its 300 routes, its templates, its engine) costs more than most tests."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=migrated)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def app(shared_app):
    """The app on an emptied database, with no rate limit counted yet and its configuration as it was built."""
    from portal.extensions import limiter

    config = dict(shared_app.config)
    with shared_app.app_context():
        _empty_tables()
        limiter.reset()
        try:
            yield shared_app
        finally:
            db.session.remove()
            shared_app.config.clear()
            shared_app.config.update(config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Factory:
    """Builds organizations, users and customers through the same services the portal uses."""

    def __init__(self, password_hash):
        self.password_hash = password_hash
        self._n = 0

    def org(self, slug="acme", name=None):
        from portal.models import LegalEntity
        from portal.services.demo import ensure_organization

        organization = ensure_organization(slug, name or slug.capitalize() + " Corp")
        db.session.add(LegalEntity(organization_id=organization.id, name=f"{slug.capitalize()} Billing GmbH",
                                   country="DE", currency="EUR"))
        db.session.commit()
        return organization

    def user(self, organization, role="manager", email=None):
        from portal.models import User

        user = User(organization_id=organization.id, role=role, email=email or f"{role}@{organization.slug}.test",
                    name=f"{role.capitalize()} of {organization.slug}", password_hash=self.password_hash)
        db.session.add(user)
        db.session.commit()
        return user

    def customer(self, organization, **fields):
        from portal.services.customers import create_customer

        self._n += 1
        data = {"name": f"Customer {self._n}", "country": "DE", "currency": "EUR", "customerType": "B2B",
                "language": "de",
                "primaryContact": {"firstName": "Ada", "lastName": "Lovelace", "email": f"ada{self._n}@example.com"}}
        data.update(fields)
        customer = create_customer(organization.id, data)
        db.session.commit()
        return customer


@pytest.fixture
def make(app, password_hash):
    return Factory(password_hash)


@pytest.fixture
def org(make):
    return make.org("acme")


CSRF_PATTERN = re.compile(r'"X-CSRFToken": "([^"]+)"')


class Auth:
    """Signs a user in through the login form and sends the page's CSRF token with every write."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def login(self, user, password=TEST_PASSWORD):
        page = self.client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = self.client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        self.token = token  # the session keeps its CSRF secret across sign-in
        return response

    def headers(self, htmx=False, **extra):
        headers = {"X-CSRFToken": self.token}
        if htmx:
            headers["HX-Request"] = "true"
        headers.update(extra)
        return headers

    def get(self, url, htmx=False, **extra):
        return self.client.get(url, headers={"HX-Request": "true", **extra} if htmx else extra)

    def post(self, url, data=None, htmx=False, **extra):
        return self.client.post(url, data=data or {}, headers=self.headers(htmx, **extra))

    def open_form(self, url, action_contains=None, htmx=True):
        """GET a page or fragment and return its form as the browser holds it (with what the form read)."""
        from tests.html_forms import post_form

        response = self.get(url, htmx=htmx)
        assert response.status_code == 200, response.get_data(as_text=True)
        return post_form(response.get_data(as_text=True), action_contains)

    def submit(self, form, changes=None, htmx=True, drop=(), **extra):
        """Post a form as read, with `changes` typed into it (a list value for checkbox groups)."""
        data = form.data()
        for name, value in (changes or {}).items():
            data[name] = value if isinstance(value, list) else [value]
        for name in list(data):  # a dropped field may carry the form's prefix
            if any(name == dropped or name.endswith("-" + dropped) for dropped in drop):
                data.pop(name)
        return self.post(form.action, data, htmx=htmx, **extra)

    def save(self, edit_url, changes=None, htmx=True, **extra):
        """Open a click-to-edit form, type `changes` and save, as a user does."""
        return self.submit(self.open_form(edit_url), changes, htmx=htmx, **extra)


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def manager(make, org):
    return make.user(org, "manager")


@pytest.fixture
def as_manager(auth, manager):
    auth.login(manager)
    return auth


class QueryCounter:
    """Counts the SQL statements the app's engine runs."""

    def __init__(self):
        self.count = 0

    def __call__(self, _conn, _cursor, statement, *args):
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            self.count += 1


@pytest.fixture
def count_queries(app):
    from contextlib import contextmanager

    @contextmanager
    def counting():
        counter = QueryCounter()
        sa.event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counter)

    return counting
