"""The form fields of the settings rows: one field per setting, whose `data` is the setting as canonical text.

Canonical text ("" = inherit / none; a term's code; structured values as compact JSON) is what the inline-edit flow
compares to tell which settings the user changed. A simple setting is one input named after the field; a payment
term and the structured settings are several inputs named `<field>-<part>`, composed here into the value (inputs
that do not apply — a month for a monthly configuration — are ignored, so a form without JavaScript, which shows
them all, still saves what the user means). The domain's rules check the composed value; their messages name the
part they are about, and `place()` shows them at that input.
"""
import json

from wtforms import Field, StringField
from wtforms.utils import unset_value

from portal.domain import settings as rules


def canonical_json(value):
    """A structured value as the text two reads of it compare by ("" for none)."""
    if value in (None, [], {}):
        return ""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _number(text):
    """A typed day or month: an int when it is one, else the text as typed (the rule refuses it at the input)."""
    text = (text or "").strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else text


class SimpleInput(StringField):
    """One input (text, or a select whose options the row's template draws): its text is the value."""

    def place(self, part, message):
        """Rule messages of a simple setting belong to its one input."""
        self.errors = [*self.errors, message]


class PartsInput(Field):
    """A setting edited through several inputs `<name>-<part>`; `data` is the composed value's canonical text.

    A post that names the field itself (the row's Reset button sends `<name>=`) gives the canonical text directly.
    """

    PARTS = ()

    def process(self, formdata, data=unset_value, extra_filters=None):
        """Read the parts from a post (or the canonical text from `data`), and compose them."""
        self.process_errors, self.part_errors, self.raw = [], {}, None
        self.data = "" if data is unset_value or data is None else data
        self._composed = None
        if formdata is None:
            return
        if self.name in formdata:
            self.data = (formdata.get(self.name) or "").strip()
            return
        prefix = f"{self.name}-"
        self.raw = {key.removeprefix(prefix): formdata.get(key) or "" for key in formdata if key.startswith(prefix)}
        try:
            self.data = self.compose(self.raw)
        except ValueError as error:
            message = rules.message_of(error)
            self.data = None
            self.place(message.part, message.screen)
            self.process_errors.append(message.screen)
        self._composed = self.data

    def compose(self, raw):
        """The canonical text the typed parts make."""
        raise NotImplementedError

    def shown(self):
        """The parts as the inputs show them: what the user typed (for a value not saved yet), else the value."""
        if self.raw is not None and self.data == self._composed:
            return self.raw
        return self.parts_of(self.data)

    def parts_of(self, text):
        """The inputs' values for a canonical text."""
        raise NotImplementedError

    def place(self, part, message):
        """Show a rule's message at the input it is about (the field's first input when it names none)."""
        key = self.part_key(part)
        self.part_errors[key] = message
        if message not in self.errors:
            self.errors = [*self.errors, message]

    def part_key(self, part):
        """The input a rule's part (e.g. (0, "day") or "days") is shown at."""
        return part if isinstance(part, str) else self.PARTS[0]


class TermInput(PartsInput):
    """The payment term picker: how the due date is set (kind), and the number of days or the day of the month."""

    PARTS = ("kind", "days", "day")

    def compose(self, raw):
        return rules.term_from_parts(raw.get("kind", ""), raw.get("days"), raw.get("day")) or ""

    def parts_of(self, text):
        try:
            kind, number = rules.term_parts(text)
        except ValueError:
            return {"kind": "", "days": "", "day": ""}
        return {"kind": kind, "days": str(number) if kind == "Net" else "",
                "day": str(number) if kind == "DayOfMonth" else ""}


class BillingPeriodsInput(PartsInput):
    """One slot per interval (so at most one configuration each): when, which invoicing rule, the day (on a set
    day) and the month (on a set day, yearly). A slot whose "when" is empty is not used."""

    PARTS = tuple(f"{interval}-{part}" for interval in rules.INTERVALS for part in ("type", "rule", "day", "month"))

    def compose(self, raw):
        configurations = []
        for interval in rules.INTERVALS:
            kind = raw.get(f"{interval}-type", "")
            if not kind:
                continue
            item = {"type": kind, "rule": raw.get(f"{interval}-rule", ""), "interval": interval}
            if kind == "SpecifiedDate":
                item["day"] = _number(raw.get(f"{interval}-day"))
                if interval == "Yearly":
                    item["month"] = _number(raw.get(f"{interval}-month"))
            configurations.append(item)
        return canonical_json(configurations)

    def parts_of(self, text):
        shown = {key: "" for key in self.PARTS}
        for item in self.value_of(text) or []:
            if isinstance(item, dict) and item.get("interval") in rules.INTERVALS:
                for part in ("type", "rule", "day", "month"):
                    shown[f"{item['interval']}-{part}"] = "" if item.get(part) is None else str(item[part])
        return shown

    def part_key(self, part):
        if isinstance(part, tuple) and len(part) == 2:  # (index in the composed list, key) → that slot's input
            items = self.value_of(self.data if self.data is not None else "") or []
            index, key = part
            if 0 <= index < len(items) and isinstance(items[index], dict):
                interval = items[index].get("interval")
                if interval in rules.INTERVALS:
                    return f"{interval}-{key if key != 'interval' else 'type'}"
        return self.PARTS[0]

    @staticmethod
    def value_of(text):
        try:
            return json.loads(text) if text else None
        except (ValueError, RecursionError):  # not our canonical text (a forged post): nothing to show
            return None


class StatementInput(PartsInput):
    """Billing statements: the statement option (or inherit / none), when, the interval, day and month where they
    apply, and whose activity they show."""

    PARTS = ("option", "type", "interval", "day", "month", "statementActivityType")

    def compose(self, raw):
        option = raw.get("option", "")
        if not option:
            return ""
        kind, interval = raw.get("type", ""), raw.get("interval", "")
        statement = {"option": option, "type": kind, "interval": interval,
                     "statementActivityType": raw.get("statementActivityType", "")}
        if kind == "SpecifiedDate":
            statement["day"] = _number(raw.get("day"))
            if interval == "Yearly":
                statement["month"] = _number(raw.get("month"))
        return canonical_json(statement)

    def parts_of(self, text):
        value = BillingPeriodsInput.value_of(text)
        value = value if isinstance(value, dict) else {}
        return {part: "" if value.get(part) is None else str(value[part]) for part in self.PARTS}


class TrackedItemsInput(PartsInput):
    """Tracked item display: where tracked items are shown (or inherit), and which of their details."""

    PARTS = ("format", *rules.TRACKED_ITEM_FLAGS)

    def compose(self, raw):
        display_format = raw.get("format", "")
        if not display_format:
            return ""
        return canonical_json({"trackedItemDisplayFormat": display_format,
                               **{flag: bool(raw.get(flag)) for flag in rules.TRACKED_ITEM_FLAGS}})

    def parts_of(self, text):
        value = BillingPeriodsInput.value_of(text)
        value = value if isinstance(value, dict) else {}
        return {"format": value.get("trackedItemDisplayFormat", "") if value else "",
                **{flag: "on" if value.get(flag) else "" for flag in rules.TRACKED_ITEM_FLAGS}}

    def part_key(self, part):
        return "format" if part in (None, "trackedItemDisplayFormat") else super().part_key(part)


COMPOSED_INPUTS = {"term": TermInput, "billingPeriodConfigurations": BillingPeriodsInput,
                   "customerBillingStatementSetting": StatementInput, "trackedItemDisplay": TrackedItemsInput}


def input_for(setting):
    """The form field class that edits one setting."""
    return COMPOSED_INPUTS.get(setting.name, SimpleInput)
