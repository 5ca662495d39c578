"""The settings rows of the customer Settings tab and the organization settings page: one row, two scopes.

A row is what one form edits: a single setting, or settings that depend on each other (E-invoicing, Tax exemption,
Threshold recharge, Auto-collect; `rules.DEPENDENT_GROUPS`), edited together so that their cross-field rules are
reported at the field. Every row is an entry of the one inline-edit flow, named by `<name>` in its URL; its form
has one field per setting, so the flow's per-field read state and conflict rules hold inside a group too.
"""
import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from portal.domain import settings as rules
from portal.domain.labels import (
    SETTING_ENUMS,
    SETTING_GROUPS,
    SETTING_PARTS,
    choices,
    field_label,
    label,
)
from portal.domain.settings_fields import FIELDS_BY_NAME, GROUPS, SETTING_FIELDS
from portal.domain.validation import ValidationFailed
from portal.services import settings_store as store
from portal.web.inline import Conflict, Entry, InlineForm, read_state_of
from portal.web.setting_inputs import canonical_json, input_for

ROWS_TEMPLATE = "settings/_rows.html"
BOOLEAN_WORDS = {"true": True, "on": True, "yes": True, "false": False, "off": False, "no": False}
SCOPE_SOURCES = {"customer": "source", "organization": "organizationSource", "group": "groupSource"}

# What the forms' selects offer and their inputs' hints, all in the catalogue's words.
FORM_OPTIONS = {
    "term_kinds": choices("termKind"),
    "period_types": choices("billingPeriodType"), "period_rules": choices("billingPeriodRule"),
    "intervals": choices("interval"),
    "months": [(str(number), rules.MONTH_NAMES[number]) for number in range(1, 13)],
    "statement_options": choices("statementOption"), "statement_types": choices("statementType"),
    "activity_types": choices("statementActivityType"), "tracked_formats": choices("trackedItemDisplayFormat"),
    "tracked_flags": [(flag, SETTING_PARTS[flag]) for flag in rules.TRACKED_ITEM_FLAGS],
    "parts": SETTING_PARTS,
    "hints": {
        "eInvoiceBuyerReference": f"Required for {label('eInvoiceFormat', 'xrechnung-ubl')} and "
                                  f"{label('eInvoiceFormat', 'xrechnung-cii')}.",
        "peppolParticipantId": f"scheme:id, e.g. 0088:4000001000005; required for "
                               f"{label('eInvoiceFormat', 'peppol-bis')}.",
        "taxExemptCode": "Required when the customer is tax exempt.",
        "rechargeThresholdAmount": "When the balance falls to this amount, it is recharged.",
        "rechargeTargetAmount": "The balance a recharge brings back; above the threshold.",
        "defaultPaymentMethodId": "The payment method auto-collect charges.",
    },
    "kind_hints": {"int": "Days, 0 or more; empty inherits.", "decimal": "An amount, 0 or more; empty for none."},
}


# --- what a row shows ------------------------------------------------------------------------------------------

