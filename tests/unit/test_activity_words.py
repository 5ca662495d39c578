"""The activity log's wording as pure functions: an event's entity, action and changes in, sentence parts out."""
from dataclasses import dataclass, field

import pytest

from portal.domain import activity as words
from portal.domain.activity import MISSING, References


@dataclass
class Event:
    """What `describe` reads of an audit event."""

    entity: str
    action: str
    changes: dict
    entity_id: str = "1"
    actor_type: str = "user"
    actor_id: int | None = 7
    actor_name: str = "anna@acme.test"
    reason: str | None = None
    reverts_event_id: int | None = None
    extra: dict = field(default_factory=dict)


REFS = References(currency="JPY", users={7: "Anna Weber"}, email_templates={"1": "Friendly reminder"},
                  legal_entities={"3": "Acme Nordic AB"})


def test_template_ids_are_named_and_a_removed_one_said_so():
    event = Event("overdueRule", "update", {"emailTemplateId": [1, 2]})
    assert words.describe(event, REFS).sentence == \
        "changed Email template from Friendly reminder to a removed email template"


@pytest.mark.parametrize("actor_type, actor_id, name, who, channel", [
    ("user", 7, "anna@acme.test", "Anna Weber", "Portal"),
    ("user", 8, "gone@acme.test", "gone@acme.test", "Portal"),
    ("token", 2, "API token “CRM sync”", "API token “CRM sync”", "API"),
    ("token", 2, "CRM sync", "API token “CRM sync”", "API"),
    ("cli", None, "command line", "The command line", "Command line"),
])
def test_who_and_through_what(actor_type, actor_id, name, who, channel):
    event = Event("customer", "update", {"name": ["A", "B"]}, actor_type=actor_type, actor_id=actor_id,
                  actor_name=name)
    described = words.describe(event, REFS)
    assert (described.actor, described.channel) == (who, channel)


def test_amounts_use_the_customers_currency():
    event = Event("settings", "update", {"acquisitionCost": [None, "12000.00"]})
    assert words.describe(event, REFS).sentence == "set Acquisition cost to ¥12,000"


def test_stored_values_of_an_unexpected_shape_still_read_as_words():
    event = Event("settings", "update", {"customerBillingStatementSetting": [{"option": "Detailed"}, "garbage"],
                                         "trackedItemDisplay": [None, ["not", "a", "dict"]],
                                         "broken": "not a pair"})
    described = words.describe(event, REFS)
    assert [f.field for f in described.fields] == ["customerBillingStatementSetting", "trackedItemDisplay"]
    for item in described.fields:
        assert "{" not in item.phrase and "[" not in item.phrase and "None" not in item.phrase


@pytest.mark.parametrize("current, state", [("7.00", "current"), ("0.00", "back"), ("19.00", "changed"),
                                            (MISSING, "gone")])
def test_revert_state_compares_the_value_now_with_the_change(current, state):
    assert words.revert_state(["0.00", "7.00"], current) == state


def test_an_empty_text_and_no_value_are_the_same_for_a_revert():
    assert words.revert_state([None, "Gold"], "") == "back"


@pytest.mark.parametrize("entity, action, name, old, revertible", [
    ("customer", "update", "name", "A", True), ("customer", "update", "status", "active", False),
    ("customer", "create", "name", None, False), ("contact", "update", "isPrimary", True, False),
    ("settings", "update", "defaultPaymentMethodId", None, False),
    ("settings", "update", "defaultPaymentMethodId", "4", True), ("properties", "update", "tier", "Gold", True),
    ("paymentMethod", "update", "isDefault", False, False), ("overdueRule", "update", "level", 1, False),
])
def test_which_changes_can_be_reverted(entity, action, name, old, revertible):
    assert words.is_revertible(entity, action, name, [old, "x"]) is revertible


def test_the_reason_of_a_revert_names_the_change_and_when():
    from datetime import datetime

    event = Event("contact", "update", {"email": ["a@x.test", "b@x.test"]}, entity_id="5")
    described = words.describe(event, References(users={7: "Anna Weber"}, contacts={"5": "Ada Lovelace"}))
    assert words.revert_reason(described, described.fields[0], datetime(2026, 5, 1, 14, 3)) == \
        "revert of Anna Weber's change of Email of Ada Lovelace on 2026-05-01 14:03 UTC"
