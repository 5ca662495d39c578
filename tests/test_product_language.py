"""The product speaks in words: no page or fragment shows a code of the label catalogue, a Python value or a raw
structure where a label belongs (every GET route of the web layer, page and fragment, forms open)."""
import csv
import io
import re

import pytest
from bs4 import BeautifulSoup

from portal.domain import labels
from portal.extensions import db
from portal.services import customers, payment_methods, settings_store
from tests.security.conftest import concrete_urls, route_cases, rule_of
from tests.security.conftest import sign_in, site  # noqa: F401  (fixtures: the attack suite's world)

# Pages that document the API for developers: its field names and codes are the point there.
API_DOCUMENTATION = {"admin.api_help"}
PYTHON_VALUES = re.compile(r"(?<![\w-])(True|False|None)(?![\w-])|\{'|'\}|\[\]|\bNaN\b")
ATTRIBUTES_READ = ("title", "aria-label", "placeholder", "alt")


def _code_pattern(codes):
    words = "|".join(re.escape(code) for code in sorted(codes, key=len, reverse=True))
    return re.compile(rf"(?<![\w\-/.:#])(?:{words})(?![\w\-/])")


RAW = _code_pattern(labels.raw_codes())


def visible_text(html):
    """What a person reads on the page: its text, option texts and the attributes that are read out."""
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style", "template", "code", "pre"]):
        hidden.decompose()
    parts = [soup.get_text(" ", strip=True)]
    for element in soup.find_all(True):
        parts.extend(element.get(name) for name in ATTRIBUTES_READ if element.get(name))
    return "\n".join(parts)


def offences(html):
    """The codes and programming-language values a page shows, with a little context each."""
    text = visible_text(html)
    found = []
    for pattern in (RAW, PYTHON_VALUES):
        for match in pattern.finditer(text):
            found.append(text[max(0, match.start() - 40):match.end() + 40].replace("\n", " "))
    return found


@pytest.fixture
def coded_site(site):
    """The attack suite's site with a customer whose every enum holds a code that has a label of its own."""
    customer = site.customer
    customers.update_customer(customer, {"customerType": "AFFILIATED"})
    payment_methods.add_payment_method(customer, {"type": "sepa_debit", "label": "Deutsche Bank •••• 1234",
                                                  "isDefault": True})
    settings_store.update_customer_settings(customer, {
        "eInvoiceFormat": "xrechnung-ubl", "eInvoiceBuyerReference": "04011000-12345-67",
        "autoCollect": True, "autoCollectSettingType": "Threshold", "rechargeType": "BringBalanceBackTo",
        "rechargeThresholdAmount": "10.00", "rechargeTargetAmount": "100.00",
        "defaultCancelOption": "Unearned", "customerServiceStartOption": "ChargeForAllMissedPeriods",
        "pdfInvoiceEmailAttachmentOption": "Both", "term": "DayOfMonth15",
        "billingPeriodConfigurations": [{"type": "SpecifiedDate", "rule": "OneInvoicePerDay", "interval": "Yearly",
                                         "day": 3, "month": 4},
                                        {"type": "CustomerActivation", "rule": "MultipleInvoices",
                                         "interval": "Monthly"}],
        "customerBillingStatementSetting": {"option": "BySubscription", "type": "CustomerAnniversary",
                                            "interval": "Monthly", "statementActivityType": "ParentAndChildActivity"},
        "trackedItemDisplay": {"trackedItemDisplayFormat": "SeparatePage", "showTrackedItemName": True,
                               "showTrackedItemReference": False, "showTrackedItemDescription": True,
                               "showTrackedItemCreatedDate": False},
    })
    settings_store.update_organization_settings(site.org.id, {"eInvoiceFormat": "peppol-bis",
                                                              "autoCollectSettingType": "OutstandingBalance",
                                                              "customerServiceStartOption": "NoChargesForMissedPeriods"})
    settings_store.update_customer_settings(customer, {"customerServiceStartOption": "ChargeForLastMissedPeriods"})
    db.session.commit()
    return site


GET_ENDPOINTS = sorted({e for e, _m in route_cases(("GET",))} - API_DOCUMENTATION - {"customers.export_csv"})


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_no_page_or_fragment_shows_a_code_where_a_label_belongs(app, coded_site, sign_in, endpoint):
    admin = sign_in("admin")
    rule = rule_of(app, endpoint, "GET")
    for url in concrete_urls(app, rule, coded_site.ids(coded_site.org, coded_site.customer)):
        for htmx in (False, True):
            response = admin.get(url, htmx=htmx)
            if response.mimetype != "text/html" or response.status_code >= 400:
                continue
            found = offences(response.get_data(as_text=True))
            assert not found, (url, htmx, found)


def test_the_overview_filtered_by_every_code_speaks_in_words(app, coded_site, sign_in):
    admin = sign_in("admin")
    for customer_type in labels.ENUMS["customerType"]:
        for status in labels.ENUMS["status"]:
            response = admin.get(f"/customers?type={customer_type}&status={status}")
            assert response.status_code == 200
            assert offences(response.get_data(as_text=True)) == [], (customer_type, status)


def test_the_csv_export_has_labelled_headers_and_values_in_words(app, coded_site, sign_in):
    response = sign_in("admin").get("/customers/export.csv?status=all")
    assert response.status_code == 200
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows and all(not RAW.search(header) for header in rows[0]), rows[0]
    assert all(not RAW.search(cell) and cell not in ("True", "False", "None") for row in rows[1:] for cell in row)


def test_the_scan_can_fail():
    """The scan finds a code in text and in a read-out attribute, and ignores it in markup names."""
    assert offences("<p>Format: xrechnung-ubl</p>")
    assert offences('<button aria-label="Collect CurrentInvoice">x</button>')
    assert offences("<td>True</td>")
    assert offences("<td>{'type': 'SpecifiedDate'}</td>")
    assert offences('<p id="setting-autoCollect" class="x">Auto-collect</p>') == []
    assert offences("<p>Payment term</p><code>Net30</code>") == []
