"""The dunning timeline and fee money, without Flask."""
from dataclasses import dataclass
from datetime import date

import pytest

from portal.domain import dunning as dunning_domain
from portal.domain.settings import Layer, resolve


@dataclass
class Rule:
    level: int
    days_overdue: int
    due_in_days: int = 7
    type: str = "reminder"
    amount_in_cents: int | None = None
    is_enabled: bool = True


LADDER = [Rule(1, 5), Rule(2, 7, 7, "dunning", 250), Rule(3, 10, 14, "dunning", 500)]


def timeline_for(own=None, org=None, rules=LADDER, invoice=date(2026, 3, 2)):
    return dunning_domain.timeline(resolve([Layer("organization", org or {}), Layer("customer", own or {})]), rules,
                                   invoice, 119000, "EUR")


GENTLE = [Rule(1, 14, 14), Rule(2, 21, 14, "dunning", 100)]


def test_a_groups_ladder_and_term_shape_the_timeline_and_are_named():
    """A customer of a group with its own (gentle) ladder and term: the timeline follows the ladder it is given, names
    it and says where the ladder and the term come from."""
    resolved = resolve([Layer("organization", {"dunningLadderId": "1", "term": "Net14"}),
                        Layer("group", {"dunningLadderId": "2", "term": "Net30"}, "Public sector DE"),
                        Layer("customer", {})])
    result = dunning_domain.timeline(resolved, GENTLE, date(2026, 3, 2), 119000, "EUR",
                                     {"id": "2", "name": "Gentle"})
    assert result["ladder"] == {"id": "2", "name": "Gentle"}
    assert result["dueDate"] == "2026-04-01"
    assert [(step["level"], step["sendDate"], step["feeInCents"]) for step in result["steps"]] == [
        (1, "2026-04-15", 0), (2, "2026-05-20", 100)]
    assert result["notes"][:2] == [
        "Payment term Due 30 days after the invoice date (Inherited from Group Public sector DE): due 2026-04-01.",
        "Dunning ladder “Gentle” (Inherited from Group Public sector DE)."]


def test_without_a_ladder_nothing_is_sent_and_the_timeline_says_why():
    result = dunning_domain.timeline(resolve(), [], date(2026, 3, 2), 119000, "EUR", None)
    assert result["ladder"] is None and result["steps"] == []
    assert "The organization has no dunning ladder yet: nothing is sent." in result["notes"]


def test_steps_follow_the_due_date_and_each_other():
    result = timeline_for()
    assert result["dueDate"] == "2026-03-16"  # Net14 by default
    assert result["steps"] == [
        {"level": 1, "type": "reminder", "sendDate": "2026-03-21", "dueDate": "2026-03-28", "feeInCents": 0},
        {"level": 2, "type": "dunning", "sendDate": "2026-04-04", "dueDate": "2026-04-11", "feeInCents": 250},
        {"level": 3, "type": "dunning", "sendDate": "2026-04-21", "dueDate": "2026-05-05", "feeInCents": 500},
    ]
    assert result["totalFeesInCents"] == 750
    assert result["notes"][0] == "Payment term Due 14 days after the invoice date (Inherited from Default Values): due 2026-03-16."


@pytest.mark.parametrize("term, due", [("Net30", "2026-02-28"), ("DayOfMonth31", "2026-01-31"),
                                       ("DayOfMonth15", "2026-02-15"), ("MFI1", "2026-02-01")])
def test_the_effective_term_sets_the_due_date(term, due):
    result = timeline_for(org={"term": term}, invoice=date(2026, 1, 29))
    assert result["dueDate"] == due
    assert "Inherited from Organization" in result["notes"][0]


def test_disabled_rules_are_left_out_and_the_chain_closes_up():
    rules = [Rule(1, 5), Rule(2, 7, is_enabled=False), Rule(3, 10, 14, "dunning", 500)]
    result = timeline_for(rules=rules)
    assert [s["level"] for s in result["steps"]] == [1, 3]
    assert result["steps"][1]["sendDate"] == "2026-04-07"  # 10 days after step 1's due date
    assert "Disabled, so left out: level 2." in result["notes"]


def test_reminders_off_means_no_steps():
    result = timeline_for(own={"sendPaymentReminders": False})
    assert result["steps"] == [] and result["totalFeesInCents"] == 0
    assert any("Payment reminders are off (Customer-specific Value)" in n for n in result["notes"])


def test_dunning_exempt_means_no_steps():
    result = timeline_for(org={"dunningExempt": True})
    assert result["steps"] == []
    assert any("dunning exempt (Inherited from Organization)" in n for n in result["notes"])


def test_fees_off_keeps_the_steps_with_zero_fees():
    result = timeline_for(own={"chargeDunningFees": False})
    assert [s["feeInCents"] for s in result["steps"]] == [0, 0, 0]
    assert len(result["steps"]) == 3 and result["totalFeesInCents"] == 0
    assert any("Dunning fees are off" in n for n in result["notes"])


@pytest.mark.parametrize("text, currency, cents", [("5.00", "EUR", 500), ("5,5", "EUR", 550), ("500", "JPY", 500),
                                                    ("1.250", "BHD", 1250), ("0.01", "USD", 1)])
def test_money_is_stored_in_the_minor_unit(text, currency, cents):
    assert dunning_domain.parse_money(text, currency) == cents
    assert dunning_domain.parse_money(dunning_domain.money_input(cents, currency), currency) == cents


@pytest.mark.parametrize("text, currency", [("5.5", "JPY"), ("1.2345", "BHD"), ("0", "EUR"), ("-1", "EUR"),
                                            ("abc", "EUR")])
def test_money_refuses(text, currency):
    with pytest.raises(ValueError):
        dunning_domain.parse_money(text, currency)


def test_placeholders():
    assert dunning_domain.render_placeholders("Dear {{ customer_name }}") == "Dear Acme GmbH"
    assert dunning_domain.unknown_placeholders("{{ customer_name }} {{ oops }}") == ["oops"]
