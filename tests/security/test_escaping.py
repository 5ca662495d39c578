"""Hostile text everywhere, every page and fragment read: nothing of it runs, loads or swaps (it shows as text)."""
import csv
import io
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from tests.html_forms import forms_in
from tests.security.conftest import HTMX, SCRIPT, concrete_urls, route_cases, rule_of

HX_REQUESTS = {"hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"}


class _Markup(HTMLParser):
    """What a browser would act on: scripts, event handlers, htmx attributes and images."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts, self.handlers, self.hx_urls, self.images = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs.get("src"))
        if tag == "img":
            self.images.append(attrs.get("src"))
        for name, value in attrs.items():
            if name.startswith("on"):
                self.handlers.append((tag, name, value))
            if name.startswith(("hx-on", "data-hx-on")):
                self.handlers.append((tag, name, value))
            if name.removeprefix("data-") in HX_REQUESTS and value and "/evil" in value:
                self.hx_urls.append((tag, name, value))


def assert_inert(app, body, url):
    markup = _Markup()
    markup.feed(body)
    allowed_scripts = {app.config["PORTAL_HTMX_URL"], "/static/portal.js", "/static/overview.js"}
    assert set(markup.scripts) <= allowed_scripts, (url, markup.scripts)
    assert not markup.handlers, (url, markup.handlers)
    assert not markup.hx_urls, (url, markup.hx_urls)
    assert "x" not in markup.images, url


@pytest.mark.parametrize("endpoint", sorted({e for e, m in route_cases(("GET",))} - {"customers.export_csv"}))
def test_pages_and_fragments_show_hostile_text_as_text(app, site, sign_in, endpoint):
    admin = sign_in("admin")
    rule = rule_of(app, endpoint, "GET")
    shown = 0
    for url in concrete_urls(app, rule, site.ids(site.org, site.customer)):
        for htmx in (False, True):
            response = admin.get(url, htmx=htmx)
            assert response.status_code < 500, url
            if not response.mimetype == "text/html":
                continue
            body = response.get_data(as_text=True)
            assert_inert(app, body, url)
            shown += str(escape(SCRIPT)) in body or str(escape(HTMX)) in body
    # the scan means something only where the hostile text is on the page at all
    if endpoint.startswith("customers.") and endpoint not in ("customers.new", "customers.dunning_timeline",
                                                           "customers.import_progress", "customers.import_sample"):
        assert shown, f"{endpoint} showed none of the hostile text"


def test_edit_forms_keep_hostile_values_as_values(app, site, sign_in):
    manager = sign_in("manager")
    customer = f"/customers/{site.customer.id}"
    for url in (f"{customer}/sections/general/edit", f"{customer}/sections/technical/edit",
                f"{customer}/addresses/{site.ids(site.org, site.customer)['address_id']}/edit",
                f"{customer}/contacts/{next(c.id for c in site.customer.contacts if 'Eve' in c.first_name)}/edit"):
        body = manager.get(url, htmx=True).get_data(as_text=True)
        assert_inert(app, body, url)
        values = [value for form in forms_in(body) for _name, value in form.fields]
        assert any("<" in value for value in values), url  # the hostile text is in the form, as a value


def test_csv_export_defuses_formulas_and_keeps_text(app, site, sign_in, make):
    make.customer(site.org, name="=HYPERLINK(\"http://evil\")", aliases=["+SUM(A1)"])
    response = sign_in("viewer").get("/customers/export.csv?status=all")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
    assert any(SCRIPT in cell for cell in cells)  # text stays text: CSV has no markup to escape
