"""Reading and writing the settings layers; every consumer resolves through services.settings.resolve."""
import sqlalchemy as sa

from portal.domain import settings as rules
from portal.domain.settings_fields import (
    INHERITABLE_FIELDS,
    SETTING_FIELDS,
    STORED_FIELDS,
)
from portal.domain.validation import ValidationFailed
from portal.extensions import db
from portal.models import (
    Customer,
    CustomerSettings,
    OrganizationSettings,
    PaymentMethod,
)
from portal.services import audit
from portal.services.customers import require_active


def _layer(row, fields):
    return {f.name: getattr(row, f.column) for f in fields if f.stored} if row is not None else {}


def organization_settings(organization_id, for_update=False):
    """The organization's settings row (created on first use); `for_update` locks it for a change."""
    row = db.session.get(OrganizationSettings, organization_id, with_for_update=for_update or None)
    if row is None:
        row = OrganizationSettings(organization_id=organization_id)
        db.session.add(row)
        db.session.flush()
    return row


def organization_layer(organization_id):
    return _layer(db.session.get(OrganizationSettings, organization_id), INHERITABLE_FIELDS)


def customer_settings(customer):
    if customer.settings is None:
        customer.settings = CustomerSettings()
        db.session.flush()
    return customer.settings


def customer_layer(customer):
    """The customer's own values, with the derived defaultPaymentMethodId."""
    layer = _layer(customer.settings, STORED_FIELDS)
    layer["defaultPaymentMethodId"] = next(
        (str(m.id) for m in customer.payment_methods if m.is_default), None)
    return layer


def resolve_customer(customer, organization_layer_values=None):
    """Every field's effective value and source for one customer."""
    org = organization_layer(customer.organization_id) if organization_layer_values is None \
        else organization_layer_values
    return rules.resolve(org, customer_layer(customer))


def resolve_many(organization_id, customer_ids):
    """{customer id: resolved} for a page of customers in three queries, whatever their number."""
    org = organization_layer(organization_id)
    rows = db.session.scalars(sa.select(CustomerSettings).where(CustomerSettings.customer_id.in_(customer_ids))).all()
    defaults = dict(db.session.execute(sa.select(PaymentMethod.customer_id, PaymentMethod.id).where(
        PaymentMethod.customer_id.in_(customer_ids), PaymentMethod.is_default)).all())
    by_customer = {row.customer_id: row for row in rows}
    resolved = {}
    for customer_id in customer_ids:
        layer = _layer(by_customer.get(customer_id), STORED_FIELDS)
        layer["defaultPaymentMethodId"] = str(defaults[customer_id]) if customer_id in defaults else None
        resolved[customer_id] = rules.resolve(org, layer)
    return resolved


def attention(customer, resolved=None):
    """Cross-field problems the customer has now (e.g. an inherited XRechnung without a buyer reference)."""
    resolved = resolved or resolve_customer(customer)
    return [(name, message) for name, message, _involved in rules.cross_field_problems(
        rules.effective_values(resolved), bool(customer.payment_methods), customer_layer(customer))]


def _audit_value(value):
    return audit.jsonable(value)


def update_customer_settings(customer, changes):
    """Set (or with None reset to inherited) customer settings by their rules; audit; return the field diff."""
    require_active(customer)
    row = customer_settings(customer)
    cleaned, errors = rules.clean_layer_values(changes, rules.CUSTOMER_FIELDS)
    if errors:
        raise ValidationFailed(errors)
    current = customer_layer(customer)
    new_layer = {**current, **cleaned}
    changed = {name for name, value in cleaned.items() if _audit_value(value) != _audit_value(current.get(name))}
    default_method = cleaned.get("defaultPaymentMethodId")
    if "defaultPaymentMethodId" in changed and default_method is not None and default_method not in {
            str(m.id) for m in customer.payment_methods}:
        raise ValidationFailed({"defaultPaymentMethodId": "Choose one of this customer's payment methods."})
    if "defaultPaymentMethodId" in changed and default_method is None:
        changed.discard("defaultPaymentMethodId")  # a customer with payment methods always has a default one
    effective = rules.effective_values(rules.resolve(organization_layer(customer.organization_id), new_layer))
    errors = rules.cross_field_errors(effective, bool(customer.payment_methods), new_layer, changed)
    if errors:
        raise ValidationFailed(errors)
    if not changed:
        return {}
    diff = {name: [_audit_value(current.get(name)), _audit_value(new_layer[name])] for name in sorted(changed)}
    for name in changed:
        setting = rules.field(name)
        if name == "defaultPaymentMethodId":
            from portal.services.payment_methods import set_default

            set_default(customer, next(m for m in customer.payment_methods if str(m.id) == default_method),
                        record=False)
        elif setting.stored:
            setattr(row, setting.column, new_layer[name])
    db.session.flush()
    audit.record(customer.organization_id, "settings", customer.id, "update", diff, customer_id=customer.id)
    return diff


