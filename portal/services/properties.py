"""Customer properties: admins define them; values are validated by their type."""
import re
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from portal.domain import validation as rules
from portal.domain.validation import Errors, ValidationFailed
from portal.extensions import db
from portal.models import PropertyDefinition, PropertyValue
from portal.services import audit
from portal.services import customers as customer_service
from portal.services.customers import require_active, touch

PROPERTY_TYPES = ("text", "number", "boolean", "date", "select")
MAX_NUMBER = Decimal(10) ** 18
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def definitions(organization_id):
    return db.session.scalars(sa.select(PropertyDefinition).where(
        PropertyDefinition.organization_id == organization_id)
        .order_by(PropertyDefinition.position, PropertyDefinition.id)).all()


def clean_value(definition, raw):
    """A property value as text, checked against the definition's type; '' means no value."""
    value = "" if raw is None else str(raw).strip()
    if value == "":
        if definition.required:
            raise ValueError(f"{definition.label} is required.")
        return ""
    if definition.type == "text":
        return rules.text(value, 500)
    if definition.type == "number":
        if len(value) > 30:
            raise ValueError("At most 30 characters.")
        try:
            number = Decimal(value.replace(",", "."))
        except InvalidOperation:
            raise ValueError("Enter a number.") from None
        if not number.is_finite() or number.copy_abs() >= MAX_NUMBER:  # no arithmetic before the bound
            raise ValueError("Enter a number below 10¹⁸.")
        return str(number + 0)  # -0 is 0
    if definition.type == "boolean":
        if value.lower() in ("true", "yes", "on", "1"):
            return "true"
        if value.lower() in ("false", "no", "off", "0"):
            return "false"
        raise ValueError("Yes or no.")
    if definition.type == "date":
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError("Enter a date as YYYY-MM-DD.") from None
    if value not in (definition.options or []):
        raise ValueError("Choose one of the options.")
    return value


def values_of(customer):
    """{definition id: text value} of the customer."""
    return {v.definition_id: v.value for v in customer.property_values}


def _blank(raw):
    return raw is None or str(raw).strip() == ""


def set_values(customer, raw_values):
    """Set the customer's property values {key: raw}; each value that changes is checked by its definition's rule.

    A required property without a value (made required after the customer existed, or the customer came through
    the API) stays flagged and does not block saving the others: only a change that clears a required value is
    refused. A stored value sent back unchanged is kept as it is, even if its definition has changed since (an
    option removed): saving one property never fails on, or wipes, another.
    """
    require_active(customer)
    errors = Errors()
    defs = {d.key: d for d in definitions(customer.organization_id)}
    for key in raw_values:
        if key not in defs:
            errors[key] = "Unknown property."
    existing = {v.definition_id: v for v in customer.property_values}
    stored = {key: existing[d.id].value for key, d in defs.items() if d.id in existing}
    cleaned = {}
    for key, definition in defs.items():
        if key not in raw_values:
            continue
        raw, old = raw_values[key], stored.get(key, "")
        if old and raw == old:
            cleaned[key] = old
        elif old or not _blank(raw):  # nothing before and nothing now is no change, whatever the definition says
            cleaned[key] = errors.check(key, clean_value, definition, raw)
    errors.raise_if_any()
    changes = {}
    for key, value in cleaned.items():
        definition = defs[key]
        current = existing.get(definition.id)
        old = current.value if current else ""
        if value == old:
            continue
        changes[key] = [old or None, value or None]
        if current and not value:
            customer.property_values.remove(current)
            db.session.delete(current)
        elif current:
            current.value = value
        else:
            customer.property_values.append(PropertyValue(definition=definition, value=value))
    if changes:
        touch(customer)
        db.session.flush()
        audit.record(customer.organization_id, "properties", customer.id, "update", changes,
                     customer_id=customer.id)
    return changes


def missing_required(customer, property_definitions):
    """The required properties the customer has no value for (shown flagged, "Required — not set yet")."""
    values = values_of(customer)
    return [d for d in property_definitions if d.required and not values.get(d.id)]


def required_definitions(organization_id):
    """The properties New customer asks for: the required ones."""
    return [d for d in definitions(organization_id) if d.required]


NEW_CUSTOMER_PREFIX = "properties"


def create_customer_with_properties(organization_id, data, raw_values):
    """New customer with its property values: the customer's rules and every required property's (errors under
    `properties.KEY`) are reported together; nothing is stored unless all pass.

    The API's create does not take properties (SPEC §9 names its fields): a customer created there has its required
    properties flagged until someone sets them, like a customer that existed before a property was made required.
    """
    errors = Errors()
    defs = definitions(organization_id)
    for definition in defs:
        if definition.key in raw_values or definition.required:
            errors.check(f"{NEW_CUSTOMER_PREFIX}.{definition.key}", clean_value, definition,
                         raw_values.get(definition.key))
    for key in set(raw_values) - {d.key for d in defs}:
        errors[f"{NEW_CUSTOMER_PREFIX}.{key}"] = "Unknown property."
    if errors:
        try:
            customer_service.clean_new_customer(organization_id, data)
        except ValidationFailed as failed:
            raise ValidationFailed({**failed.errors, **errors}) from None
        errors.raise_if_any()
    customer = customer_service.create_customer(organization_id, data)
    set_values(customer, raw_values)
    return customer


def clean_definition(organization_id, data, definition=None):
    """Check a property definition (admins)."""
    errors = Errors()
    key = errors.check("key", rules.required_text, data.get("key"), 64, "Key")
    if key and not KEY_PATTERN.match(key):
        errors["key"] = "Lower-case letters, digits and _; starts with a letter."
    elif key and db.session.scalar(sa.select(PropertyDefinition.id).where(
            PropertyDefinition.organization_id == organization_id, PropertyDefinition.key == key,
            PropertyDefinition.id != (definition.id if definition else 0))):
        errors["key"] = f"Key '{key}' is already defined."
    label = errors.check("label", rules.required_text, data.get("label"), 200, "Label")
    prop_type = errors.check("type", rules.choice, data.get("type"), PROPERTY_TYPES, "Type")
    options = errors.check("options", rules.string_list, data.get("options"), 100, "Options") or []
    if prop_type == "select" and not options:
        errors["options"] = "A select needs at least one option."
    errors.raise_if_any()
    return {"key": key, "label": label, "type": prop_type, "options": options if prop_type == "select" else [],
            "required": bool(data.get("required"))}


def create_definition(organization_id, data):
    cleaned = clean_definition(organization_id, data)
    position = (db.session.scalar(sa.select(sa.func.max(PropertyDefinition.position)).where(
        PropertyDefinition.organization_id == organization_id)) or 0) + 1
    definition = PropertyDefinition(organization_id=organization_id, position=position, **cleaned)
    db.session.add(definition)
    db.session.flush()
    audit.record(organization_id, "propertyDefinition", definition.id, "create",
                 {k: [None, v] for k, v in cleaned.items()})
    return definition


def update_definition(definition, data):
    cleaned = clean_definition(definition.organization_id, data, definition)
    before = {k: getattr(definition, k) for k in cleaned}
    for field, value in cleaned.items():
        setattr(definition, field, value)
    changed = audit.diff(before, cleaned)
    if changed:
        audit.record(definition.organization_id, "propertyDefinition", definition.id, "update", changed)
    return changed


def delete_definition(definition):
    audit.record(definition.organization_id, "propertyDefinition", definition.id, "delete",
                 {"key": [definition.key, None], "label": [definition.label, None]})
    db.session.execute(sa.delete(PropertyValue).where(PropertyValue.definition_id == definition.id))
    db.session.delete(definition)
