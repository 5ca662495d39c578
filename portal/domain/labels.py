"""The one catalogue of what the product shows for a code: enums, field names, sources, actions and channels.

Forms, read views, the activity log, filters and CSV headers take their words from here; the API keeps the
codes. `label(kind, code)` is the lookup; `choices(kind)` gives (code, label) pairs for a select.
"""
import pycountry

from portal.domain.settings_fields import SETTING_FIELDS

COUNTRIES = sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])
CURRENCIES = sorted((c.alpha_3, c.name) for c in pycountry.currencies)
LANGUAGES = sorted(((lang.alpha_2, lang.name) for lang in pycountry.languages if hasattr(lang, "alpha_2")),
                   key=lambda item: item[1])
_COUNTRY_NAMES = dict(COUNTRIES)
_LANGUAGE_NAMES = dict(LANGUAGES)
_CURRENCY_NAMES = dict(CURRENCIES)

# --- enums: {kind: {code: label}}, in the order a select offers them ---------------------------------------
ENUMS = {
    "customerType": {"B2B": "Business (B2B)", "B2C": "Consumer (B2C)", "AFFILIATED": "Affiliated company",
                     "OTHER": "Other"},
    "status": {"active": "Active", "archived": "Archived"},
    "addressType": {"invoice": "Invoice address", "shipping": "Shipping address"},
    "emailPreference": {"billing": "Invoices (billing)", "legal": "Legal notices", "updates": "Product updates"},
    "paymentMethodType": {"card": "Card", "sepa_debit": "SEPA direct debit", "ach": "ACH debit",
                          "bank_transfer": "Bank transfer"},
    "propertyType": {"text": "Text", "number": "Number", "boolean": "Yes / no", "date": "Date",
                     "select": "Choice from a list"},
    "overdueRuleType": {"reminder": "Reminder", "dunning": "Dunning notice"},
    "role": {"viewer": "Viewer", "manager": "Account manager", "admin": "Administrator"},
    # billing settings (SPEC §6, the vendor's meanings)
    "eInvoiceFormat": {"none": "No e-invoice (PDF only)", "xrechnung-ubl": "XRechnung (UBL)",
                       "xrechnung-cii": "XRechnung (CII)", "zugferd": "ZUGFeRD", "peppol-bis": "Peppol BIS Billing"},
    "pdfInvoiceEmailAttachmentOption": {"Details": "Detailed charges", "Summary": "Summarized charges",
                                        "Both": "Detailed and summarized"},
    "autoCollectSettingType": {"CurrentInvoice": "Each invoice when it is posted",
                               "OutstandingBalance": "The whole outstanding balance",
                               "Threshold": "When the balance reaches a threshold"},
    "rechargeType": {"BringBalanceBackTo": "Bring the balance back to the target"},
    "defaultCancelOption": {"Full": "Reverse all charges", "None": "Earn all charges (reverse nothing)",
                            "Unearned": "Reverse unearned amounts"},
    "customerServiceStartOption": {"ChargeForAllMissedPeriods": "Charge for all missed periods",
                                   "ChargeForLastMissedPeriods": "Charge for the last missed period",
                                   "NoChargesForMissedPeriods": "No charges for missed periods",
                                   "ChargeForCurrentFullPeriod": "Charge for the current full period"},
    "trackedItemDisplayFormat": {"Inline": "Inline, under the charge", "SeparatePage": "On a separate page"},
    "billingPeriodType": {"SpecifiedDate": "On a set day", "CustomerActivation": "On the customer's activation date",
                          "FirstSubscriptionActivation": "On the first subscription's activation date"},
    "billingPeriodRule": {"SingleInvoice": "One invoice for all subscriptions",
                          "MultipleInvoices": "One invoice per subscription",
                          "OneInvoicePerDay": "One invoice per day", "Prompt": "Ask an agent to approve"},
    "interval": {"Monthly": "Monthly", "Yearly": "Yearly"},
    "statementOption": {"Detailed": "Detailed", "BySubscription": "By subscription", "Summarized": "Summarized"},
    "statementType": {"CustomerAnniversary": "On the customer's anniversary", "SpecifiedDate": "On a set day"},
    "statementActivityType": {"OnlyParentActivity": "Parent's activity only",
                              "OnlyChildActivity": "Children's activity only",
                              "ParentAndChildActivity": "Parent's and children's activity"},
    # the payment term picker: how the due date is set (the term code's prefix)
    "termKind": {"Net": "A number of days after the invoice date", "DayOfMonth": "On a day of the month",
                 "MFI1": "On the first of the next month"},
    # where an effective setting comes from, and the activity log's words
    "source": {"default": "Inherited from Default Values", "organization": "Inherited from Organization",
               "group": "Inherited from Group", "customer": "Customer-specific Value"},
    # the same sources as the organization's own settings page names them, and a group's page
    "organizationSource": {"default": "Inherited from Default Values", "organization": "Organization Value"},
    "groupSource": {"default": "Inherited from Default Values", "organization": "Inherited from Organization",
                    "group": "Group-specific Value"},
    "action": {"create": "added", "update": "changed", "delete": "removed", "archive": "archived",
               "restore": "restored", "revoke": "revoked", "seed": "filled with demo data", "revert": "reverted"},
    "channel": {"user": "Portal", "token": "API", "cli": "Command line"},
    # the sections the Activity tab filters by (portal.domain.activity.SECTION_ENTITIES says what each shows)
    "activitySection": {"details": "Customer details", "addresses": "Addresses", "contacts": "Contacts",
                        "payments": "Payment methods", "settings": "Billing settings", "properties": "Properties"},
    "entity": {"customer": "Customer", "address": "Address", "contact": "Contact", "paymentMethod": "Payment method",
               "settings": "Billing settings", "organizationSettings": "Organization billing settings",
               "properties": "Properties", "propertyDefinition": "Property", "overdueRule": "Overdue rule",
               "emailTemplate": "Email template", "documentTemplate": "Document template", "apiToken": "API token",
               "organization": "Organization", "user": "User", "customerGroup": "Customer group",
               "groupSettings": "Group billing settings", "dunningLadder": "Dunning ladder"},
}

