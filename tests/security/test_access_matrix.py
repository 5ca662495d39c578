"""Role × route × tenant, over every route of the URL map: who may read, who may write, and that another
organization's ids are a 404 everywhere."""
import pytest

from tests.conftest import CSRF_PATTERN
from tests.security.conftest import (
    concrete_urls,
    id_route_cases,
    route_cases,
    rule_of,
    snapshot,
)

ANONYMOUS_PAGES = {"auth.login", "auth.index", "auth.set_password"}
# The lowest role that may use a route by method; routes not named here: GET viewer, POST manager.
ADMIN_ENDPOINT_PREFIX = "admin."
READ_FOR_EVERYONE = {"admin.api_help"}
EDITOR_PAGES = {"customers.new", "customers.archive", "customers.imports", "customers.import_sample",
                "customers.import_job", "customers.import_progress"}
SELF_SERVICE_POSTS = {"auth.logout", "auth.logout_everywhere", "auth.login", "auth.change_password"}


def lowest_role(endpoint, method):
    """The least role the route admits."""
    if endpoint in ANONYMOUS_PAGES or endpoint in SELF_SERVICE_POSTS:
        return "anonymous" if endpoint in ANONYMOUS_PAGES else "viewer"
    if endpoint in READ_FOR_EVERYONE:
        return "viewer"
    if endpoint.startswith(ADMIN_ENDPOINT_PREFIX):
        return "admin"
    if method == "GET" and (endpoint.endswith(("_edit", "_new")) or endpoint in EDITOR_PAGES):
        return "manager"  # an edit form, a New form or a confirmation is for those who may save it
    return "viewer" if method == "GET" else "manager"


ROLES = ("viewer", "manager", "admin")


@pytest.mark.parametrize("endpoint, method", route_cases())
def test_anonymous_is_sent_to_sign_in(app, site, client, endpoint, method):
    rule = rule_of(app, endpoint, method)
    before = snapshot() if method == "POST" else None
    for url in concrete_urls(app, rule, site.ids(site.org, site.customer), one_each=True):
        if method == "GET":
            response = client.get(url)
        else:  # with a valid CSRF token, so that only the missing sign-in refuses it
            token = CSRF_PATTERN.search(client.get("/login").get_data(as_text=True)).group(1)
            response = client.post(url, data={"csrf_token": token}, headers={"X-CSRFToken": token})
        assert response.status_code < 500
        if endpoint in ANONYMOUS_PAGES:
            continue
        assert response.status_code == 302 and "/login" in response.headers["Location"], (url, response.status_code)
    if before is not None and endpoint not in ANONYMOUS_PAGES:
        assert snapshot() == before


@pytest.mark.parametrize("endpoint, method", route_cases())
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_it_may_and_403_otherwise(app, site, sign_in, endpoint, method, role):
    rule = rule_of(app, endpoint, method)
    user = sign_in(role)
    lowest = lowest_role(endpoint, method)
    allowed = lowest not in ROLES or ROLES.index(role) >= ROLES.index(lowest)
    for url in concrete_urls(app, rule, site.ids(site.org, site.customer), one_each=method == "POST"):
        before = snapshot() if method == "POST" and not allowed else None
        response = user.get(url) if method == "GET" else user.post(url, {})
        assert response.status_code < 500, (url, response.status_code)
        if allowed:
            assert response.status_code != 403, (url, role)
            if method == "GET" and endpoint not in ("auth.index",):
                assert response.status_code in (200, 302), (url, response.status_code)
        else:
            assert response.status_code == 403, (url, role, response.status_code)
            if before is not None:
                assert snapshot() == before


@pytest.mark.parametrize("endpoint, method", id_route_cases())
def test_another_organizations_ids_are_404(app, site, sign_in, endpoint, method):
    rule = rule_of(app, endpoint, method)
    rival = sign_in("rival")  # an admin, so that only the tenant boundary can refuse
    before = snapshot()
    for url in concrete_urls(app, rule, site.ids(site.org, site.customer)):
        response = rival.get(url) if method == "GET" else rival.post(url, {})
        assert response.status_code == 404, (url, response.status_code)
    assert snapshot() == before
