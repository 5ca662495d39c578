"""Settings resolution and rules, without Flask: examples and properties against a simple model."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain import settings as s
from portal.domain.settings_fields import DEFAULTS, SETTING_FIELDS

INHERITABLE = [f.name for f in SETTING_FIELDS if f.inheritable]
CUSTOMER_ONLY = [f.name for f in SETTING_FIELDS if not f.inheritable]


def layers(org=None, own=None, group=None, group_name="Public sector"):
    """The resolver's layers, lowest first: organization, the group (when given), the customer."""
    result = [s.Layer("organization", org or {})]
    if group is not None:
        result.append(s.Layer("group", group, group_name))
    result.append(s.Layer("customer", own or {}))
    return result


def test_nothing_set_uses_the_defaults():
    resolved = s.resolve(layers())
    assert resolved["term"] == s.Resolved("Net14", "default")
    assert resolved["autoCollect"] == s.Resolved(False, "default")
    assert len(resolved) == len(SETTING_FIELDS)
    assert s.resolve() == resolved  # no layers at all: the defaults


def test_organization_overrides_default_and_customer_overrides_organization():
    resolved = s.resolve(layers({"term": "Net30", "sendPaymentReminders": False}, {"term": "Net7"}))
    assert resolved["term"] == s.Resolved("Net7", "customer")
    assert resolved["sendPaymentReminders"] == s.Resolved(False, "organization")


def test_a_group_sits_between_the_organization_and_the_customer():
    resolved = s.resolve(layers({"term": "Net30", "eInvoiceFormat": "zugferd", "autoCollect": True},
                                {"term": "Net7"}, {"term": "Net60", "eInvoiceFormat": "xrechnung-ubl"}))
    assert resolved["term"] == s.Resolved("Net7", "customer")
    assert resolved["eInvoiceFormat"] == s.Resolved("xrechnung-ubl", "group", "Public sector")
    assert resolved["autoCollect"] == s.Resolved(True, "organization")
    assert s.source_words(resolved["eInvoiceFormat"]) == "Inherited from Group Public sector"
    assert s.source_words(resolved["autoCollect"]) == "Inherited from Organization"


def test_false_and_zero_are_values_not_gaps():
    resolved = s.resolve(layers({"autoSendDocuments": False, "customerGracePeriod": 0}, {"chargeDunningFees": False},
                                {"dunningExempt": False}))
    assert resolved["autoSendDocuments"] == s.Resolved(False, "organization")
    assert resolved["customerGracePeriod"] == s.Resolved(0, "organization")
    assert resolved["chargeDunningFees"] == s.Resolved(False, "customer")
    assert resolved["dunningExempt"] == s.Resolved(False, "group", "Public sector")


def test_customer_only_fields_ignore_the_organization_and_group_layers():
    resolved = s.resolve(layers({"taxExemptCode": "ORG"}, {}, {"taxExemptCode": "GROUP"}))
    assert resolved["taxExemptCode"] == s.Resolved(None, "default")


values = st.one_of(st.none(), st.booleans(), st.integers(0, 5), st.sampled_from(["Net7", "Net30", "MFI1"]))
any_layer = st.dictionaries(st.sampled_from([f.name for f in SETTING_FIELDS]), values)


@given(org=any_layer, group=st.one_of(st.none(), any_layer), own=any_layer)
def test_resolution_matches_the_simple_model(org, group, own):
    """Model: the first non-null of customer, group (inheritable only, when the customer has one), organization
    (inheritable only), default."""
    resolved = s.resolve(layers(org, own, group))
    for setting in SETTING_FIELDS:
        chain = [(own.get(setting.name), "customer", "")]
        if setting.inheritable:
            chain.append(((group or {}).get(setting.name), "group", "Public sector"))
            chain.append((org.get(setting.name), "organization", ""))
        chain.append((DEFAULTS[setting.name], "default", ""))
        value, source, via = next((v, src, via) for v, src, via in chain if v is not None or src == "default")
        assert resolved[setting.name] == s.Resolved(value, source, via)


inheritable_layer = st.dictionaries(st.sampled_from(INHERITABLE), values)


@given(org=inheritable_layer, group=st.one_of(st.none(), inheritable_layer), name=st.sampled_from(INHERITABLE),
       value=values.filter(lambda v: v is not None))
def test_an_override_wins_and_a_reset_inherits_again(org, group, name, value):
    """A customer's own value wins; reset, the customer gets what its group (else the organization) gives."""
    assert s.resolve(layers(org, {name: value}, group))[name] == s.Resolved(value, "customer")
    assert s.resolve(layers(org, {name: None}, group))[name] == s.resolve(layers(org, {}, group))[name]
    inherited = s.resolve(layers(org, {}, group))[name]
    expected = (group or {}).get(name)
    assert inherited.value == (expected if expected is not None else s.resolve(layers(org))[name].value)
    assert inherited.source == ("group" if expected is not None else s.resolve(layers(org))[name].source)


@given(org=inheritable_layer, group=st.one_of(st.none(), inheritable_layer), name=st.sampled_from(INHERITABLE),
       new=values.filter(lambda v: v is not None), own=values.filter(lambda v: v is not None))
def test_an_organization_change_reaches_inheriting_customers_only(org, group, name, new, own):
    """An organization change reaches a customer that sets the field neither itself nor through its group."""
    changed = {**org, name: new}
    group_sets = group is not None and group.get(name) is not None
    assert s.resolve(layers(changed, {}, group))[name].value == (group[name] if group_sets else new)
    assert s.resolve(layers(changed, {name: own}, group))[name].value == own


