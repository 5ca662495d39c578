"""The flask commands of SPEC §3."""
import sqlalchemy as sa

from portal.extensions import db
from portal.models import ApiToken, Customer, Organization, OverdueRule, User
from portal.services.tokens import hash_token


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_seed_demo_is_idempotent_and_prints_logins(runner):
    first = runner.invoke(args=["seed-demo", "--customers", "30"])
    assert first.exit_code == 0, first.output
    assert "admin@acme.example" in first.output and "demo-password" in first.output
    again = runner.invoke(args=["seed-demo", "--customers", "30"])
    assert again.exit_code == 0
    assert count(Organization) == 2 and count(User) == 6
    assert count(Customer) == 60
    assert count(OverdueRule) == 4
    acme = db.session.scalar(sa.select(Organization).where(Organization.slug == "acme"))
    customers = db.session.scalars(sa.select(Customer).where(Customer.organization_id == acme.id)).all()
    assert len({c.country for c in customers}) > 3 and len({c.currency for c in customers}) > 2
    assert all(c.primary_contact and c.addresses for c in customers[:5])


def test_seed_demo_into_an_existing_organization(runner):
    assert runner.invoke(args=["create-org", "--name", "Initech", "--slug", "initech"]).exit_code == 0
    result = runner.invoke(args=["seed-demo", "--customers", "5", "--org", "initech"])
    assert result.exit_code == 0, result.output
    initech = db.session.scalar(sa.select(Organization).where(Organization.slug == "initech"))
    assert count(Customer, Customer.organization_id == initech.id) == 5
    assert count(User) == 0
    assert runner.invoke(args=["seed-demo", "--org", "nope"]).exit_code != 0


def test_create_org_refuses_duplicates_and_bad_slugs(runner):
    assert runner.invoke(args=["create-org", "--name", "A", "--slug", "dup"]).exit_code == 0
    assert "exists already" in runner.invoke(args=["create-org", "--name", "B", "--slug", "dup"]).output
    assert runner.invoke(args=["create-org", "--name", "C", "--slug", "Bad Slug"]).exit_code != 0


def test_create_user_and_sign_in(runner, client, org):
    result = runner.invoke(args=["create-user", "--org", "acme", "--email", "new@acme.example",
                                 "--password", "a long password", "--role", "admin"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "new@acme.example"))
    assert user.role == "admin" and user.password_hash.startswith("$argon2id$")
    short = runner.invoke(args=["create-user", "--org", "acme", "--email", "x@acme.example", "--password", "short",
                                "--role", "viewer"])
    assert short.exit_code != 0 and "at least 10" in short.output


def test_create_api_token_prints_it_once_and_stores_the_hash(runner, org):
    result = runner.invoke(args=["create-api-token", "--org", "acme", "--name", "CRM", "--read-only"])
    secret = result.output.strip()
    assert secret.startswith("cp_")
    token = db.session.scalar(sa.select(ApiToken))
    assert token.token_hash == hash_token(secret) and token.read_only
    assert secret not in (token.token_hash + token.prefix)


def test_cli_writes_leave_audit_events_by_the_command_line(runner):
    from portal.models import AuditEvent

    assert runner.invoke(args=["create-org", "--name", "Initech", "--slug", "initech"]).exit_code == 0
    assert runner.invoke(args=["create-user", "--org", "initech", "--email", "boss@initech.example",
                               "--password", "a long password", "--role", "admin"]).exit_code == 0
    assert runner.invoke(args=["seed-demo", "--customers", "3", "--org", "initech"]).exit_code == 0
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity.in_(["organization", "user"]))
                                .order_by(AuditEvent.id)).all()
    assert [(e.entity, e.action) for e in events] == [("organization", "create"), ("user", "create"),
                                                      ("organization", "seed")]
    assert {e.actor_type for e in events} == {"cli"} and events[1].changes["email"] == [None, "boss@initech.example"]
    assert events[2].changes == {"demoCustomersAdded": [None, 3]}


def test_commands_run_without_a_secret_key_and_serving_explains_it(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    flask = str(Path(sys.executable).with_name("flask"))
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "PORTAL_ENV", "FLASK_DEBUG")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    for args in (["db", "upgrade"], ["create-org", "--name", "Initech", "--slug", "initech"],
                 ["create-api-token", "--org", "initech", "--name", "CRM"]):
        done = subprocess.run([flask, "--app", "portal", *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("cp_")

    from portal import create_app

    app = create_app("production", SECRET_KEY=None, SQLALCHEMY_DATABASE_URI=env["DATABASE_URL"])
    response = app.test_client().get("/login")
    assert response.status_code == 503 and "SECRET_KEY" in response.get_data(as_text=True)
