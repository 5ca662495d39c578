"""Settings resolution and rules, without Flask: examples and properties against a simple model."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain import settings as s
from portal.domain.settings_fields import DEFAULTS, SETTING_FIELDS

INHERITABLE = [f.name for f in SETTING_FIELDS if f.inheritable]
CUSTOMER_ONLY = [f.name for f in SETTING_FIELDS if not f.inheritable]


def test_nothing_set_uses_the_defaults():
    resolved = s.resolve({}, {})
    assert resolved["term"] == s.Resolved("Net14", "default")
    assert resolved["autoCollect"] == s.Resolved(False, "default")
    assert len(resolved) == len(SETTING_FIELDS)


def test_organization_overrides_default_and_customer_overrides_organization():
    resolved = s.resolve({"term": "Net30", "sendPaymentReminders": False}, {"term": "Net7"})
    assert resolved["term"] == s.Resolved("Net7", "customer")
    assert resolved["sendPaymentReminders"] == s.Resolved(False, "organization")


def test_false_and_zero_are_values_not_gaps():
    resolved = s.resolve({"autoSendDocuments": False, "customerGracePeriod": 0}, {"chargeDunningFees": False})
    assert resolved["autoSendDocuments"] == s.Resolved(False, "organization")
    assert resolved["customerGracePeriod"] == s.Resolved(0, "organization")
    assert resolved["chargeDunningFees"] == s.Resolved(False, "customer")


def test_customer_only_fields_ignore_the_organization_layer():
    resolved = s.resolve({"taxExemptCode": "ORG"}, {})
    assert resolved["taxExemptCode"] == s.Resolved(None, "default")


values = st.one_of(st.none(), st.booleans(), st.integers(0, 5), st.sampled_from(["Net7", "Net30", "MFI1"]))


@given(org=st.dictionaries(st.sampled_from([f.name for f in SETTING_FIELDS]), values),
       own=st.dictionaries(st.sampled_from([f.name for f in SETTING_FIELDS]), values))
def test_resolution_matches_the_simple_model(org, own):
    """Model: the first non-null of customer, organization (inheritable only), default."""
    resolved = s.resolve(org, own)
    for setting in SETTING_FIELDS:
        chain = [(own.get(setting.name), "customer")]
        if setting.inheritable:
            chain.append((org.get(setting.name), "organization"))
        chain.append((DEFAULTS[setting.name], "default"))
        value, source = next((v, src) for v, src in chain if v is not None or src == "default")
        assert resolved[setting.name] == s.Resolved(value, source)


@given(org=st.dictionaries(st.sampled_from(INHERITABLE), values), name=st.sampled_from(INHERITABLE),
       value=values.filter(lambda v: v is not None))
def test_an_override_wins_and_a_reset_inherits_again(org, name, value):
    assert s.resolve(org, {name: value})[name] == s.Resolved(value, "customer")
    assert s.resolve(org, {name: None})[name] == s.resolve(org, {})[name]


@given(org=st.dictionaries(st.sampled_from(INHERITABLE), values), name=st.sampled_from(INHERITABLE),
       new=values.filter(lambda v: v is not None), own=values.filter(lambda v: v is not None))
def test_an_organization_change_reaches_inheriting_customers_only(org, name, new, own):
    changed = {**org, name: new}
    assert s.resolve(changed, {})[name].value == new
    assert s.resolve(changed, {name: own})[name].value == own


@pytest.mark.parametrize("term, invoice, due", [
    ("Net0", date(2026, 3, 10), date(2026, 3, 10)),
    ("Net14", date(2026, 12, 25), date(2027, 1, 8)),
    ("Net365", date(2026, 1, 1), date(2027, 1, 1)),
    ("DayOfMonth15", date(2026, 3, 10), date(2026, 3, 15)),
    ("DayOfMonth15", date(2026, 3, 15), date(2026, 4, 15)),  # the *next* date after the invoice date
    ("DayOfMonth31", date(2026, 2, 10), date(2026, 2, 28)),  # February is shorter
    ("DayOfMonth30", date(2028, 2, 29), date(2028, 3, 30)),
    ("DayOfMonth31", date(2026, 4, 30), date(2026, 5, 31)),
    ("DayOfMonth1", date(2026, 12, 1), date(2027, 1, 1)),
    ("MFI1", date(2026, 1, 31), date(2026, 2, 1)),
    ("MFI1", date(2026, 12, 1), date(2027, 1, 1)),
])
def test_due_dates(term, invoice, due):
    assert s.due_date(term, invoice) == due


@pytest.mark.parametrize("term", ["Net366", "Net-1", "DayOfMonth0", "DayOfMonth32", "MFI2", "net14", "Net014", ""])
def test_bad_terms(term):
    with pytest.raises(ValueError):
        s.parse_term(term)


def test_billing_period_rules():
    ok = [{"type": "SpecifiedDate", "rule": "SingleInvoice", "interval": "Yearly", "day": 1, "month": 7},
          {"type": "CustomerActivation", "rule": "Prompt", "interval": "Monthly"}]
    assert s.field_rule(s.field("billingPeriodConfigurations"))(ok)[0]["month"] == 7
    bad = [
        [{"type": "CustomerActivation", "rule": "Prompt", "interval": "Monthly", "day": 3}],
        [{"type": "SpecifiedDate", "rule": "Prompt", "interval": "Monthly", "day": 3, "month": 2}],
        [{"type": "SpecifiedDate", "rule": "Prompt", "interval": "Yearly", "day": 3}],
        [{"type": "CustomerActivation", "rule": "Prompt", "interval": "Monthly"}] * 2,
    ]
    for value in bad:
        with pytest.raises(ValueError):
            s.field_rule(s.field("billingPeriodConfigurations"))(value)


def test_cross_field_rules_involve_the_changed_fields_only():
    effective = {**DEFAULTS, "eInvoiceFormat": "xrechnung-ubl"}
    assert "eInvoiceBuyerReference" in s.cross_field_errors(effective, False, {}, {"eInvoiceFormat"})
    assert s.cross_field_errors(effective, False, {}, {"term"}) == {}
    assert "taxExemptCode" in s.cross_field_errors({**DEFAULTS, "taxExempt": True}, False, {}, {"taxExempt"})
    assert "autoCollect" in s.cross_field_errors({**DEFAULTS, "autoCollect": True}, False, {"autoCollect": True},
                                                 {"autoCollect"})
    recharge = {**DEFAULTS, "rechargeType": "BringBalanceBackTo", "rechargeThresholdAmount": 50,
                "rechargeTargetAmount": 50}
    assert s.cross_field_errors(recharge, True, {}, {"rechargeTargetAmount"}) == {
        "rechargeTargetAmount": "The target must be above the threshold."}
