"""Addresses: Invoice address 1 carries the customer's name and stays; others come and go."""
from portal.domain import validation as rules
from portal.domain.validation import Errors, ValidationFailed
from portal.extensions import db
from portal.models import Address
from portal.models.customer import ADDRESS_TYPES
from portal.services import audit
from portal.services.customer_search import index_search_terms
from portal.services.customers import require_active, touch, update_customer

ADDRESS_COLUMNS = {"type": "type", "name": "name", "line1": "line1", "line2": "line2", "city": "city",
                   "state": "state", "postalCode": "postal_code", "country": "country"}
TEXT_LIMITS = rules.ADDRESS_TEXT_LIMITS


def address_summary(address):
    values = {field: getattr(address, column) for field, column in ADDRESS_COLUMNS.items()}
    if address.is_main:
        values["name"] = address.customer.name
    return values


def _clean(data, errors, main):
    cleaned = {}
    for field, value in data.items():
        if field in TEXT_LIMITS:
            cleaned[field] = errors.check(field, rules.text, value, TEXT_LIMITS[field]) or ""
        elif field == "country":
            cleaned[field] = errors.check(field, rules.country, value)
        elif field == "type":
            if main and value != "invoice":
                errors[field] = "Invoice address 1 stays an invoice address."
            else:
                cleaned[field] = errors.check(field, rules.choice, value, ADDRESS_TYPES, "Type")
        elif field == "name":
            cleaned[field] = (errors.check(field, rules.required_text, value, 200, "Name") if main
                              else errors.check(field, rules.text, value, 200))
        else:
            errors[field] = "Unknown or read-only field."
    return cleaned


def _check_complete(address, cleaned, errors):
    """The address as it would be saved has its first line (the one address rule; `address` is None for a new one)."""
    if "line1" in errors:
        return
    saved = address_summary(address) if address is not None else {}
    errors.check("line1", rules.address_complete, {**saved, **cleaned},
                 may_be_empty=address is not None and address.is_main)


def create_address(customer, data):
    """Add an invoice or shipping address; it needs its first line (a card with only a country is no address)."""
    require_active(customer)
    errors = Errors()
    data = {"type": data.get("type") or "invoice", **{k: v for k, v in data.items() if k != "isMain"}}
    data.setdefault("country", customer.country)
    cleaned = _clean(data, errors, main=False)
    _check_complete(None, cleaned, errors)
    errors.raise_if_any()
    address = Address(customer=customer, is_main=False,
                      **{ADDRESS_COLUMNS[field]: value for field, value in cleaned.items()})
    db.session.add(address)
    touch(customer)
    db.session.flush()
    index_search_terms(customer)
    audit.record(customer.organization_id, "address", address.id, "create",
                 {k: [None, v] for k, v in address_summary(address).items() if v}, customer_id=customer.id)
    return address


def update_address(address, changes):
    """Change an address; on Invoice address 1, `name` is the customer's name. An address keeps its first line;
    only Invoice address 1 may be emptied altogether."""
    customer = address.customer
    require_active(customer)
    errors = Errors()
    cleaned = _clean({k: v for k, v in changes.items() if k != "isMain"}, errors, main=address.is_main)
    _check_complete(address, cleaned, errors)
    errors.raise_if_any()
    before = address_summary(address)
    if address.is_main and "name" in cleaned:
        update_customer(customer, {"name": cleaned.pop("name")})
    for field, value in cleaned.items():
        setattr(address, ADDRESS_COLUMNS[field], value)
    changed = audit.diff({k: v for k, v in before.items() if k != "name" or not address.is_main},
                         {k: v for k, v in address_summary(address).items() if k != "name" or not address.is_main})
    if changed:
        touch(customer)
        db.session.flush()
        index_search_terms(customer, "address", changed)
        audit.record(customer.organization_id, "address", address.id, "update", changed, customer_id=customer.id)
    return changed


def delete_address(address):
    """Remove an address; Invoice address 1 cannot be removed."""
    if address.is_main:
        raise ValidationFailed({"address": "Invoice address 1 cannot be removed."})
    customer = address.customer
    require_active(customer)
    audit.record(customer.organization_id, "address", address.id, "delete",
                 {k: [v, None] for k, v in address_summary(address).items() if v}, customer_id=customer.id)
    customer.addresses.remove(address)
    db.session.delete(address)
    touch(customer)
    db.session.flush()
    index_search_terms(customer)
