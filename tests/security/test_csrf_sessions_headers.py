"""CSRF over every form route; cookies, session end and security headers on every kind of response."""
import pytest

from portal import create_app
from portal.auth import hash_password
from portal.extensions import db
from portal.models import User
from tests.security.conftest import concrete_urls, route_cases, rule_of, snapshot

POSTS = [endpoint for endpoint, method in route_cases(("POST",)) if endpoint != "auth.login"]


@pytest.mark.parametrize("endpoint", POSTS)
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(app, site, sign_in, endpoint):
    admin = sign_in("admin")
    rule = rule_of(app, endpoint, "POST")
    before = snapshot()
    for url in concrete_urls(app, rule, site.ids(site.org, site.customer)):
        for htmx in (False, True):
            headers = {"HX-Request": "true"} if htmx else {}
            response = admin.client.post(url, data={"name": "x"}, headers=headers)
            assert response.status_code == 400, (url, response.status_code)
            assert "expired" in response.get_data(as_text=True).lower() or "csrf" in response.get_data(
                as_text=True).lower(), url
            forged = admin.client.post(url, data={"csrf_token": "forged"}, headers={**headers, "X-CSRFToken": "x"})
            assert forged.status_code == 400, url
    assert snapshot() == before


def test_sign_in_without_the_token_is_refused(client, site):
    response = client.post("/login", data={"email": site.users["admin"].email, "password": "correct horse battery"})
    assert response.status_code in (400, 422) and "customers" not in response.headers.get("Location", "")


def _kinds_of_response(app, site, sign_in):
    """One response of every kind the portal answers with, as (what, response)."""
    admin = sign_in("admin")
    viewer = sign_in("viewer")
    customer = f"/customers/{site.customer.id}"
    yield "page", admin.get("/customers")
    yield "fragment", admin.get(f"{customer}/sections/general", htmx=True)
    yield "redirect", admin.get("/")
    yield "not found page", admin.get("/customers/999999")
    yield "not found fragment", admin.get("/customers/999999", htmx=True)
    yield "forbidden", viewer.post(f"{customer}/sections/general", {})
    yield "form error", admin.save(f"{customer}/sections/general/edit", {"name": ""})
    yield "csv", admin.get("/customers/export.csv")
    yield "static", admin.get("/static/portal.css")
    yield "sign-in page", app.test_client().get("/login")
    yield "api problem", app.test_client().get("/api/v1/customers")
    yield "api document", app.test_client().get("/api/v1/openapi.json")


def test_every_kind_of_response_carries_the_security_headers(app, site, sign_in):
    htmx = app.config["PORTAL_HTMX_URL"]
    kinds = list(_kinds_of_response(app, site, sign_in))
    assert {response.status_code for _, response in kinds} >= {200, 302, 401, 403, 404, 422}
    for what, response in kinds:
        headers = response.headers
        csp = headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp and "unsafe-eval" not in csp, what
        script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src")).split()[1:]
        assert set(script_src) <= {"'self'", htmx}, (what, script_src)  # the one htmx file, not its CDN
        assert headers.get("X-Content-Type-Options") == "nosniff", what
        assert headers.get("Referrer-Policy") == "same-origin", what


def test_session_cookie_is_httponly_and_lax_and_secure_in_production(app, site, client, migrated):
    from tests.conftest import Auth

    response = Auth(client).login(site.users["viewer"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    production = create_app("production", SECRET_KEY="k" * 32, SQLALCHEMY_DATABASE_URI=migrated)
    answer = production.test_client().get("/login", base_url="https://portal.example")
    assert "Secure" in answer.headers["Set-Cookie"] and "HttpOnly" in answer.headers["Set-Cookie"]
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_over_plain_http_says_why_sign_in_cannot_work(migrated):
    production = create_app("production", SECRET_KEY="k" * 32, SQLALCHEMY_DATABASE_URI=migrated)
    page = production.test_client().get("/login").get_data(as_text=True)
    assert "HTTPS" in page and "make run" in page


def _still_signed_in(client):
    response = client.get("/customers")
    return response.status_code == 200


def _replay(app, cookie):
    """A new browser that presents an old session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


@pytest.mark.parametrize("ending", ["logout", "everywhere", "password", "role", "deactivation"])
def test_the_old_cookie_signs_no_one_in_after_the_session_ended(app, site, sign_in, ending):
    user = sign_in("manager")
    elsewhere = sign_in("manager")  # the same person on a second device
    cookie = user.client.get_cookie("session").value
    assert _still_signed_in(_replay(app, cookie))
    if ending == "logout":
        assert user.post("/logout").status_code == 302
    elif ending == "everywhere":
        assert user.post("/logout-everywhere").status_code == 302
    else:
        person = db.session.get(User, site.users["manager"].id)
        if ending == "password":
            person.password_hash = hash_password("a brand new password")
        elif ending == "role":
            person.role = "viewer"
        else:
            person.is_active_user = False
        db.session.commit()
    assert not _still_signed_in(_replay(app, cookie))
    # logging out on one device leaves the other signed in; everything else signs the user out everywhere
    assert _still_signed_in(elsewhere.client) is (ending == "logout")


def test_a_production_server_says_at_start_that_secure_cookies_need_https(migrated, caplog):
    from portal.security import warn_at_start

    production = create_app("production", SECRET_KEY="k" * 32, SQLALCHEMY_DATABASE_URI=migrated)
    warn_at_start(production)
    assert "HTTPS" in caplog.text and "make run" in caplog.text