# The enum each setting field takes its words from (its choices are the codes).
SETTING_ENUMS = {"eInvoiceFormat": "eInvoiceFormat",
                 "pdfInvoiceEmailAttachmentOption": "pdfInvoiceEmailAttachmentOption",
                 "autoCollectSettingType": "autoCollectSettingType", "rechargeType": "rechargeType",
                 "defaultCancelOption": "defaultCancelOption",
                 "customerServiceStartOption": "customerServiceStartOption"}

# Settings edited together in one form (their cross-field rules tie them), by the name of their row.
SETTING_GROUPS = {"eInvoicing": "E-invoicing", "taxExemption": "Tax exemption",
                  "thresholdRecharge": "Threshold recharge", "autoCollect": "Auto-collect"}

# --- field names: {entity: {API field name: label}} ---------------------------------------------------------
_CUSTOMER_FIELDS = {
    "id": "Customer ID", "debtorIdent": "Debtor ID", "accountNumber": "Account number", "name": "Name",
    "customerType": "Customer type", "language": "Language", "country": "Country", "currency": "Billing currency",
    "legalEntityId": "Legal entity", "groupId": "Group", "vatId": "VAT ID", "taxCountry": "Tax country",
    "taxId": "Tax ID", "taxRate": "Tax rate", "aliases": "Aliases", "contractorReferences": "Contractor references",
    "status": "Status", "createdAt": "Created", "updatedAt": "Last changed", "primaryContact": "Primary contact",
    "primaryEmail": "Primary contact email",
}
_ADDRESS_FIELDS = {"type": "Type", "name": "Name", "isMain": "Main address", "line1": "Address line 1",
                   "line2": "Address line 2", "city": "City", "state": "State / region", "postalCode": "Postal code",
                   "country": "Country"}
_CONTACT_FIELDS = {"firstName": "First name", "lastName": "Last name", "email": "Email", "phone": "Phone",
                   "emailPreferences": "Receives", "isPrimary": "Primary contact"}
_PAYMENT_METHOD_FIELDS = {"type": "Type", "label": "Label", "isDefault": "Default payment method"}
_RULE_FIELDS = {"level": "Level", "daysOverdue": "Days overdue", "dueInDays": "Due in (days)", "type": "Type",
                "emailTemplateId": "Email template", "documentTemplateId": "Document template",
                "amountInCents": "Fee", "attachOriginalInvoice": "Attach the original invoice",
                "sendLetter": "Send a letter", "isEnabled": "Enabled"}
_TEMPLATE_FIELDS = {"name": "Name", "subject": "Subject", "body": "Body", "description": "Description"}
_PROPERTY_FIELDS = {"key": "Key", "label": "Label", "type": "Type", "isRequired": "Required", "options": "Options",
                    "position": "Position"}
