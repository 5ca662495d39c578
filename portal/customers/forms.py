"""Customer forms: rendering and input; the rules live in portal.services."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    StringField,
    TextAreaField,
)

from portal.domain.labels import COUNTRIES, CURRENCIES, LANGUAGES, choices
from portal.domain.validation import ADDRESS_LINE1_LABEL
from portal.models.customer import CUSTOMER_TYPES
from portal.services.properties import NEW_CUSTOMER_PREFIX
from portal.web.fields import MultiCheckboxField, Select, options
from portal.web.inline import InlineForm


class RequiredMark:
    """Marks a field required for its label (the service enforces it, with the API's message)."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


def _with_blank(choices, blank="Choose…"):
    return options([("", blank), *choices])


def country_choices():
    """Countries by name, from the catalogue every country field uses."""
    return _with_blank(COUNTRIES)


def currency_choices():
    return _with_blank([(c, f"{c} · {n}") for c, n in CURRENCIES])


class NewCustomerForm(FlaskForm):
    """The New customer modal (SPEC §8); `new_customer_form` adds the required properties."""

    PROPERTY_DEFINITIONS = ()
    name = StringField("Customer name", [RequiredMark()])
    contact_first_name = StringField("First name")
    contact_last_name = StringField("Last name")
    contact_email = EmailField("Primary contact email", [RequiredMark()])
    country = Select("Country", [RequiredMark()], choices=country_choices())
    currency = Select("Billing currency", [RequiredMark()],
                      choices=currency_choices())
    line1 = StringField("Address line 1")
    line2 = StringField("Address line 2")
    city = StringField("City")
    state = StringField("State / region")
    postal_code = StringField("Postal code")
    tax_rate = StringField("Tax rate (%)", default="0.00")
    vat_id = StringField("VAT id")
    aliases = TextAreaField("External IDs / aliases", render_kw={"rows": 2})
    legal_entity = Select("Legal entity", choices=[])
    group = Select("Group", choices=[])
    customer_type = Select("Customer type", choices=options(choices("customerType", CUSTOMER_TYPES)), default="B2B")
    language = Select("Language", choices=options(LANGUAGES), default="en")
    debtor_ident = StringField("Debtor ID")

    # Which form field shows the error of which API field.
    FIELD_FOR_ERROR = {
        "name": "name", "primaryContact.firstName": "contact_first_name",
        "primaryContact.lastName": "contact_last_name", "primaryContact.email": "contact_email",
        "country": "country", "currency": "currency", "invoiceAddress.line1": "line1",
        "invoiceAddress.line2": "line2", "invoiceAddress.city": "city", "invoiceAddress.state": "state",
        "invoiceAddress.postalCode": "postal_code", "invoiceAddress.country": "country", "taxRate": "tax_rate",
        "vatId": "vat_id", "aliases": "aliases", "legalEntityId": "legal_entity", "groupId": "group",
        "customerType": "customer_type", "language": "language", "debtorIdent": "debtor_ident",
    }

    def set_legal_entities(self, legal_entities):
        self.legal_entity.choices = _with_blank([(str(e.id), f"{e.name} ({e.country}, {e.currency})")
                                                 for e in legal_entities], "No legal entity")

    def set_groups(self, group_choices):
        self.group.choices = group_options(group_choices)

    def to_api(self):
        """The form's input in the API's shape, for the shared rules."""
        return {
            "name": self.name.data, "customerType": self.customer_type.data, "language": self.language.data,
            "country": self.country.data, "currency": self.currency.data, "taxRate": self.tax_rate.data,
            "vatId": self.vat_id.data, "aliases": self.aliases.data, "legalEntityId": self.legal_entity.data,
            "groupId": self.group.data or None, "debtorIdent": self.debtor_ident.data,
            "primaryContact": {"firstName": self.contact_first_name.data, "lastName": self.contact_last_name.data,
                               "email": self.contact_email.data},
            "invoiceAddress": {"line1": self.line1.data, "line2": self.line2.data, "city": self.city.data,
                               "state": self.state.data, "postalCode": self.postal_code.data},
        }

    def property_values(self):
        """{key: what was typed} of the properties the form asks for (none without required properties)."""
        return {}

    def add_errors(self, errors):
        """Show the shared rules' messages at the form's fields."""
        for api_field, message in errors.items():
            getattr(self, self.FIELD_FOR_ERROR.get(api_field, "name")).errors = [message]


def lines(text):
    """One entry per line (or comma) of a textarea."""
    return [part.strip() for part in (text or "").replace(",", "\n").splitlines() if part.strip()]


class GeneralForm(InlineForm):
    """Overview → general data."""

    name = StringField("Name")
    country = Select("Country", choices=country_choices())
    currency = Select("Billing currency", choices=currency_choices())
    legal_entity = Select("Legal entity", choices=[])
    FIELD_FOR_ERROR = {"name": "name", "country": "country", "currency": "currency", "legalEntityId": "legal_entity",
                       "vatId": "country"}

    def set_legal_entities(self, legal_entities):
        self.legal_entity.choices = _with_blank([(str(e.id), f"{e.name} ({e.country}, {e.currency})")
                                                 for e in legal_entities], "No legal entity")

    @classmethod
    def initial(cls, customer):
        return {"name": customer.name, "country": customer.country, "currency": customer.currency,
                "legal_entity": str(customer.legal_entity_id or "")}

    def to_api(self):
        return {"name": self.name.data, "country": self.country.data, "currency": self.currency.data,
                "legalEntityId": self.legal_entity.data or None}


def group_options(group_choices):
    """A group select's options: none first, then the organization's groups by name."""
    return _with_blank(list(group_choices), "No group")


class TechnicalForm(InlineForm):
    """Technical details: group, language, type, contractor references, aliases."""

    group = Select("Group", choices=[])
    language = Select("Language", choices=options(LANGUAGES))
    customer_type = Select("Customer type", choices=options(choices("customerType", CUSTOMER_TYPES)))
    contractor_references = TextAreaField("Contractor references", render_kw={"rows": 3})
    aliases = TextAreaField("Aliases (external IDs)", render_kw={"rows": 3})
    FIELD_FOR_ERROR = {"groupId": "group", "language": "language", "customerType": "customer_type",
                       "contractorReferences": "contractor_references", "aliases": "aliases"}

    def set_groups(self, group_choices):
        self.group.choices = group_options(group_choices)

    @classmethod
    def initial(cls, customer):
        return {"group": str(customer.group_id or ""), "language": customer.language,
                "customer_type": customer.customer_type,
                "contractor_references": "\n".join(customer.contractor_references or []),
                "aliases": "\n".join(customer.alias_values)}

    def to_api(self):
        return {"groupId": self.group.data or None, "language": self.language.data,
                "customerType": self.customer_type.data,
                "contractorReferences": lines(self.contractor_references.data), "aliases": lines(self.aliases.data)}


class TaxForm(InlineForm):
    """Tax: tax country, tax id, VAT id, tax rate."""

    vat_id = StringField("VAT id")
    tax_country = Select("Tax country", choices=_with_blank(COUNTRIES, "Same as the customer's country"))
    tax_id = StringField("Tax id")
    tax_rate = StringField("Tax rate (%)")
    FIELD_FOR_ERROR = {"vatId": "vat_id", "taxCountry": "tax_country", "taxId": "tax_id", "taxRate": "tax_rate"}

    @classmethod
    def initial(cls, customer):
        return {"vat_id": customer.vat_id or "", "tax_country": customer.tax_country or "",
                "tax_id": customer.tax_id or "", "tax_rate": f"{customer.tax_rate:.2f}"}

    def to_api(self):
        return {"vatId": self.vat_id.data, "taxCountry": self.tax_country.data or None, "taxId": self.tax_id.data,
                "taxRate": self.tax_rate.data}


class AddressForm(InlineForm):
    """An invoice or shipping address; on Invoice address 1 the name is the customer's."""

    type = Select("Type", choices=options([("invoice", "Invoice"), ("shipping", "Shipping")]))
    name = StringField("Name")
    line1 = StringField(ADDRESS_LINE1_LABEL, [RequiredMark()])  # the one address rule: a card needs its first line
    line2 = StringField("Address line 2")
    postal_code = StringField("Postal code")
    city = StringField("City")
    state = StringField("State / region")
    country = Select("Country", [RequiredMark()], choices=country_choices())
    FIELD_FOR_ERROR = {"type": "type", "name": "name", "line1": "line1", "line2": "line2", "postalCode": "postal_code",
                       "city": "city", "state": "state", "country": "country"}

    @classmethod
    def initial(cls, address):
        return {"type": address.type, "name": address.customer.name if address.is_main else (address.name or ""),
                "line1": address.line1, "line2": address.line2, "postal_code": address.postal_code,
                "city": address.city, "state": address.state, "country": address.country}

    def to_api(self):
        data = {"name": self.name.data, "line1": self.line1.data, "line2": self.line2.data,
                "postalCode": self.postal_code.data, "city": self.city.data, "state": self.state.data,
                "country": self.country.data}
        if self.type:  # Invoice address 1's form has no type
            data["type"] = self.type.data
        return data


class ContactForm(InlineForm):
    """A contact with email preferences."""

    first_name = StringField("First name")
    last_name = StringField("Last name")
    email = EmailField("Email")
    phone = StringField("Phone")
    email_preferences = MultiCheckboxField("Receives", choices=options(
        [("billing", "Invoices (billing)"), ("legal", "Legal notices"), ("updates", "Product updates")]))
    is_primary = BooleanField("Primary contact")
    FIELD_FOR_ERROR = {"firstName": "first_name", "lastName": "last_name", "email": "email", "phone": "phone",
                       "emailPreferences": "email_preferences", "isPrimary": "is_primary"}

    @classmethod
    def initial(cls, contact):
        return {"first_name": contact.first_name, "last_name": contact.last_name, "email": contact.email,
                "phone": contact.phone, "email_preferences": list(contact.email_preferences or []),
                "is_primary": contact.is_primary}

    def to_api(self):
        data = {"firstName": self.first_name.data, "lastName": self.last_name.data, "email": self.email.data,
                "phone": self.phone.data, "emailPreferences": self.email_preferences.data or []}
        if self.is_primary and self.is_primary.data:  # the box moves the flag here; the primary contact has none
            data["isPrimary"] = True
        return data


class PaymentMethodForm(InlineForm):
    """Display data of a payment method."""

    type = Select("Type", choices=options([("card", "Card"), ("sepa_debit", "SEPA direct debit"), ("ach", "ACH"),
                                           ("bank_transfer", "Bank transfer")]))
    label = StringField("Label", render_kw={"placeholder": "e.g. Visa •••• 4242"})
    is_default = BooleanField("Default payment method")
    FIELD_FOR_ERROR = {"type": "type", "label": "label", "isDefault": "is_default"}

    def to_api(self):
        return {"type": self.type.data, "label": self.label.data, "isDefault": bool(self.is_default.data)}


PROPERTY_HINTS = {"number": "A number", "date": "YYYY-MM-DD"}


def property_field(definition):
    """The control a property's type asks for, marked when it is required; the service checks the value."""
    label = definition.label
    marks = [RequiredMark()] if definition.required else []
    hint = PROPERTY_HINTS.get(definition.type, "")
    if definition.type == "select":
        return Select(label, marks, choices=_with_blank([(o, o) for o in definition.options], "—"), description=hint)
    if definition.type == "boolean":
        return Select(label, marks, choices=options([("", "—"), ("true", "Yes"), ("false", "No")]), description=hint)
    if definition.type == "date":
        return StringField(label, marks, render_kw={"type": "date"}, description=hint)
    if definition.type == "number":
        return StringField(label, marks, render_kw={"inputmode": "decimal"}, description=hint)
    return StringField(label, marks, description=hint)


def properties_form(definitions):
    """A form with one field per property definition, typed for the browser; the service checks values."""

    class PropertiesForm(InlineForm):
        FIELD_FOR_ERROR = {d.key: f"p_{d.key}" for d in definitions}
        DEFINITIONS = definitions

        @classmethod
        def initial_from(cls, values):
            return {f"p_{d.key}": values.get(d.id, "") for d in definitions}

        @classmethod
        def initial(cls, customer):
            return cls.initial_from({v.definition_id: v.value for v in customer.property_values})

        def to_api(self):
            return {d.key: self[f"p_{d.key}"].data for d in definitions}

        def keep_retired_options(self):
            """A value whose option an admin removed stays shown and selected, so that saving other properties
            does not wipe it; choosing another value replaces it."""
            for definition in definitions:
                field = self[f"p_{definition.key}"]
                if definition.type == "select" and field.data and field.data not in definition.options:
                    field.choices = [*field.choices, *options([(field.data, f"{field.data} (no longer an option)")])]

    for definition in definitions:
        setattr(PropertiesForm, f"p_{definition.key}", property_field(definition))
    return PropertiesForm


def new_customer_form(required_definitions):
    """The New customer form, asking besides for every required property (each with the control its type needs)."""

    class NewCustomerWithProperties(NewCustomerForm):
        PROPERTY_DEFINITIONS = tuple(required_definitions)
        FIELD_FOR_ERROR = {**NewCustomerForm.FIELD_FOR_ERROR,
                           **{f"{NEW_CUSTOMER_PREFIX}.{d.key}": f"p_{d.key}" for d in required_definitions}}

        def property_values(self):
            """{key: what was typed} for the properties service's rules."""
            return {d.key: self[f"p_{d.key}"].data for d in required_definitions}

    for definition in required_definitions:
        setattr(NewCustomerWithProperties, f"p_{definition.key}", property_field(definition))
    return NewCustomerWithProperties
