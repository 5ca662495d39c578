"""The settings rows of the customer Settings tab and the organization settings page: one row, two scopes."""
import json
from dataclasses import dataclass
from decimal import Decimal

from wtforms import TextAreaField

from portal.domain import settings as rules
from portal.domain.settings_fields import GROUPS, LABELS
from portal.domain.validation import ValidationFailed
from portal.web.inline import (
    Conflict,
    Entry,
    InlineForm,
    read_state_of,
    text_fingerprint,
)

ROWS_TEMPLATE = "settings/_rows.html"
BOOLEAN_WORDS = {"true": True, "on": True, "yes": True, "false": False, "off": False, "no": False}


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
    def read_state(self):
        """What a form for this row reads (the Reset button posts it, like the row's form)."""
        return read_state_of({"value": text_fingerprint(self.input_value)})

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
        word = raw.lower()
        if word not in BOOLEAN_WORDS:
            raise ValueError("Choose On, Off or inherit.")
        return BOOLEAN_WORDS[word]
    if setting.kind == "json":
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
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



class SettingForm(InlineForm):
    """One settings row's form: its value as typed (empty inherits); the row's template draws the control."""

    value = TextAreaField("Value")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule_errors = {}

    def add_errors(self, errors):
        """Keep the rules' messages by field, so that the row names another field a rule involves."""
        self.rule_errors = dict(errors)
        self.value.errors = list(errors.values())


@dataclass
class SettingSubject:
    """One settings row being edited: its owner (a customer, or the organization's id) and its row."""

    owner: object
    row: Row

    @property
    def name(self):
        return self.row.name


class SettingRowEntry(Entry):
    """A settings row, on the customer's Settings tab or the organization's settings page."""

    name = "setting"
    template = ROWS_TEMPLATE
    read_block = "setting_row"
    form_block = "setting_form"
    labels = {}

    def form_class(self, subject):
        return SettingForm

    def setup_form(self, form, subject):
        form.value.label.text = subject.row.setting.label
        return form

    def initial(self, subject):
        return {"value": subject.row.input_value}

    def conflict(self, subject, theirs, mine):
        def shown(field):
            try:
                value = parse_input(subject.row.setting, field.data)
            except ValueError:
                return field.data
            return display_value(subject.row.setting, value) if value is not None else "inherited"
        return Conflict(subject.row.setting.label, shown(theirs), shown(mine))

    def key(self, subject):
        return f"setting-{subject.name}"

    def value_of(self, subject, form):
        """The typed value as the rules take it; a message at the row when it cannot be read."""
        try:
            return parse_input(subject.row.setting, form.value.data)
        except ValueError as error:
            raise ValidationFailed({subject.name: str(error)}) from None

    def row_context(self, subject, form):
        """What one row's read view and form show."""
        return {"row": subject.row, "value": form.value.data if form else subject.row.input_value,
                "errors": form.rule_errors if form else {}, "labels": LABELS,
                "json_example": json_example(subject.name) if subject.row.setting.kind == "json" else ""}