@dataclass
class Part:
    """One setting of a row: its own value on this layer, its effective value and source, and what it inherits."""

    setting: object
    own: object
    effective: object
    source: str
    override_count: int | None = None
    inherited: object = None  # the Resolved value of the layers below (what "inherit" gives)
    scope: str = "customer"
    method_labels: dict = field(default_factory=dict)  # payment method id (text) → label
    via: str = ""  # the group's name, when the value comes from a group
    ladder_labels: dict = field(default_factory=dict)  # dunning ladder id (text) → name
    group_overrides: int | None = None  # on the organization's page: how many groups set it

    @property
    def name(self):
        """The setting's API name."""
        return self.setting.name

    @property
    def label(self):
        """The setting's name in the catalogue's words."""
        return field_label("settings", self.name)

    @property
    def is_set(self):
        """Whether this layer has a value of its own."""
        return self.own is not None

    @property
    def labels(self):
        """The names of the things this setting's ids refer to."""
        return self.ladder_labels if self.setting.kind == "ladder" else self.method_labels

    @property
    def display(self):
        """The effective value as a reader reads it."""
        return display_value(self.setting, self.effective, self.labels)

    @property
    def source_label(self):
        """Where the effective value comes from, as this page names it ("Inherited from Group Public sector")."""
        words = label(SCOPE_SOURCES[self.scope], self.source)
        return f"{words} {self.via}" if self.source == "group" and self.scope == "customer" else words

    @property
    def input_text(self):
        """What the form shows for the own value, as canonical text (empty = inherit)."""
        return input_text(self.setting, self.own)

    @property
    def inherit_option(self):
        """The words of the "inherit" choice: what the setting becomes without a value of its own here."""
        if not self.setting.inheritable:
            return "Not set"
        inherited = display_value(self.setting, self.inherited.value, self.labels) if self.inherited else ""
        if self.scope == "organization":
            return f"Default ({inherited})"
        source = self.inherited.source if self.inherited else "default"
        where = {"organization": "Organization", "group": f"Group {self.inherited and self.inherited.via}"}.get(
            source, "Default Values")
        return f"Inherit ({inherited}, from {where})"

    @property
    def choices(self):
        """(code, label) pairs of a select (bool, enum, payment method), the "inherit" or "none" choice first."""
        if self.name == "defaultPaymentMethodId":
            return list(self.method_labels.items()) or [("", "No payment method yet")]
        if self.setting.kind == "ladder":
            ladders = list(self.ladder_labels.items())
            if self.scope == "organization":  # the organization's value is its default ladder: always one
                return ladders or [("", "No dunning ladder yet")]
            return [("", self.inherit_option), *ladders]
        if self.setting.kind == "bool":
            pairs = [("true", "On"), ("false", "Off")]
        else:
            pairs = choices(SETTING_ENUMS[self.name], self.setting.choices)
        return [("", self.inherit_option), *pairs]


@dataclass
class Row:
    """One line of a settings page and what its one form edits: a setting, or settings edited together."""

    name: str
    parts: list
    section: str

    @property
    def is_group(self):
        """Whether the row edits several settings together."""
        return self.name in rules.DEPENDENT_GROUPS and len(self.parts) > 1

    @property
    def label(self):
        """The row's name: the group's, or its one setting's."""
        return SETTING_GROUPS[self.name] if self.is_group else self.parts[0].label

    @property
    def help(self):
        """What the row's settings say about themselves."""
        return " ".join(part.setting.help for part in self.parts if part.setting.help)

    @property
    def resettable(self):
        """The parts a Reset sets back: the inheritable ones with a value of their own (a group's customer-only
        parts, such as a buyer reference, stay; they are cleared in the form), or, in a row of customer-only
        settings, every one with a value."""
        stored = [part for part in self.parts if part.is_set and part.setting.stored]
        if any(part.setting.inheritable for part in self.parts):
            return [part for part in stored if part.setting.inheritable]
        return stored

    @property
    def inheritable(self):
        """Whether Reset makes the row inherit again (else it clears it)."""
        return any(part.setting.inheritable for part in self.resettable)

    @property
    def read_state(self):
        """What the row's form reads (the Reset button posts it, like the row's form)."""
        return read_state_of({part.name: part.input_text for part in self.parts})

    @property
    def reset_inputs(self):
        """The Reset button's fields: each resettable part empty, every other part as it is."""
        resettable = {part.name for part in self.resettable}
        return [(part.name, "" if part.name in resettable else part.input_text) for part in self.parts]


def editors(fields):
    """[(row name, [setting])] in page order: a dependent group where its first field is, a field on its own
    otherwise; only the fields of this scope."""
    names = {f.name for f in fields}
    rows, seen = [], set()
    for setting in SETTING_FIELDS:
        if setting.name not in names or setting.name in seen:
            continue
        group = rules.GROUP_OF.get(setting.name)
        members = [FIELDS_BY_NAME[n] for n in rules.DEPENDENT_GROUPS[group] if n in names] if group else [setting]
        seen.update(member.name for member in members)
        rows.append((group or setting.name, members))
    return rows


def row_names(fields):
    """{row name: its settings} of a scope."""
    return dict(editors(fields))


def row_of(name):
    """The row a setting is edited in (its group's, or its own)."""
    return rules.GROUP_OF.get(name, name)