@given(org=inheritable_layer, group=inheritable_layer, name=st.sampled_from(INHERITABLE),
       new=values.filter(lambda v: v is not None), own=values.filter(lambda v: v is not None))
def test_a_group_change_reaches_its_inheriting_customers_only(org, group, name, new, own):
    """A group change reaches its customers that do not set the field, and none that do; not a customer outside."""
    changed = {**group, name: new}
    assert s.resolve(layers(org, {}, changed))[name] == s.Resolved(new, "group", "Public sector")
    assert s.resolve(layers(org, {name: own}, changed))[name].value == own
    assert s.resolve(layers(org, {}))[name] == s.resolve(layers(org, {}, {}))[name]


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


@pytest.mark.parametrize("term, sentence", [
    ("Net0", "Due on the invoice date"), ("Net1", "Due 1 day after the invoice date"),
    ("Net30", "Due 30 days after the invoice date"), ("DayOfMonth15", "Due on the next 15th after the invoice date"),
    ("DayOfMonth2", "Due on the next 2nd after the invoice date"), ("DayOfMonth11", "Due on the next 11th after the invoice date"),
    ("DayOfMonth31", "Due on the next 31st after the invoice date (the last day of a shorter month)"),
    ("MFI1", "Due on the first of the month after the invoice month"),
])
def test_a_term_reads_as_a_sentence(term, sentence):
    assert s.describe_term(term) == sentence


@given(term=st.one_of(st.integers(0, 365).map(lambda n: f"Net{n}"), st.integers(1, 31).map(lambda d: f"DayOfMonth{d}"),
                      st.just("MFI1")))
def test_the_term_picker_parts_make_the_code_back(term):
    kind, number = s.term_parts(term)
    assert s.term_from_parts(kind, number, number) == term


@pytest.mark.parametrize("typed, code", [("Net30", "Net30"), ("Net 30", "Net30"), ("net 30 days", "Net30"),
                                         ("30 days", "Net30"), ("day 15", "DayOfMonth15"),
                                         ("day 15 of the month", "DayOfMonth15"), ("on the 1st", "DayOfMonth1"),
                                         ("First of the next month", "MFI1"), ("MFI1", "MFI1")])
def test_a_typed_term_in_words_is_its_code(typed, code):
    assert s.term_from_text(typed) == code


@pytest.mark.parametrize("typed", ["thirty days", "Net 400", "day 32", "Net٣", "weekly"])
def test_a_typed_term_that_is_none_is_refused_in_words(typed):
    with pytest.raises(ValueError) as refused:
        s.term_from_text(typed)
    assert "NetN" not in s.message_of(refused.value).screen


def test_rule_messages_carry_screen_words_and_the_part_they_are_about():
    _cleaned, errors = s.clean_layer_values({
        "eInvoiceFormat": "bogus",
        "billingPeriodConfigurations": [{"type": "CustomerActivation", "rule": "Prompt", "interval": "Monthly"},
                                        {"type": "SpecifiedDate", "rule": "Prompt", "interval": "Yearly", "day": 3}],
        "customerBillingStatementSetting": {"option": "Weekly", "type": "SpecifiedDate", "interval": "Monthly",
                                            "statementActivityType": "OnlyParentActivity"},
    }, s.CUSTOMER_FIELDS)
    assert errors["eInvoiceFormat"] == "One of: none, xrechnung-ubl, xrechnung-cii, zugferd, peppol-bis."  # the API's
    assert errors["eInvoiceFormat"].screen == ("Choose one of: No e-invoice (PDF only), XRechnung (UBL), XRechnung (CII),"
                                               " ZUGFeRD, Peppol BIS Billing.")
    periods = errors["billingPeriodConfigurations"]
    assert (periods.screen, periods.part) == ("Enter a month from 1 to 12.", (1, "month"))
    statement = errors["customerBillingStatementSetting"]
    assert (statement.screen, statement.part) == ("Choose one of: Detailed, By subscription, Summarized.", "option")


def test_structured_settings_read_in_words():
    assert s.describe_billing_periods([]) == "No configurations"
    assert s.describe_billing_periods([
        {"type": "SpecifiedDate", "rule": "SingleInvoice", "interval": "Monthly", "day": 1},
        {"type": "SpecifiedDate", "rule": "Prompt", "interval": "Yearly", "day": 1, "month": 7}]) == \
        "Monthly on day 1: one invoice for all subscriptions; Yearly on 1 July: ask an agent to approve"
    assert s.describe_statements(None) == "No statements"
    assert s.describe_statements({"option": "Summarized", "type": "CustomerAnniversary", "interval": "Yearly",
                                  "statementActivityType": "ParentAndChildActivity"}) == \
        "Summarized, yearly on the customer's anniversary; parent's and children's activity"
    assert s.describe_tracked_items({**DEFAULTS["trackedItemDisplay"], "showTrackedItemName": True,
                                     "showTrackedItemDescription": True, "showTrackedItemCreatedDate": True}) == \
        "Inline, under the charge; shows name, description and created date"


def test_cross_field_messages_name_no_codes():
    from portal.domain.labels import raw_codes

    recharge = {**DEFAULTS, "rechargeType": "BringBalanceBackTo", "autoCollectSettingType": "Threshold"}
    messages = [message for _name, message, _involved in s.cross_field_problems(recharge, True)]
    assert messages and not any(code in message for code in raw_codes() for message in messages)


def test_every_setting_of_a_group_is_edited_in_one_row_only():
    names = [name for group in s.DEPENDENT_GROUPS.values() for name in group]
    assert len(names) == len(set(names)) and set(names) <= set(DEFAULTS)
