"""How the API shows a resource (camelCase JSON, ids as strings)."""
from decimal import Decimal

from flask import url_for


def _id(value):
    return None if value is None else str(value)


def decimal_text(value, scale=2):
    """A decimal as a JSON string of its fixed scale ("19.00"), as the audit trail shows it."""
    if value is None:
        return None
    number = Decimal(value).quantize(Decimal(1).scaleb(-scale))
    return str(number.copy_abs() if number.is_zero() else number)


def timestamp(value):
    return value.isoformat(timespec="seconds") + "Z" if value else None


def address_json(address):
    return {
        "id": str(address.id), "type": address.type, "isMain": address.is_main,
        # Invoice address 1 carries the customer's one name field.
        "name": address.customer.name if address.is_main else address.name,
        "line1": address.line1, "line2": address.line2, "city": address.city, "state": address.state,
        "postalCode": address.postal_code, "country": address.country,
        "uri": url_for("api.address", customer_id=str(address.customer_id), address_id=str(address.id)),
    }


def contact_json(contact):
    return {
        "id": str(contact.id), "firstName": contact.first_name, "lastName": contact.last_name,
        "email": contact.email, "phone": contact.phone, "emailPreferences": list(contact.email_preferences or []),
        "isPrimary": contact.is_primary,
        "uri": url_for("api.contact", customer_id=str(contact.customer_id), contact_id=str(contact.id)),
    }


def customer_json(customer):
    primary = customer.primary_contact
    return {
        "id": str(customer.id), "debtorIdent": customer.debtor_ident, "accountNumber": customer.account_number,
        "name": customer.name, "customerType": customer.customer_type, "language": customer.language,
        "country": customer.country, "currency": customer.currency,
        "legalEntityId": _id(customer.legal_entity_id), "groupId": _id(customer.group_id), "vatId": customer.vat_id,
        "taxCountry": customer.tax_country, "taxId": customer.tax_id, "taxRate": decimal_text(customer.tax_rate),
        "contractorReferences": list(customer.contractor_references or []), "aliases": customer.alias_values,
        "status": customer.status, "createdAt": timestamp(customer.created_at),
        "updatedAt": timestamp(customer.updated_at), "version": customer.version,
        "primaryContact": contact_json(primary) if primary else None,
        "addresses": [address_json(a) for a in customer.addresses],
        "contacts": [contact_json(c) for c in customer.contacts],
        "uri": url_for("api.customer", customer_id=str(customer.id)),
    }


def event_json(event):
    return {
        "id": str(event.id), "entity": event.entity, "entityId": event.entity_id, "action": event.action,
        "customerId": _id(event.customer_id),
        "actor": {"type": event.actor_type, "id": _id(event.actor_id), "name": event.actor_name},
        "reason": event.reason,
        "changes": {field: {"old": old, "new": new} for field, (old, new) in (event.changes or {}).items()},
        "createdAt": timestamp(event.created_at),
    }


def group_json(group, customer_count):
    """A customer group with how many customers are in it."""
    return {
        "id": str(group.id), "name": group.name, "description": group.description or "",
        "customerCount": customer_count, "uri": url_for("api.group", group_id=str(group.id)),
    }
