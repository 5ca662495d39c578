"""The settings rows of the customer Settings tab and the organization settings page: one row, two scopes."""
import json
from dataclasses import dataclass
from decimal import Decimal

from portal.domain import settings as rules
from portal.domain.settings_fields import GROUPS

ROWS_TEMPLATE = "settings/_rows.html"


@dataclass
class Row:
    """One field as a settings page shows it."""

    setting: object
    own: object
    effective: object
    source: str
    override_count: int | None = None

    @property
    def name(self):
        return self.setting.name

    @property
    def is_set(self):
        return self.own is not None

    @property
    def display(self):
        return display_value(self.setting, self.effective)

    @property
    def input_value(self):
        """What the edit control shows: the own value, or empty (= inherit)."""
        if self.own is None:
            return ""
        if self.setting.kind == "json":
            return json.dumps(self.own, indent=1)
        if self.setting.kind == "bool":
            return "true" if self.own else "false"
        return str(self.own)


def display_value(setting, value):
    """A value as an account manager reads it."""
    if value is None or value == []:
        return "—" if setting.kind != "json" else "None"
    if setting.kind == "bool":
        return "On" if value else "Off"
    if setting.kind == "term":
        try:
            return f"{value} · {rules.describe_term(value)}"
        except ValueError:
            return str(value)
    if setting.kind == "decimal":
        return f"{Decimal(str(value)):,.2f}"
    if setting.name == "trackedItemDisplay":
        shown = [flag.removeprefix("showTrackedItem") for flag in rules.TRACKED_ITEM_FLAGS if value.get(flag)]
        return f"{value.get('trackedItemDisplayFormat')}; shows {', '.join(shown) or 'no details'}"
    if setting.name == "billingPeriodConfigurations":
        return "; ".join(f"{c['interval']}: {c['type']}, {c['rule']}"
                         + (f", day {c['day']}" if c.get("day") else "") + (f", month {c['month']}" if c.get("month")
                                                                            else "") for c in value)
    if setting.name == "customerBillingStatementSetting":
        return f"{value['option']}, {value['interval']} ({value['type']}), {value['statementActivityType']}"
    return str(value)


def rows_for(resolved, own_layer, fields, counts=None):
    """Rows grouped as the page shows them: [(group, [Row])]."""
    grouped = []
    for group in GROUPS:
        rows = [Row(f, own_layer.get(f.name), resolved[f.name].value, resolved[f.name].source,
                    (counts or {}).get(f.name)) for f in fields if f.group == group]
        if rows:
            grouped.append((group, rows))
    return grouped


def parse_input(setting, raw):
    """The form's text for one field as the rules take it: empty is None (inherit); ValueError when unreadable."""
    raw = (raw or "").strip()
    if raw == "":
        return None
    if setting.kind == "bool":
        if raw not in ("true", "false"):
            raise ValueError("Choose On, Off or inherit.")
        return raw == "true"
    if setting.kind == "json":
        try:
            return json.loads(raw)
        except ValueError:
            raise ValueError("Not valid JSON; see the example below the field.") from None
    return raw


JSON_EXAMPLES = {
    "trackedItemDisplay": {"trackedItemDisplayFormat": "Inline", "showTrackedItemName": True,
                           "showTrackedItemReference": False, "showTrackedItemDescription": False,
                           "showTrackedItemCreatedDate": False},
    "billingPeriodConfigurations": [{"type": "SpecifiedDate", "rule": "SingleInvoice", "interval": "Monthly",
                                     "day": 1}],
    "customerBillingStatementSetting": {"option": "Detailed", "type": "SpecifiedDate", "interval": "Yearly",
                                        "day": 1, "month": 1, "statementActivityType": "OnlyParentActivity"},
}


def json_example(name):
    return json.dumps(JSON_EXAMPLES[name])

