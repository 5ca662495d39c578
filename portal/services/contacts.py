"""Contacts: email unique within the customer, exactly one primary, email preferences."""
import sqlalchemy as sa

from portal.domain import validation as rules
from portal.domain.validation import Errors, ValidationFailed
from portal.extensions import db
from portal.models import Contact
from portal.models.customer import EMAIL_PREFERENCES
from portal.services import audit
from portal.services.customer_search import index_search_terms
from portal.services.customers import require_active, touch

CONTACT_COLUMNS = {"firstName": "first_name", "lastName": "last_name", "email": "email", "phone": "phone",
                   "emailPreferences": "email_preferences", "isPrimary": "is_primary"}


def contact_summary(contact):
    return {field: getattr(contact, column) for field, column in CONTACT_COLUMNS.items()}


def email_preferences(value):
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or any(v not in EMAIL_PREFERENCES for v in value):
        raise ValueError("Choose from: " + ", ".join(EMAIL_PREFERENCES) + ".")
    return [p for p in EMAIL_PREFERENCES if p in value]


def _email_free(customer, email, contact_id=None):
    taken = db.session.scalar(sa.select(Contact.id).where(
        Contact.customer_id == customer.id, sa.func.lower(Contact.email) == email.lower(),
        Contact.id != (contact_id or 0)))
    if taken:
        raise ValueError("Another contact of this customer has this email.")
    return email


def _clean(customer, data, errors, contact=None):
    cleaned = {}
    for field, value in data.items():
        if field in ("firstName", "lastName"):
            cleaned[field] = errors.check(field, rules.text, value, 100) or ""
        elif field == "phone":
            cleaned[field] = errors.check(field, rules.text, value, 40) or ""
        elif field == "email":
            email = errors.check(field, rules.email, value)
            cleaned[field] = email and errors.check(field, _email_free, customer, email, contact and contact.id)
        elif field == "emailPreferences":
            cleaned[field] = errors.check(field, email_preferences, value)
        elif field == "isPrimary":
            if not isinstance(value, bool):
                errors[field] = "Must be true or false."
            elif contact is not None and contact.is_primary and value is False:
                errors[field] = "Make another contact primary instead; a customer always has one."
            else:
                cleaned[field] = value
        else:
            errors[field] = "Unknown or read-only field."
    return cleaned


def _make_primary(customer, contact):
    """Move the primary flag to `contact` (the old one is cleared first: one primary at any time)."""
    for other in customer.contacts:
        if other is not contact and other.is_primary:
            other.is_primary = False
            audit.record(customer.organization_id, "contact", other.id, "update", {"isPrimary": [True, False]},
                         customer_id=customer.id)
    db.session.flush()
    contact.is_primary = True


def create_contact(customer, data):
    """Add a contact; with isPrimary it takes the primary flag over."""
    require_active(customer)
    errors = Errors()
    data = {"emailPreferences": [], **data}
    if "email" not in data:
        data["email"] = None
    cleaned = _clean(customer, data, errors)
    errors.raise_if_any()
    primary = cleaned.pop("isPrimary", False)
    contact = Contact(customer=customer, is_primary=False,
                      **{CONTACT_COLUMNS[f]: v for f, v in cleaned.items()})
    db.session.add(contact)
    touch(customer)
    db.session.flush()
    if primary:
        _make_primary(customer, contact)
    db.session.flush()
    index_search_terms(customer)
    audit.record(customer.organization_id, "contact", contact.id, "create",
                 {k: [None, v] for k, v in contact_summary(contact).items() if v not in ("", [], None, False)},
                 customer_id=customer.id)
    return contact


def update_contact(contact, changes):
    """Change a contact; isPrimary true moves the primary flag here."""
    customer = contact.customer
    require_active(customer)
    errors = Errors()
    cleaned = _clean(customer, changes, errors, contact)
    errors.raise_if_any()
    before = contact_summary(contact)
    if cleaned.pop("isPrimary", None) and not contact.is_primary:
        _make_primary(customer, contact)
    for field, value in cleaned.items():
        setattr(contact, CONTACT_COLUMNS[field], value)
    changed = audit.diff(before, contact_summary(contact))
    if changed:
        touch(customer)
        db.session.flush()
        index_search_terms(customer, "contact", changed)
        audit.record(customer.organization_id, "contact", contact.id, "update", changed, customer_id=customer.id)
    return changed


def delete_contact(contact):
    """Remove a contact; the primary one stays until another is made primary."""
    customer = contact.customer
    require_active(customer)
    if contact.is_primary:
        raise ValidationFailed({"isPrimary": "Make another contact primary before removing this one."})
    audit.record(customer.organization_id, "contact", contact.id, "delete",
                 {k: [v, None] for k, v in contact_summary(contact).items() if v not in ("", [], None, False)},
                 customer_id=customer.id)
    customer.contacts.remove(contact)
    db.session.delete(contact)
    touch(customer)
    db.session.flush()
    index_search_terms(customer)


def recipients(customer):
    """Who receives what (SPEC §5): invoices to `billing` (else the primary), legal and updates by preference."""
    contacts = customer.contacts
    billing = [c for c in contacts if "billing" in (c.email_preferences or [])]
    if not billing:
        billing = [c for c in contacts if c.is_primary]
    return {
        "invoices": billing,
        "legal": [c for c in contacts if "legal" in (c.email_preferences or [])],
        "updates": [c for c in contacts if "updates" in (c.email_preferences or [])],
    }
