"""Sign-in, roles, CSRF and the security headers."""
import pytest

from portal import create_app
from portal.extensions import db
from tests.conftest import TEST_PASSWORD


def test_pages_need_sign_in(client):
    response = client.get("/customers")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_sign_in_flashes_who_and_organization(auth, manager):
    auth.login(manager)
    page = auth.get("/customers").get_data(as_text=True)
    assert f"Signed in as {manager.email} (Account manager) in Acme Corp." in page


def test_wrong_password_is_refused_at_the_field(client, manager):
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"email": manager.email, "password": "wrong", "csrf_token": token})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Email or password is wrong." in body
    assert f'value="{manager.email}"' in body  # what the user typed stays


def test_passwords_are_hashed_with_argon2(manager):
    from portal.auth import check_password, hash_password

    stored = hash_password(TEST_PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # RFC 9106's low-memory profile
    assert TEST_PASSWORD not in stored
    assert check_password(stored, TEST_PASSWORD) and not check_password(stored, TEST_PASSWORD + "!")


def test_next_only_follows_local_paths(auth, client, manager):
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login?next=https://evil.example/", data={
        "email": manager.email, "password": TEST_PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/customers"


def test_sign_out(as_manager):
    response = as_manager.post("/logout")
    assert response.status_code == 302
    assert as_manager.get("/customers").status_code == 302


def test_post_without_csrf_token_is_refused(as_manager):
    response = as_manager.client.post("/customers/new", data={"name": "X"})
    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)


def test_login_is_rate_limited(migrated, password_hash, app, make, org):
    limited = create_app("test", SQLALCHEMY_DATABASE_URI=migrated, LOGIN_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    statuses = [client.post("/login", data={"email": "x@y.z", "password": "nope"}).status_code for _ in range(4)]
    assert 429 not in statuses[:3] and statuses[3] == 429


def test_security_headers_and_cookie_flags(auth, manager):
    response = auth.login(manager)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = auth.get("/customers")
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "script-src 'self' https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js;" in csp  # that file only
    assert "Strict-Transport-Security" not in page.headers  # the test configuration serves plain HTTP
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "HX-Request" in page.headers["Vary"]


def test_production_without_a_secret_key_refuses_to_serve(migrated, monkeypatch):
    from portal.config import Config

    monkeypatch.setattr(Config, "SECRET_KEY", None)
    app = create_app("production", SQLALCHEMY_DATABASE_URI=migrated)
    response = app.test_client().get("/login")
    assert response.status_code == 503 and "SECRET_KEY" in response.get_data(as_text=True)


def test_production_sends_hsts_and_explains_plain_http_at_sign_in(migrated):
    app = create_app("production", SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI=migrated)
    client = app.test_client()
    plain = client.get("/login")
    assert plain.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "signing in cannot work" in plain.get_data(as_text=True)
    secure = client.get("/login", base_url="https://portal.example")
    assert "signing in cannot work" not in secure.get_data(as_text=True)
    proxied = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "signing in cannot work" not in proxied.get_data(as_text=True)


def test_production_cookies_are_secure():
    from portal.config import Config

    assert Config.SESSION_COOKIE_SECURE is True


def test_page_pins_htmx_with_integrity(as_manager):
    page = as_manager.get("/customers").get_data(as_text=True)
    assert 'src="https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js"' in page
    assert 'integrity="sha384-' in page
    assert '"X-CSRFToken": "' in page


@pytest.mark.parametrize("path", ["/customers/99999", "/nowhere"])
def test_unknown_pages_are_404_pages(as_manager, path):
    response = as_manager.get(path)
    assert response.status_code == 404
    assert "404" in response.get_data(as_text=True)


def test_errors_for_htmx_are_fragments(as_manager):
    response = as_manager.get("/customers/99999", htmx=True)
    assert response.status_code == 404
    assert "<html" not in response.get_data(as_text=True)


def test_errors_for_json_clients_are_problems(as_manager):
    response = as_manager.get("/customers/99999", Accept="application/json")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404


def test_sign_in_without_csrf_token_is_refused(client, manager):
    response = client.post("/login", data={"email": manager.email, "password": TEST_PASSWORD})
    assert response.status_code == 422
    assert "The form expired" in response.get_data(as_text=True)


# --- sessions end on the server ---------------------------------------------------------------------------

def _cookie(client):
    return client.get_cookie("session").value


def test_logout_ends_the_session_on_the_server(app, auth, manager):
    auth.login(manager)
    old = _cookie(auth.client)
    assert auth.get("/customers").status_code == 200
    auth.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", old)  # the cookie from before the logout, kept by an attacker
    response = replay.get("/customers")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sign_out_everywhere_ends_the_other_browsers_too(app, make, org, manager):
    from tests.conftest import Auth

    first, second = Auth(app.test_client()), Auth(app.test_client())
    first.login(manager)
    second.login(manager)
    assert second.get("/customers").status_code == 200
    first.post("/logout-everywhere")
    assert second.get("/customers").status_code == 302
    assert first.get("/customers").status_code == 302


def test_ending_a_users_sessions_signs_them_out(app, auth, manager):
    from portal.services import sessions

    auth.login(manager)
    sessions.end_all(manager.id)
    db.session.commit()
    assert auth.get("/customers").status_code == 302


def test_a_cookie_for_another_users_session_signs_no_one_in(app, make, org, manager):
    from tests.conftest import Auth

    other = make.user(org, "admin")
    mine = Auth(app.test_client())
    mine.login(manager)
    with mine.client.session_transaction() as state:
        state["_user_id"] = str(other.id)  # a forged user id next to my session token (signed with a leaked key)
    assert mine.get("/customers").status_code == 302
