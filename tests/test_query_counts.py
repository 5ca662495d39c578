"""SQL per request does not grow with the data: every GET page and htmx fragment of the web layer, and every API
list, runs as many queries with one of everything as with fifty customers and a customer with many parts.

(Figures of time are for `make bench`; here the count is what holds at any size.)"""
import pytest

from portal.extensions import db
from portal.services import addresses, contacts, payment_methods, settings_store
from portal.services.tokens import create_token
from tests.security.conftest import concrete_urls, route_cases, rule_of
from tests.security.conftest import sign_in, site  # noqa: F401  (fixtures: the attack suite's world)

GET_ENDPOINTS = sorted({e for e, _m in route_cases(("GET",))} - {"customers.export_csv", "static"})
API_LISTS = ["/api/v1/customers", "/api/v1/customers?q=customer", "/api/v1/customers/{id}/addresses",
             "/api/v1/customers/{id}/contacts", "/api/v1/customers/{id}/events",
             "/api/v1/dunning/overdue-rules", "/api/v1/customers/{id}/settings", "/api/v1/groups",
             "/api/v1/dunning/ladders", "/api/v1/groups/{group}/settings",
             "/api/v1/customers/{id}/dunning-timeline?invoiceDate=2026-01-15&amountInCents=10000"]


def grow(site, make, customers=50, parts=12):
    """Many customers in the organization, and many parts (and so many activity events) on the site's customer."""
    for n in range(customers):
        make.customer(site.org, name=f"Grown {n:02d}", aliases=[f"grown-{n}"])
    customer = site.customer
    for n in range(parts):
        addresses.create_address(customer, {"type": "shipping", "line1": f"Dock {n}", "city": "Kiel",
                                            "postalCode": f"{24100 + n}", "country": "DE"})
        contacts.create_contact(customer, {"firstName": f"Grown {n}", "lastName": "Contact",
                                           "email": f"grown{n}@example.com", "emailPreferences": ["billing"]})
        payment_methods.add_payment_method(customer, {"type": "card", "label": f"Card {n}"})
        settings_store.update_customer_settings(customer, {"standingPoNumber": f"PO {n}"})
    db.session.commit()


def counts(client, urls, count_queries):
    found = {}
    for url, htmx in urls:
        with count_queries() as counter:
            response = client.get(url, htmx=htmx)
        if response.status_code < 400:
            found[(url, htmx)] = counter.count
    return found


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_every_page_and_fragment_runs_as_many_queries_with_much_data_as_with_little(app, site, sign_in, make,
                                                                                     count_queries, endpoint):
    admin = sign_in("admin")
    rule = rule_of(app, endpoint, "GET")
    urls = [(url, htmx) for url in concrete_urls(app, rule, site.ids(site.org, site.customer))
            for htmx in (False, True)]
    little = counts(admin, urls, count_queries)
    assert little, f"no URL of {endpoint} answered"
    grow(site, make)
    much = counts(admin, urls, count_queries)
    assert much == little


def test_every_api_list_runs_as_many_queries_with_much_data_as_with_little(app, client, site, make, count_queries):
    _token, secret = create_token(site.org.id, "counting")
    db.session.commit()
    group = site.ids(site.org, site.customer)["group_id"]
    urls = [(url.format(id=site.customer.id, group=group), None) for url in API_LISTS]

    def measure():
        found = {}
        for url, _ in urls:
            with count_queries() as counter:
                response = client.get(url, headers={"Authorization": f"Bearer {secret}"})
            assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
            found[url] = (counter.count, len(response.get_json().get("data", [])) if isinstance(
                response.get_json(), dict) else None)
        return found

    # the token's first use records when it was used (two statements more, once): not what is counted here
    client.get("/api/v1/customers", headers={"Authorization": f"Bearer {secret}"})
    little = measure()
    grow(site, make)
    much = measure()
    assert {url: n for url, (n, _rows) in much.items()} == {url: n for url, (n, _rows) in little.items()}
    assert much["/api/v1/customers"][1] > little["/api/v1/customers"][1]  # the list did grow
