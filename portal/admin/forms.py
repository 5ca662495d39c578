"""Forms of the organization pages: property definitions, overdue rules, email and document templates.
The rules live in portal.services; these forms render the fields and map input to the services' names."""
from wtforms import BooleanField, StringField, TextAreaField

from portal.domain.labels import choices
from portal.services.properties import PROPERTY_TYPES
from portal.web.fields import Select, options
from portal.web.inline import InlineForm


class DefinitionForm(InlineForm):
    """A customer property definition."""

    key = StringField("Key")
    label = StringField("Label")
    type = Select("Type", choices=options((t, t.capitalize()) for t in PROPERTY_TYPES), default="text")
    options = StringField("Options (select)", render_kw={"placeholder": "comma-separated"})
    required = BooleanField("Required")
    FIELD_FOR_ERROR = {"key": "key", "label": "label", "type": "type", "options": "options"}

    @classmethod
    def initial(cls, definition):
        return {"key": definition.key, "label": definition.label, "type": definition.type,
                "options": ", ".join(definition.options or []), "required": definition.required}

    def to_api(self):
        return {"key": self.key.data, "label": self.label.data, "type": self.type.data,
                "options": self.options.data, "required": bool(self.required.data)}


class RuleForm(InlineForm):
    """An overdue rule. The fee is typed as the number the rule keeps: minor units of the invoice's currency (the
    editor shows what it comes to in each currency the customers use)."""

    type = Select("Type", choices=options(choices("overdueRuleType")), default="reminder")
    days_overdue = StringField("Days overdue", render_kw={"inputmode": "numeric"})
    due_in_days = StringField("Due in days", default="7", render_kw={"inputmode": "numeric"})
    fee = StringField("Fee in minor units", render_kw={"inputmode": "numeric", "autocomplete": "off"})
    email_template = Select("Email template", choices=[])
    document_template = Select("Document template", choices=[])
    attach_original_invoice = BooleanField("Attach the original invoice", default=True)
    send_letter = BooleanField("Also send a letter")
    is_enabled = BooleanField("Enabled", default=True)
    FIELD_FOR_ERROR = {"type": "type", "daysOverdue": "days_overdue", "dueInDays": "due_in_days",
                       "amountInCents": "fee", "emailTemplate": "email_template",
                       "documentTemplate": "document_template"}

    def set_templates(self, email_templates, document_templates):
        self.email_template.choices = options([("", "Choose…"), *((str(t.id), t.name) for t in email_templates)])
        self.document_template.choices = options([("", "No letter"), *((str(t.id), t.name) for t in document_templates)])

    @classmethod
    def initial(cls, rule):
        return {"type": rule.type, "days_overdue": str(rule.days_overdue), "due_in_days": str(rule.due_in_days),
                "fee": "" if rule.amount_in_cents is None else str(rule.amount_in_cents),
                "email_template": str(rule.email_template_id),
                "document_template": str(rule.document_template_id or ""),
                "attach_original_invoice": rule.attach_original_invoice, "send_letter": rule.send_letter,
                "is_enabled": rule.is_enabled}

    def to_api(self):
        """The rule in the API's shape; the fee as typed, for the service's one fee rule."""
        return {"type": self.type.data or "reminder", "daysOverdue": self.days_overdue.data,
                "dueInDays": self.due_in_days.data, "emailTemplate": self.email_template.data or None,
                "documentTemplate": self.document_template.data or None,
                "attachOriginalInvoice": bool(self.attach_original_invoice.data),
                "sendLetter": bool(self.send_letter.data), "isEnabled": bool(self.is_enabled.data),
                "amountInCents": self.fee.data}


class EmailTemplateForm(InlineForm):
    """An email that overdue rules send, with {{placeholders}}."""

    name = StringField("Name")
    subject = StringField("Subject")
    body = TextAreaField("Body", render_kw={"rows": 7})
    FIELD_FOR_ERROR = {"name": "name", "subject": "subject", "body": "body"}

    @classmethod
    def initial(cls, template):
        return {"name": template.name, "subject": template.subject, "body": template.body}

    def to_api(self):
        return {"name": self.name.data, "subject": self.subject.data, "body": self.body.data}


class DocumentTemplateForm(InlineForm):
    """A document (PDF layout) that dunning rules generate."""

    name = StringField("Name")
    description = TextAreaField("Description", render_kw={"rows": 3})
    FIELD_FOR_ERROR = {"name": "name", "description": "description"}

    @classmethod
    def initial(cls, template):
        return {"name": template.name, "description": template.description}

    def to_api(self):
        return {"name": self.name.data, "description": self.description.data}


class LegalEntityForm(InlineForm):
    """A legal entity: its name, country and currency, from the catalogues customers use."""

    name = StringField("Name", render_kw={"maxlength": 200})
    country = Select("Country", choices=[])
    currency = Select("Currency", choices=[])
    FIELD_FOR_ERROR = {"name": "name", "country": "country", "currency": "currency"}

    def __init__(self, *args, **kwargs):
        from portal.customers.forms import country_choices, currency_choices

        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()
        self.currency.choices = currency_choices()

    @classmethod
    def initial(cls, entity):
        return {"name": entity.name, "country": entity.country, "currency": entity.currency}

    def to_api(self):
        return {"name": self.name.data, "country": self.country.data, "currency": self.currency.data}


class GroupForm(InlineForm):
    """A customer group: its name and what it is for."""

    name = StringField("Name", render_kw={"maxlength": 200})
    description = TextAreaField("Description", render_kw={"rows": 2, "maxlength": 2000})
    FIELD_FOR_ERROR = {"name": "name", "description": "description"}

    @classmethod
    def initial(cls, group):
        return {"name": group.name, "description": group.description}

    def to_api(self):
        return {"name": self.name.data, "description": self.description.data}


class LadderForm(InlineForm):
    """A dunning ladder's name."""

    name = StringField("Ladder name", render_kw={"maxlength": 200})
    FIELD_FOR_ERROR = {"name": "name"}

    @classmethod
    def initial(cls, ladder):
        return {"name": ladder.name}

    def to_api(self):
        return {"name": self.name.data}
