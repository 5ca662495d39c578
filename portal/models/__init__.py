"""SQLAlchemy models, one module per aggregate."""
from portal.models.audit import AuditEvent, IdempotencyRecord
from portal.models.customer import (
    Address,
    Contact,
    Customer,
    CustomerAlias,
    CustomerSearchTerm,
    CustomerSettings,
    CustomerTally,
    PaymentMethod,
    PropertyValue,
    SettingsTally,
)
from portal.models.imports import CustomerImport, CustomerImportFile, CustomerImportRow, ImportMapping
from portal.models.organization import (
    ApiToken,
    CustomerGroup,
    DocumentTemplate,
    DunningLadder,
    EmailTemplate,
    LegalEntity,
    Organization,
    OrganizationSettings,
    OverdueRule,
    PropertyDefinition,
    User,
    UserSession,
)

__all__ = [
    "Address", "ApiToken", "AuditEvent", "Contact", "Customer", "CustomerAlias", "CustomerGroup", "DunningLadder", "CustomerImport",
    "CustomerImportFile", "CustomerImportRow", "ImportMapping", "CustomerSearchTerm", "CustomerTally",
    "CustomerSettings", "DocumentTemplate", "EmailTemplate", "IdempotencyRecord", "LegalEntity",
    "Organization", "OrganizationSettings", "OverdueRule", "PaymentMethod", "PropertyDefinition",
    "PropertyValue", "SettingsTally", "User", "UserSession",
]