_SETTING_FIELDS = {f.name: f.label for f in SETTING_FIELDS}
# The parts of the structured settings, for summaries of what changed inside them.
SETTING_PARTS = {"type": "When", "rule": "Invoicing", "interval": "Interval", "day": "Day", "month": "Month",
                 "option": "Statement", "statementActivityType": "Activity",
                 "trackedItemDisplayFormat": "Shown", "showTrackedItemName": "Name",
                 "showTrackedItemReference": "Reference", "showTrackedItemDescription": "Description",
                 "showTrackedItemCreatedDate": "Created date"}

FIELDS = {
    "customer": _CUSTOMER_FIELDS, "address": _ADDRESS_FIELDS, "contact": _CONTACT_FIELDS,
    "paymentMethod": _PAYMENT_METHOD_FIELDS, "settings": _SETTING_FIELDS, "organizationSettings": _SETTING_FIELDS,
    "overdueRule": _RULE_FIELDS, "emailTemplate": _TEMPLATE_FIELDS, "documentTemplate": _TEMPLATE_FIELDS,
    "propertyDefinition": _PROPERTY_FIELDS,
    "apiToken": {"name": "Name", "revoked": "Revoked", "prefix": "Token starts with"},
    "user": {"email": "Email", "role": "Role", "isActive": "Active"},
    "organization": {"name": "Name", "slug": "Short name", "demoCustomersAdded": "Demo customers added"},
}

# The enum a field's values take their words from, per entity.
FIELD_ENUMS = {
    "customer": {"customerType": "customerType", "status": "status"},
    "address": {"type": "addressType"},
    "contact": {"emailPreferences": "emailPreference"},
    "paymentMethod": {"type": "paymentMethodType"},
    "overdueRule": {"type": "overdueRuleType"},
    "propertyDefinition": {"type": "propertyType"},
    "user": {"role": "role"},
    "settings": SETTING_ENUMS, "organizationSettings": SETTING_ENUMS,
}


def label(kind, code):
    """The words for one code of an enum; an unknown code is shown as it is (stored data from elsewhere)."""
    if code is None:
        return ""
    return ENUMS.get(kind, {}).get(code, str(code))


def choices(kind, codes=None):
    """(code, label) pairs for a select, in the catalogue's order (or the order of `codes`)."""
    words = ENUMS[kind]
    return [(code, words.get(code, code)) for code in (codes if codes is not None else words)]


def field_label(entity, name):
    """The label of one field of an entity (its API name in), e.g. ("customer", "vatId") → "VAT ID"."""
    return FIELDS.get(entity, {}).get(name) or _humanize(name)


def field_enum(entity, name):
    """The enum kind of an entity's field, or None."""
    return FIELD_ENUMS.get(entity, {}).get(name)


def entity_label(entity):
    return label("entity", entity)


def _humanize(name):
    """A camelCase name as words, for a field the catalogue does not know yet ("fooBarId" → "Foo bar")."""
    words, word = [], ""
    for char in str(name):
        if char.isupper() and word:
            words.append(word)
            word = char.lower()
        else:
            word += char
    words.append(word)
    if len(words) > 1 and words[-1] == "id":
        words.pop()
    return " ".join(words).capitalize()


def country_name(code):
    """The English name of an ISO 3166-1 country code."""
    return _COUNTRY_NAMES.get(code or "", code or "")


def language_name(code):
    """The English name of an ISO 639-1 language code."""
    return _LANGUAGE_NAMES.get(code or "", code or "")


def currency_name(code):
    """The English name of an ISO 4217 currency code."""
    return _CURRENCY_NAMES.get(code or "", code or "")


def raw_codes():
    """Every code whose label is other words: none of them may be shown where its label belongs.

    Codes that read as plain words in a sentence ("active", "card", "Monthly", "none") are left out: the scan
    looks for the code-shaped ones (camelCase, hyphens, underscores, upper-case words) that users saw on screen.
    """
    codes = set()
    for kind, words in ENUMS.items():
        if kind in ("action", "channel", "entity", "source"):
            continue
        for code, words_for_it in words.items():
            if code != words_for_it and _code_shaped(code):
                codes.add(code)
    for entity in ("customer", "settings", "contact", "address", "overdueRule"):
        codes.update(name for name in FIELDS[entity] if _code_shaped(name))
    return codes


def _code_shaped(code):
    inner_capital = any(char.isupper() for char in code[1:]) and not code.isupper()
    return inner_capital or "-" in code or "_" in code or (code.isupper() and len(code) > 3)