def replace_customer_settings(customer, body):
    """PUT: every writable field present (None = inherit); a missing one is named."""
    missing = [f.name for f in SETTING_FIELDS if f.name not in body]
    if missing:
        raise ValidationFailed({name: "Missing: PUT replaces every field (null inherits)." for name in missing})
    return update_customer_settings(customer, {f.name: body[f.name] for f in SETTING_FIELDS})


def update_organization_settings(organization_id, changes):
    """Set (or with None reset to the default) organization settings; audit; return the diff."""
    row = organization_settings(organization_id, for_update=True)
    cleaned, errors = rules.clean_layer_values(changes, rules.ORGANIZATION_FIELDS)
    if errors:
        raise ValidationFailed(errors)
    current = _layer(row, INHERITABLE_FIELDS)
    diff = {name: [_audit_value(current.get(name)), _audit_value(value)] for name, value in sorted(cleaned.items())
            if _audit_value(value) != _audit_value(current.get(name))}
    if not diff:
        return {}
    for name in diff:
        setattr(row, rules.field(name).column, cleaned[name])
    db.session.flush()
    audit.record(organization_id, "organizationSettings", organization_id, "update", diff)
    return diff


def override_counts(organization_id):
    """How many customers set each inheritable field themselves: one grouped query."""
    stored = [f for f in INHERITABLE_FIELDS if f.stored]
    columns = [sa.func.count(getattr(CustomerSettings, f.column)).label(f.name) for f in stored]
    row = db.session.execute(sa.select(*columns).join(Customer, Customer.id == CustomerSettings.customer_id)
                             .where(Customer.organization_id == organization_id)).one()
    return dict(row._mapping)


def inheriting_count(organization_id, name, overrides=None):
    """How many customers a change of the organization's value of `name` affects (`overrides`: how many set it
    themselves, when the caller has counted them already)."""
    total = db.session.scalar(sa.select(sa.func.count(Customer.id)).where(Customer.organization_id == organization_id))
    return total - (override_counts(organization_id).get(name, 0) if overrides is None else overrides)


BULK_FIELDS = tuple(f for f in SETTING_FIELDS if f.stored and f.kind != "json")


def bulk_update(organization_id, customer_ids, name, value, batch=500):
    """Set (or with None reset) one setting for many customers in the caller's transaction: every customer's
    rules are checked, one audit event each; any failure raises and nothing is kept."""
    from sqlalchemy.orm import selectinload

    failures, changed = [], 0
    for start in range(0, len(customer_ids), batch):
        customers = db.session.scalars(sa.select(Customer).where(
            Customer.organization_id == organization_id, Customer.id.in_(customer_ids[start:start + batch]))
            .options(selectinload(Customer.settings), selectinload(Customer.payment_methods))).all()
        for customer in customers:
            try:
                changed += bool(update_customer_settings(customer, {name: value}))
            except ValidationFailed as failed:
                failures.append(f"{customer.name} ({customer.debtor_ident}): {next(iter(failed.errors.values()))}")
    if failures:
        more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
        raise ValidationFailed({name: "Nothing was changed. " + "; ".join(failures[:5]) + more})
    return changed
