"""The validation rules, without Flask."""
from decimal import Decimal

import pytest

from portal.domain import validation as rules
from portal.services.customer_search import search_terms


@pytest.mark.parametrize("value, expected", [
    (None, Decimal("0.00")), ("", Decimal("0.00")), ("19", Decimal("19.00")), ("7,5", Decimal("7.50")),
    (0, Decimal("0.00")), ("100", Decimal("100.00")),
])
def test_tax_rate_accepts(value, expected):
    assert rules.tax_rate(value) == expected


@pytest.mark.parametrize("value", ["-1", "100.01", "abc", "NaN", "Infinity", "1.001", True, [1]])
def test_tax_rate_refuses(value):
    with pytest.raises(ValueError):
        rules.tax_rate(value)


def test_vat_ids_of_eu_countries_are_checked():
    assert rules.vat_id("DE 136 695 976", "DE") == "DE136695976"
    with pytest.raises(ValueError):
        rules.vat_id("DE136695977", "DE")
    assert rules.vat_id("GB-ANYTHING-1", "US") == "GB-ANYTHING-1"


def test_codes_are_normalized_and_checked():
    assert rules.country("de") == "DE" and rules.currency("eur") == "EUR" and rules.language("DE") == "de"
    for rule, value in ((rules.country, "XX"), (rules.currency, "EURO"), (rules.language, "xx")):
        with pytest.raises(ValueError):
            rule(value)


def test_text_limits_and_control_characters():
    assert rules.text("  a  ", 5) == "a"
    with pytest.raises(ValueError, match="At most 3"):
        rules.text("abcd", 3)
    with pytest.raises(ValueError, match="control"):
        rules.text("a\x00b", 5)


def test_string_lists_from_forms_and_json():
    assert rules.string_list("a\nb, c", 10, "X") == ["a", "b", "c"]
    assert rules.string_list(["a"], 10, "X") == ["a"]
    with pytest.raises(ValueError, match="twice"):
        rules.string_list(["a", "a"], 10, "X")
    with pytest.raises(ValueError):
        rules.string_list([1], 10, "X")


def test_search_terms_cover_words_identifiers_contacts_and_addresses_folded():
    terms = search_terms(name="Müller-Schmidt GmbH", debtor_ident="D-1", account_number="100001",
                         vat_id="DE136695976", aliases=["CRM-7"],
                         contacts=[("Jürgen", "Weiß", "Anna@Mail.Example.COM")], addresses=[("Köln", "50 667")])
    assert {"muller-schmidt", "muller", "mueller", "schmidt", "gmbh", "d-1", "100001", "anna@mail.example.com",
            "mail.example.com", "example.com", "crm-7", "de136695976", "jurgen", "juergen", "weiss", "koln",
            "koeln", "50 667", "50667"} <= terms
    assert "com" not in terms and not any(char in "üößÄ" for term in terms for char in term)


@pytest.mark.parametrize("value, expected", [
    ("12", 12), (12, 12), ("0", 0), ("¹", None), ("١٢", None), ("-1", None), ("1.0", None), (True, None),
    (2**63, None), ("9" * 20, None), (None, None),
])
def test_whole_numbers_are_ascii_digits_that_fit_an_id(value, expected):
    assert rules.whole_number(value) == expected
