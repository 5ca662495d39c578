"""Organization → API tokens: admins create (shown once), see and revoke tokens."""
import re

import sqlalchemy as sa

from portal.extensions import db
from portal.models import ApiToken


def test_admin_creates_a_token_shown_once(auth, make, org):
    auth.login(make.user(org, "admin"))
    response = auth.post("/organization/api-tokens", {"name": "CRM sync", "read_only": "on"}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    secret = re.search(r'id="new-token-secret">(cp_[^<]+)<', html).group(1)
    token = db.session.scalar(sa.select(ApiToken))
    assert token.read_only and token.name == "CRM sync"
    page = auth.get("/organization").get_data(as_text=True)
    assert secret not in page and token.prefix + "…" in page and "read-only" in page
    api = auth.client.get("/api/v1/customers", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200


def test_token_needs_a_name(auth, make, org):
    auth.login(make.user(org, "admin"))
    response = auth.post("/organization/api-tokens", {"name": " "})
    assert response.status_code == 422
    assert "A name (e.g. the system that will use it) is required." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_a_token_name_with_a_control_character_is_refused_at_the_field_and_kept(auth, make, org):
    from tests.html_forms import post_form

    auth.login(make.user(org, "admin"))
    response = auth.post("/organization/api-tokens", {"name": "CRM\tsync"}, htmx=True)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Use one line of text" in page and post_form(page, "api-tokens").get("name") == "CRM\tsync"
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0
    plain = auth.post("/organization/api-tokens", {"name": "CRM\x00"})  # without JS: the whole page, tabs too
    assert plain.status_code == 422 and 'aria-label="Organization"' in plain.get_data(as_text=True)


def test_admin_revokes_a_token(auth, make, org, client):
    from portal.services.tokens import create_token

    token, secret = create_token(org.id, "Old CRM")
    db.session.commit()
    auth.login(make.user(org, "admin"))
    assert auth.post(f"/organization/api-tokens/{token.id}/revoke").status_code == 302
    assert "revoked" in auth.get("/organization").get_data(as_text=True)
    assert client.get("/api/v1/customers", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_other_organizations_token_cannot_be_revoked(auth, make, org):
    from portal.services.tokens import create_token

    token, _ = create_token(make.org("globex").id, "Theirs")
    db.session.commit()
    auth.login(make.user(org, "admin"))
    assert auth.post(f"/organization/api-tokens/{token.id}/revoke").status_code == 404


def test_managers_cannot_manage_tokens(as_manager):
    assert as_manager.get("/organization").status_code == 403
    assert as_manager.post("/organization/api-tokens", {"name": "x"}).status_code == 403
    assert "Organization" not in as_manager.get("/customers").get_data(as_text=True).split("<main")[0]


def test_api_help_page_shows_curl_examples(as_manager):
    html = as_manager.get("/organization/api").get_data(as_text=True)
    assert "curl -s -X POST" in html and "Idempotency-Key" in html and "If-Match" in html