def build_row(name, settings, resolved, own_layer, scope, counts=None, inherited=None, method_labels=None,
              ladder_labels=None):
    """One row from the resolved layers; `counts` is {setting: overrides} or, on the organization's page,
    {setting: (customers overriding, groups overriding)}."""
    parts = []
    for s in settings:
        count = (counts or {}).get(s.name)
        customers, groups = count if isinstance(count, tuple) else (count, None)
        parts.append(Part(s, own_layer.get(s.name), resolved[s.name].value, resolved[s.name].source, customers,
                          (inherited or {}).get(s.name), scope, method_labels or {}, resolved[s.name].via,
                          ladder_labels or {}, groups))
    return Row(name, parts, settings[0].group)


def rows_for(resolved, own_layer, fields, counts=None, inherited=None, method_labels=None, scope="customer",
             ladder_labels=None):
    """Rows grouped as the page shows them: [(section, [Row])]."""
    rows = [build_row(name, settings, resolved, own_layer, scope, counts, inherited, method_labels, ladder_labels)
            for name, settings in editors(fields)]
    return [(section, [row for row in rows if row.section == section]) for section in GROUPS
            if any(row.section == section for row in rows)]


def customer_rows(customer, resolved=None):
    """The customer Settings tab's rows by section, with what each setting inherits and payment methods by label."""
    resolved = resolved or store.resolve_customer(customer)
    return rows_for(resolved, store.customer_layer(customer), SETTING_FIELDS, inherited=store.inherited_by(customer),
                    method_labels=method_labels_of(customer), ladder_labels=store.ladder_labels(customer.organization_id))


def attention_items(problems):
    """Cross-field problems as the tab lists them: (row to go to, the setting's label, message)."""
    return [(row_of(name), field_label("settings", name), message) for name, message in problems]


def business_information(customer, resolved):
    """The Overview tab's business information, in words, from the effective settings."""
    effective = rules.effective_values(resolved)
    invoicing = ["Drafts post automatically" if effective["autoPostDraftInvoice"] else "Drafts wait for review",
                 "documents are sent automatically" if effective["autoSendDocuments"] else "documents are sent by hand"]
    if effective["eInvoiceFormat"] != "none":
        invoicing.append(f"e-invoice as {label('eInvoiceFormat', effective['eInvoiceFormat'])}")
    if not effective["autoCollect"]:
        auto_pay = "Off"
    elif not customer.payment_methods:
        auto_pay = "On, but no payment method on file"
    else:
        method = method_labels_of(customer).get(effective["defaultPaymentMethodId"] or "", "")
        collect = _lower_first(label("autoCollectSettingType", effective["autoCollectSettingType"]))
        auto_pay = f"On: {collect}" + (f", from {method}" if method else "")
    return {"invoicing": "; ".join(invoicing), "term": rules.describe_term(effective["term"]), "auto_pay": auto_pay}


def _lower_first(words):
    return words[:1].lower() + words[1:]


def method_labels_of(customer):
    """{payment method id as text: its label}, the default one first."""
    methods = sorted(customer.payment_methods, key=lambda m: (not m.is_default, m.id))
    return {str(method.id): method.label for method in methods}


# --- values as people read them, and as the form's text -------------------------------------------------------

def display_value(setting, value, method_labels=None):
    """A value as an account manager reads it: labels from the catalogue, terms and structures as sentences
    (`method_labels`: the names of the payment methods or dunning ladders the setting's ids refer to)."""
    if setting.name == "defaultPaymentMethodId":
        return (method_labels or {}).get(str(value), "Another payment method") if value else "No payment method"
    if setting.kind == "ladder":
        return (method_labels or {}).get(str(value), "A removed ladder") if value else "No dunning ladder yet"
    if setting.name == "billingPeriodConfigurations":
        return rules.describe_billing_periods(value)
    if setting.name == "customerBillingStatementSetting":
        return rules.describe_statements(value)
    if value is None or value == []:
        return "—"
    if setting.kind == "bool":
        return "On" if value else "Off"
    if setting.kind == "term":
        try:
            return rules.describe_term(value)
        except ValueError:
            return str(value)
    if setting.kind == "enum":
        return label(SETTING_ENUMS[setting.name], value)
    if setting.kind == "decimal":
        return f"{Decimal(str(value)):,.2f}"
    if setting.name == "trackedItemDisplay":
        return rules.describe_tracked_items(value)
    return str(value)


