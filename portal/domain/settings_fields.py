"""The billing settings of SPEC §6: one description of every field, its type and its default."""
import re
from dataclasses import dataclass, field

TERM_PATTERN = re.compile(r"^(?:Net([0-9]{1,3})|DayOfMonth([0-9]{1,2})|MFI1)$")


@dataclass(frozen=True)
class SettingField:
    """One billing setting: JSON name, storage column, kind and system default."""

    name: str
    kind: str  # bool | enum | int | decimal | string | term | json | ladder (a dunning ladder's id, as text)
    default: object = None
    inheritable: bool = True
    choices: tuple = ()
    max_length: int | None = None
    stored: bool = True  # False: derived from other data, not a column of the settings layers
    label: str = ""
    group: str = ""
    help: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def column(self):
        """The snake_case column that stores this field."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.name).lower()


def _f(name, kind, default=None, **kw):
    return SettingField(name=name, kind=kind, default=default, **kw)


INVOICING = "Invoicing & documents"
PAYMENT = "Payment & collection"
DUNNING = "Dunning"
TAX = "Tax"
PRESENTATION = "Invoice presentation"
PERIODS = "Billing periods"
STATEMENTS = "Statements"
LIFECYCLE = "Lifecycle"

E_INVOICE_FORMATS = ("none", "xrechnung-ubl", "xrechnung-cii", "zugferd", "peppol-bis")

SETTING_FIELDS = (
    _f("term", "term", "Net14", label="Payment term", group=PAYMENT,
       help="Applies to new invoices only; existing invoices keep their due date."),
    _f("autoSendDocuments", "bool", True, label="Auto-send documents", group=INVOICING),
    _f("autoPostDraftInvoice", "bool", True, label="Auto-post draft invoices", group=INVOICING),
    _f("eInvoiceFormat", "enum", "none", choices=E_INVOICE_FORMATS, label="E-invoice format", group=INVOICING),
    _f("eInvoiceBuyerReference", "string", None, inheritable=False, max_length=46,
       label="Buyer reference (Leitweg-ID)", group=INVOICING),
    _f("peppolParticipantId", "string", None, inheritable=False, max_length=255,
       label="Peppol participant ID", group=INVOICING),
    _f("pdfInvoiceEmailAttachmentOption", "enum", "Details", choices=("Details", "Summary", "Both"),
       label="PDF attachment", group=INVOICING),
    _f("postReadyChargesOnRenew", "bool", True, label="Post ready charges on renew", group=INVOICING),
    _f("autoCollect", "bool", False, label="Auto-collect (auto pay)", group=PAYMENT),
    _f("autoCollectSettingType", "enum", "CurrentInvoice",
       choices=("CurrentInvoice", "OutstandingBalance", "Threshold"), label="Collect", group=PAYMENT),
    # The payment method flagged isDefault; writing it moves that flag (one truth, not two).
    _f("defaultPaymentMethodId", "string", None, inheritable=False, stored=False, max_length=20,
       label="Default payment method",
       group=PAYMENT),
    _f("rechargeType", "enum", None, inheritable=False, choices=("BringBalanceBackTo",),
       label="Recharge type", group=PAYMENT),
    _f("rechargeThresholdAmount", "decimal", None, inheritable=False, label="Recharge threshold", group=PAYMENT),
    _f("rechargeTargetAmount", "decimal", None, inheritable=False, label="Recharge target", group=PAYMENT),
    _f("statusOnThreshold", "bool", False, label="Status on threshold", group=PAYMENT),
    _f("acquisitionCost", "decimal", None, inheritable=False, label="Acquisition cost", group=PAYMENT),
    _f("standingPoNumber", "string", None, inheritable=False, max_length=255, label="Standing PO number",
       group=PAYMENT),
    _f("sendPaymentReminders", "bool", True, label="Send payment reminders", group=DUNNING,
       help="Off disables reminders and dunning notices."),
    _f("chargeDunningFees", "bool", True, label="Charge dunning fees", group=DUNNING),
    _f("dunningExempt", "bool", False, label="Dunning exempt", group=DUNNING),
    # None on every layer: the organization has no ladder yet (its first ladder becomes its layer's value).
    _f("dunningLadderId", "ladder", None, label="Dunning ladder", group=DUNNING,
       help="The overdue rules the dunning timeline follows."),
    _f("taxExempt", "bool", False, label="Tax exempt", group=TAX),
    _f("taxExemptCode", "string", None, inheritable=False, max_length=255, label="Tax exempt code", group=TAX),
    _f("avalaraUsageType", "string", None, inheritable=False, max_length=4, label="Avalara usage type", group=TAX),
    _f("useCustomerBillingAddress", "bool", True, label="Tax by billing address", group=TAX,
       help="Off: tax is computed from the shipping address."),
    _f("showZeroDollarCharges", "bool", False, label="Show zero-amount charges", group=PRESENTATION),
    _f("rollUpTaxes", "bool", False, label="Roll up taxes", group=PRESENTATION),
    _f("rollUpDiscounts", "bool", False, label="Roll up discounts", group=PRESENTATION),
    _f("rollUpPdfsByPlanProduct", "bool", False, label="Roll up PDFs by plan product", group=PRESENTATION),
    _f("rollUpPdfsDisplayName", "bool", False, label="Roll-up shows name", group=PRESENTATION),
    _f("rollUpPdfsDisplayDescription", "bool", False, label="Roll-up shows description", group=PRESENTATION),
    _f("rollUpPdfsDisplayAllUnitPrices", "bool", False, label="Roll-up shows all unit prices",
       group=PRESENTATION),
    _f("trackedItemDisplay", "json",
       {"trackedItemDisplayFormat": "Inline", "showTrackedItemName": False, "showTrackedItemReference": False,
        "showTrackedItemDescription": False, "showTrackedItemCreatedDate": False},
       label="Tracked item display", group=PRESENTATION),
    _f("billingPeriodConfigurations", "json", [], inheritable=False, label="Billing period configurations",
       group=PERIODS),
    _f("customerBillingStatementSetting", "json", None, label="Billing statements", group=STATEMENTS),
    _f("customerGracePeriod", "int", 0, label="Grace period (days)", group=LIFECYCLE),
    _f("gracePeriodExtension", "int", 0, label="Grace period extension (days)", group=LIFECYCLE),
    _f("customerAutoCancel", "int", 0, label="Auto-cancel after (days)", group=LIFECYCLE),
    _f("defaultCancelOption", "enum", "None", choices=("Full", "None", "Unearned"),
       label="Default cancel option", group=LIFECYCLE),
    _f("customerServiceStartOption", "enum", "ChargeForCurrentFullPeriod",
       choices=("ChargeForAllMissedPeriods", "ChargeForLastMissedPeriods", "NoChargesForMissedPeriods",
                "ChargeForCurrentFullPeriod"), label="Service start", group=LIFECYCLE),
)

FIELDS_BY_NAME = {f.name: f for f in SETTING_FIELDS}
LABELS = {f.name: f.label for f in SETTING_FIELDS}
STORED_FIELDS = tuple(f for f in SETTING_FIELDS if f.stored)
INHERITABLE_FIELDS = tuple(f for f in SETTING_FIELDS if f.inheritable)
DEFAULTS = {f.name: f.default for f in SETTING_FIELDS}
GROUPS = (INVOICING, PAYMENT, DUNNING, TAX, PRESENTATION, PERIODS, STATEMENTS, LIFECYCLE)
