"""Rate limits at the request level: the sign-in page per account and per address, the API per token."""
import pytest

from portal import create_app
from tests.api.conftest import token_for
from tests.conftest import TEST_PASSWORD
from tests.html_forms import post_form
from tests.reliability.formclient import element_texts


@pytest.fixture
def limited(migrated, app):
    """An app with low limits (memory store), on the database the `app` fixture emptied."""

    def make(**limits):
        return create_app("test", SQLALCHEMY_DATABASE_URI=migrated, **limits).test_client()

    return make


def sign_in(client, email, password):
    """Open the sign-in page and submit it, as a person does."""
    form = post_form(client.get("/login").get_data(as_text=True))
    data = form.data()
    data.update(email=[email], password=[password])
    return client.post(form.action, data=data)


def alerts(response):
    """The texts of the page's alerts (the toast region, which is empty here, aside)."""
    return [text for text in element_texts(response.get_data(as_text=True),
                                           lambda tag, attrs: attrs.get("role") == "alert") if text]


def test_a_locked_account_gets_the_sign_in_page_saying_when_to_try_again(limited, manager):
    client = limited(LOGIN_RATE_LIMIT="3 per minute")
    statuses = [sign_in(client, manager.email, "wrong").status_code for _ in range(3)]
    response = sign_in(client, manager.email.upper(), TEST_PASSWORD)  # the right password, the email in capitals
    assert statuses == [422, 422, 422]
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 60
    [message] = alerts(response)
    assert message.startswith("Too many failed sign-ins for this account. To protect it, signing in to it is paused: "
                              "try again in ")
    assert message.endswith(" seconds.")
    form = post_form(response.get_data(as_text=True))
    assert form.get("email") == manager.email.upper()  # what the user typed stays
    assert form.get("csrf_token")  # and the form can be sent again later


def test_a_successful_sign_in_forgives_the_failures_before_it(limited, manager):
    client = limited(LOGIN_RATE_LIMIT="3 per minute")
    before = [sign_in(client, manager.email, "wrong").status_code for _ in range(2)]
    signed_in = sign_in(client, manager.email, TEST_PASSWORD)
    other_browser = client.application.test_client()
    after = [sign_in(other_browser, manager.email, "wrong").status_code for _ in range(4)]
    assert before == [422, 422] and signed_in.status_code == 302
    assert after == [422, 422, 422, 429]


def test_one_locked_account_does_not_lock_a_colleague_out(limited, make, org, manager):
    colleague = make.user(org, "viewer")
    client = limited(LOGIN_RATE_LIMIT="3 per minute")
    for _ in range(4):
        sign_in(client, manager.email, "wrong")
    assert sign_in(client, manager.email, "wrong").status_code == 429
    assert sign_in(client, colleague.email, TEST_PASSWORD).status_code == 302


def test_the_address_limit_counts_every_account(limited):
    client = limited(LOGIN_ADDRESS_RATE_LIMIT="3 per minute")
    statuses = [sign_in(client, f"person{n}@acme.test", "wrong").status_code for n in range(4)]
    assert statuses == [422, 422, 422, 429]
    [message] = alerts(sign_in(client, "someone@acme.test", "wrong"))
    assert message.startswith("Too many sign-in attempts from your network. Please try again in ")


def test_showing_the_sign_in_page_is_not_limited(limited):
    client = limited(LOGIN_ADDRESS_RATE_LIMIT="1 per minute")
    assert [client.get("/login").status_code for _ in range(3)] == [200, 200, 200]


def test_the_api_limits_each_token_on_its_own_with_problem_json(limited, org):
    client = limited(API_RATE_LIMIT="2 per minute")
    first, second = token_for(org), token_for(org)

    def get(secret):
        return client.get("/api/v1/customers", headers={"Authorization": f"Bearer {secret}"})

    answers = [get(first) for _ in range(3)]
    other = get(second)
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["1", "0", "0"]
    limited_answer = answers[2]
    assert limited_answer.mimetype == "application/problem+json"
    assert limited_answer.json["status"] == 429 and limited_answer.json["title"] == "Too Many Requests"
    assert "this API token" in limited_answer.json["detail"]
    assert 0 < int(limited_answer.headers["Retry-After"]) <= 60
    assert limited_answer.headers["RateLimit-Limit"] == "2"
    assert 0 < int(limited_answer.headers["RateLimit-Reset"]) <= 60  # seconds from now, as the draft says
    assert other.status_code == 200 and other.headers["RateLimit-Remaining"] == "1"  # its own budget


def test_requests_without_a_valid_token_share_their_address_budget(limited, org):
    client = limited(API_RATE_LIMIT="2 per minute")
    statuses = [client.get("/api/v1/customers", headers={"Authorization": f"Bearer cp_guess{n}"}).status_code
                for n in range(3)]
    assert statuses == [401, 401, 429]
    assert client.get("/api/v1/customers", headers={"Authorization": f"Bearer {token_for(org)}"}).status_code == 200