def input_text(setting, value):
    """A setting's value as the form's canonical text: empty for none (inherit)."""
    if value is None:
        return ""
    if setting.kind == "json":
        return canonical_json(value)
    if setting.kind == "bool":
        return "true" if value else "false"
    return str(value).strip()


def parse_input(setting, raw):
    """A form's (or a typed) text for one setting as the rules take it: empty is None (inherit); words are read
    as their codes (On/Off, an enum's label, "Net 30"); ValueError when unreadable."""
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
            raise ValueError("Not a value this setting takes.") from None
    if setting.kind == "term":
        try:
            return rules.term_from_text(raw)
        except ValueError as error:  # a typed term is refused in words (the bulk dialog shows the message)
            raise ValueError(rules.message_of(error).screen) from None
    if setting.kind == "enum" and raw not in setting.choices:
        by_words = {words.lower(): code for code, words in choices(SETTING_ENUMS[setting.name], setting.choices)}
        return by_words.get(raw.lower(), raw)
    return raw


# --- the form -------------------------------------------------------------------------------------------------

class SettingForm(InlineForm):
    """A row's form: one field per setting (named as in the API); the row's template draws the controls."""

    def add_errors(self, errors):
        """Each rule's message at its setting's inputs (at the part it names); a rule about a setting this form
        does not hold goes to a setting of the form it ties, naming the other setting by its label."""
        for name, message in errors.items():
            screen, part = getattr(message, "screen", str(message)), getattr(message, "part", None)
            target = next((n for n in rules.related_fields(name) if n in self), None)
            if target is None:
                self.form_errors.append(f"{field_label('settings', name)}: {screen}")
                continue
            if target != name:  # the setting it is about is edited in another row: say where
                where = SETTING_GROUPS.get(row_of(name))
                screen = f"{screen} (Set under {where}.)" if where else f"{field_label('settings', name)}: {screen}"
                part = None
            self[target].place(part, screen)


@lru_cache(maxsize=None)
def form_class_for(name, setting_names):
    """The form class of a row: one field per setting (cached: a class per row and scope)."""
    fields = {setting_name: input_for(FIELDS_BY_NAME[setting_name])(field_label("settings", setting_name))
              for setting_name in setting_names}
    return type(f"{name[:1].upper()}{name[1:]}Form", (SettingForm,), fields)


@dataclass
class SettingSubject:
    """One settings row being edited: its owner (a customer, or the organization's id) and its row."""

    owner: object
    row: Row

    @property
    def name(self):
        """The row's name."""
        return self.row.name


class SettingRowEntry(Entry):
    """A settings row (one setting or a group), on the customer's Settings tab or the organization's page."""

    name = "setting"
    template = ROWS_TEMPLATE
    read_block = "setting_row"
    form_block = "setting_form"

    def form_class(self, subject):
        return form_class_for(subject.name, tuple(part.name for part in subject.row.parts))

    def initial(self, subject):
        return {part.name: part.input_text for part in subject.row.parts}

    def conflict(self, subject, theirs, mine):
        part = next(p for p in subject.row.parts if p.name == mine.short_name)

        def shown(form_field):
            if form_field.data is None:  # parts that did not make a value: as typed
                return ", ".join(str(v) for v in (form_field.raw or {}).values() if v)
            try:
                value = parse_input(part.setting, form_field.data)
                if value is not None and part.name != "defaultPaymentMethodId":
                    value = rules.field_rule(part.setting)(value)  # only a value the rules take is described
            except ValueError:
                return form_field.data
            if value is None:
                return "inherited" if part.setting.inheritable else "—"
            return display_value(part.setting, value, part.labels)
        return Conflict(part.label, shown(theirs), shown(mine))

    def key(self, subject):
        return f"setting-{subject.name}"

    def changes(self, subject, form):
        """The settings the user changed, as the rules take them (the flow has set the others to what is saved);
        a setting whose text cannot be read is refused at its field."""
        changes, errors = {}, {}
        for part in subject.row.parts:
            text = form[part.name].data or ""
            if text == part.input_text:
                continue
            try:
                changes[part.name] = parse_input(part.setting, text)
            except ValueError as error:
                errors[part.name] = rules.message_of(error)
        if errors:
            raise ValidationFailed(errors)
        return changes

    def row_context(self, subject, form):
        """What one row's read view and form show."""
        return {"row": subject.row, "options": FORM_OPTIONS}
