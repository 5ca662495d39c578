"""Organization → Users: add with a one-time set-password link, roles, deactivation, resets, the last admin, your own
password; each ends the affected user's sessions where SPEC §4 says so and leaves an audit event."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, User, UserSession
from tests.conftest import TEST_PASSWORD, Auth

NEW_PASSWORD = "a long new password 42"


@pytest.fixture
def admin(make, org):
    return make.user(org, "admin")


@pytest.fixture
def as_admin(app, admin):
    auth = Auth(app.test_client())
    auth.login(admin)
    return auth


def _link(html):
    match = re.search(r'id="password-link-url">https?://[^/]+(/set-password/[^<]+)<', html)
    return match and match.group(1)


def _set_password(app, path, password=NEW_PASSWORD, confirm=None):
    client = app.test_client()
    page = client.get(path)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(path, data={"csrf_token": token, "password": password,
                                   "confirm": password if confirm is None else confirm})


def _signed_in(app, user, password=NEW_PASSWORD):
    auth = Auth(app.test_client())
    auth.login(user, password)
    return auth


def _reload(user):
    db.session.rollback()
    return db.session.get(User, user.id)


def test_an_admin_adds_a_manager_who_sets_a_password_once_and_signs_in(app, as_admin, org):
    response = as_admin.post("/organization/users", {"email": "New.Person@Acme.example", "name": "New Person",
                                                     "role": "manager"}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    path = _link(html)
    assert path and "Send this link to New.Person@acme.example yourself" in html
    user = db.session.scalar(sa.select(User).where(User.email == "New.Person@acme.example"))
    assert user.role == "manager" and user.organization_id == org.id
    page = as_admin.get("/organization/users").get_data(as_text=True)
    assert path not in page and "Password not set" in page  # shown once
    assert "Admin of acme added New.Person@acme.example as Account manager" in page

    # the link's page names the account; a short or mismatched password is refused at the field
    assert "New.Person@acme.example" in app.test_client().get(path).get_data(as_text=True)
    short = _set_password(app, path, "short")
    assert short.status_code == 422 and "Use at least 10 characters." in short.get_data(as_text=True)
    differ = _set_password(app, path, NEW_PASSWORD, "another long password")
    assert differ.status_code == 422 and "The two passwords differ." in differ.get_data(as_text=True)
    done = _set_password(app, path)
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")

    manager = _signed_in(app, _reload(user))
    assert manager.get("/customers").status_code == 200
    spent = app.test_client().get(path)
    assert spent.status_code == 404 and "expired or was already used" in spent.get_data(as_text=True)
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "user",
                                                            AuditEvent.entity_id == str(user.id))).all()
    assert [e.action for e in events] == ["create", "update"]


def test_a_new_user_cannot_sign_in_before_setting_a_password(app, as_admin, client):
    as_admin.post("/organization/users", {"email": "later@acme.example", "role": "viewer"})
    user = db.session.scalar(sa.select(User).where(User.email == "later@acme.example"))
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    for password in ("!", "", TEST_PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})
        assert response.status_code == 422


def test_an_expired_link_sets_nothing(app, as_admin):
    path = _link(as_admin.post("/organization/users", {"email": "slow@acme.example", "role": "viewer"}, htmx=True)
                 .get_data(as_text=True))
    user = db.session.scalar(sa.select(User).where(User.email == "slow@acme.example"))
    user.password_link_expires_at -= timedelta(hours=73)
    db.session.commit()
    response = app.test_client().get(path)
    assert response.status_code == 404 and "expired or was already used" in response.get_data(as_text=True)


@pytest.mark.parametrize("data, field, message", [
    ({"email": "not an email", "role": "viewer"}, "email", "Not a valid email address"),
    ({"email": "Taken@acme.example", "role": "viewer"}, "email", "A user with this email exists already."),
    ({"email": "x@acme.example", "role": "owner"}, "role", "Role must be one of"),
    ({"email": "x@acme.example", "role": "viewer", "name": "Tab\there"}, "name", "Use one line of text"),
])
def test_bad_input_is_refused_at_the_field_and_kept(as_admin, make, org, data, field, message):
    make.user(org, "manager", email="taken@acme.example")
    before = db.session.scalar(sa.select(sa.func.count(User.id)))
    response = as_admin.post("/organization/users", data, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert re.search(rf'id="{field}-error"', html)
    assert f'value="{data["email"]}"' in html  # what was typed stays
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == before


def test_a_role_change_ends_the_users_sessions(app, as_admin, make, org):
    manager = make.user(org, "manager")
    theirs = _signed_in(app, manager, TEST_PASSWORD)
    response = as_admin.post(f"/organization/users/{manager.id}/role", {"role": "viewer", "shown_role": "manager"},
                             htmx=True)
    assert response.status_code == 200 and "manager@acme.test is now Viewer" in response.get_data(as_text=True)
    assert _reload(manager).role == "viewer"
    assert theirs.get("/customers").status_code == 302  # signed out
    again = _signed_in(app, manager, TEST_PASSWORD)
    assert again.post("/customers/new", {}).status_code == 403  # a viewer now


def test_a_role_form_out_of_date_changes_nothing(as_admin, make, org):
    manager = make.user(org, "manager")
    manager.role = "admin"
    db.session.commit()
    response = as_admin.post(f"/organization/users/{manager.id}/role", {"role": "viewer", "shown_role": "manager"},
                             htmx=True)
    assert response.status_code == 409 and "Someone else changed the role of this user meanwhile" in response.get_data(as_text=True)
    assert _reload(manager).role == "admin"
    assert as_admin.post(f"/organization/users/{manager.id}/role", {"role": "viewer"}).status_code == 409


def test_deactivation_ends_the_session_and_reactivation_lets_them_back(app, as_admin, make, org):
    manager = make.user(org, "manager")
    theirs = _signed_in(app, manager, TEST_PASSWORD)
    response = as_admin.post(f"/organization/users/{manager.id}/deactivate", htmx=True)
    assert "manager@acme.test is deactivated and signed out everywhere." in response.get_data(as_text=True)
    assert theirs.get("/customers").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(UserSession.id)).where(UserSession.user_id == manager.id)) == 0
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    refused = client.post("/login", data={"email": manager.email, "password": TEST_PASSWORD,
                                          "csrf_token": token.group(1)})
    assert refused.status_code == 422
    as_admin.post(f"/organization/users/{manager.id}/reactivate")
    assert _signed_in(app, _reload(manager), TEST_PASSWORD).get("/customers").status_code == 200
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity == "user")).all()
    assert actions == ["deactivate", "reactivate"]


def test_a_reset_ends_the_old_password_and_the_sessions(app, as_admin, make, org):
    manager = make.user(org, "manager")
    theirs = _signed_in(app, manager, TEST_PASSWORD)
    path = _link(as_admin.post(f"/organization/users/{manager.id}/reset-password", htmx=True).get_data(as_text=True))
    assert path
    assert theirs.get("/customers").status_code == 302
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    old = client.post("/login", data={"email": manager.email, "password": TEST_PASSWORD, "csrf_token": token.group(1)})
    assert old.status_code == 422
    assert _set_password(app, path).status_code == 302
    assert _signed_in(app, _reload(manager)).get("/customers").status_code == 200


def test_admins_cannot_demote_deactivate_or_reset_themselves(as_admin, admin):
    for url, data in ((f"/organization/users/{admin.id}/role", {"role": "viewer", "shown_role": "admin"}),
                      (f"/organization/users/{admin.id}/deactivate", {}),
                      (f"/organization/users/{admin.id}/reset-password", {})):
        response = as_admin.post(url, data, htmx=True)
        assert response.status_code == 409 and "yourself; ask another admin" in response.get_data(as_text=True)
    assert _reload(admin).role == "admin" and _reload(admin).is_active_user
    assert _reload(admin).password_hash.startswith("$argon2")


def test_the_last_active_admin_is_kept(app, admin, make, org):
    from portal.domain.validation import ValidationFailed
    from portal.services import users

    other = make.user(org, "admin", email="second@acme.example")
    users.deactivate(db.session.get(User, other.id))
    db.session.commit()
    for change in (lambda u: users.change_role(u, "manager"), users.deactivate):
        with pytest.raises(ValidationFailed, match="needs an active admin"):
            change(db.session.get(User, admin.id))
        db.session.rollback()
    # the other one back: now either may go
    users.reactivate(db.session.get(User, other.id))
    users.change_role(db.session.get(User, admin.id), "manager")
    db.session.commit()
    assert _reload(admin).role == "manager"


def test_everyone_changes_their_own_password_and_keeps_this_session(app, make, org):
    viewer = make.user(org, "viewer")
    here, elsewhere = _signed_in(app, viewer, TEST_PASSWORD), _signed_in(app, viewer, TEST_PASSWORD)
    assert here.get("/account/password").status_code == 200
    wrong = here.post("/account/password", {"current": "not it at all", "password": NEW_PASSWORD,
                                            "confirm": NEW_PASSWORD})
    assert wrong.status_code == 422 and "This is not your current password." in wrong.get_data(as_text=True)
    response = here.post("/account/password", {"current": TEST_PASSWORD, "password": NEW_PASSWORD,
                                               "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert here.get("/customers").status_code == 200
    assert elsewhere.get("/customers").status_code == 302
    assert _signed_in(app, _reload(viewer)).get("/customers").status_code == 200
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "user"))
    assert event.actor_id == viewer.id and event.changes == {"password": ["set", "changed"]}


def test_users_of_another_organization_are_not_listed_or_changed(as_admin, make):
    rival = make.org("rival")
    stranger = make.user(rival, "manager")
    assert "manager@rival.test" not in as_admin.get("/organization/users").get_data(as_text=True)
    assert as_admin.post(f"/organization/users/{stranger.id}/deactivate").status_code == 404
    assert _reload(stranger).is_active_user


def test_without_javascript_a_new_link_is_shown_once_after_a_redirect(as_admin, make, org):
    manager = make.user(org, "manager")
    response = as_admin.post(f"/organization/users/{manager.id}/reset-password")
    assert response.status_code == 302 and response.headers["Location"].endswith("/organization/users#password-link")
    page = as_admin.get("/organization/users").get_data(as_text=True)
    assert _link(page) and "Send this link to manager@acme.test yourself" in page
    assert not _link(as_admin.get("/organization/users").get_data(as_text=True))  # once
    added = as_admin.post("/organization/users", {"email": "plain@acme.example", "role": "viewer"})
    assert added.status_code == 302 and _link(as_admin.get("/organization/users").get_data(as_text=True))
