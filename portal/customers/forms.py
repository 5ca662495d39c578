"""Customer forms: rendering and input; the rules live in portal.services."""
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from portal.models.customer import CUSTOMER_TYPES
from portal.templating import COUNTRIES, CURRENCIES, LANGUAGES


class Select(SelectField):
    """A select whose value the shared rules check (one message, the same as the API's)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, validate_choice=False, **kwargs)


def options(pairs):
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def _with_blank(choices, blank="Choose…"):
    return options([("", blank), *choices])


class NewCustomerForm(FlaskForm):
    """The New customer modal (SPEC §8)."""

    name = StringField("Customer name")
    contact_first_name = StringField("First name")
    contact_last_name = StringField("Last name")
    contact_email = EmailField("Primary contact email")
    country = Select("Country", choices=_with_blank(COUNTRIES))
    currency = Select("Billing currency", choices=_with_blank([(c, f"{c} · {n}") for c, n in CURRENCIES]))
    line1 = StringField("Address line 1")
    line2 = StringField("Address line 2")
    city = StringField("City")
    state = StringField("State / region")
    postal_code = StringField("Postal code")
    tax_rate = StringField("Tax rate (%)", default="0.00")
    vat_id = StringField("VAT id")
    aliases = TextAreaField("External IDs / aliases", render_kw={"rows": 2})
    legal_entity = Select("Legal entity", choices=[])
    customer_type = Select("Customer type", choices=options((t, t) for t in CUSTOMER_TYPES), default="B2B")
    language = Select("Language", choices=options(LANGUAGES), default="en")
    debtor_ident = StringField("Debtor ident")

    # Which form field shows the error of which API field.
    FIELD_FOR_ERROR = {
        "name": "name", "primaryContact.firstName": "contact_first_name",
        "primaryContact.lastName": "contact_last_name", "primaryContact.email": "contact_email",
        "country": "country", "currency": "currency", "invoiceAddress.line1": "line1",
        "invoiceAddress.line2": "line2", "invoiceAddress.city": "city", "invoiceAddress.state": "state",
        "invoiceAddress.postalCode": "postal_code", "invoiceAddress.country": "country", "taxRate": "tax_rate",
        "vatId": "vat_id", "aliases": "aliases", "legalEntityId": "legal_entity", "customerType": "customer_type",
        "language": "language", "debtorIdent": "debtor_ident",
    }

    def set_legal_entities(self, legal_entities):
        self.legal_entity.choices = _with_blank([(str(e.id), f"{e.name} ({e.country}, {e.currency})")
                                                 for e in legal_entities], "None")

    def to_api(self):
        """The form's input in the API's shape, for the shared rules."""
        return {
            "name": self.name.data, "customerType": self.customer_type.data, "language": self.language.data,
            "country": self.country.data, "currency": self.currency.data, "taxRate": self.tax_rate.data,
            "vatId": self.vat_id.data, "aliases": self.aliases.data, "legalEntityId": self.legal_entity.data,
            "debtorIdent": self.debtor_ident.data,
            "primaryContact": {"firstName": self.contact_first_name.data, "lastName": self.contact_last_name.data,
                               "email": self.contact_email.data},
            "invoiceAddress": {"line1": self.line1.data, "line2": self.line2.data, "city": self.city.data,
                               "state": self.state.data, "postalCode": self.postal_code.data},
        }

    def add_errors(self, errors):
        """Show the shared rules' messages at the form's fields."""
        for api_field, message in errors.items():
            getattr(self, self.FIELD_FOR_ERROR.get(api_field, "name")).errors = [message]
