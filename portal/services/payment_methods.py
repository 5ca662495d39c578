"""Payment methods (display data only): add, make default, remove."""
from portal.domain import validation as rules
from portal.domain.validation import Errors
from portal.extensions import db
from portal.models import PaymentMethod
from portal.models.customer import PAYMENT_METHOD_TYPES
from portal.services import audit
from portal.services.customers import require_active

CARD_NUMBER_LIKE = 12  # this many digits in a row look like a card number: refuse to store them


def _label(value):
    label = rules.required_text(value, 120, "Label")
    digits = max((len(run) for run in "".join(c if c.isdigit() else " " for c in label).split()), default=0)
    if digits >= CARD_NUMBER_LIKE:
        raise ValueError("Store display data only (e.g. “Visa •••• 4242”), never a full card or account number.")
    return label


def add_payment_method(customer, data):
    """Add a payment method; the first one, or one marked default, becomes the default."""
    require_active(customer)
    errors = Errors()
    method_type = errors.check("type", rules.choice, data.get("type"), PAYMENT_METHOD_TYPES, "Type")
    label = errors.check("label", _label, data.get("label"))
    errors.raise_if_any()
    make_default = bool(data.get("isDefault")) or not customer.payment_methods
    method = PaymentMethod(customer=customer, type=method_type, label=label, is_default=False)
    db.session.add(method)
    db.session.flush()
    if make_default:
        set_default(customer, method, record=False)
    audit.record(customer.organization_id, "paymentMethod", method.id, "create",
                 {"type": [None, method_type], "label": [None, label], "isDefault": [None, method.is_default]},
                 customer_id=customer.id)
    return method


def set_default(customer, method, record=True):
    """Make `method` the customer's default payment method."""
    require_active(customer)
    for other in customer.payment_methods:
        if other.is_default and other is not method:
            other.is_default = False
    was_default = method.is_default
    method.is_default = True
    if record and not was_default:
        audit.record(customer.organization_id, "paymentMethod", method.id, "update", {"isDefault": [False, True]},
                     customer_id=customer.id)


def remove_payment_method(customer, method):
    """Remove a payment method; when it was the default, the oldest remaining one takes over."""
    require_active(customer)
    audit.record(customer.organization_id, "paymentMethod", method.id, "delete",
                 {"type": [method.type, None], "label": [method.label, None]}, customer_id=customer.id)
    was_default = method.is_default
    customer.payment_methods.remove(method)
    db.session.delete(method)
    db.session.flush()
    if was_default and customer.payment_methods:
        set_default(customer, customer.payment_methods[0])
    if not customer.payment_methods and customer.settings is not None and customer.settings.auto_collect:
        # Auto-collect cannot work without a payment method: the customer's own "on" becomes "off", audited.
        customer.settings.auto_collect = False
        audit.record(customer.organization_id, "settings", customer.id, "update", {"autoCollect": [True, False]},
                     customer_id=customer.id, reason="Last payment method removed")
        return "autoCollectOff"
    return customer.payment_methods[0] if was_default and customer.payment_methods else None
