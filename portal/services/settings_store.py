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
    CustomerGroup,
    CustomerSettings,
    DunningLadder,
    OrganizationSettings,
    PaymentMethod,
    SettingsTally,
)
from portal.services import audit
from portal.services.customers import require_active


def _stored_value(setting, value):
    return str(value) if setting.kind == "ladder" and value is not None else value


def _layer(row, fields):
    return {f.name: _stored_value(f, getattr(row, f.column)) for f in fields if f.stored} if row is not None else {}


def _column_value(setting, value):
    return int(value) if setting.kind == "ladder" and value is not None else value


GROUP_FIELDS = tuple(f for f in INHERITABLE_FIELDS if f.stored)


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


def group_layer(group):
    """A customer group's own values (None: inherits from the organization)."""
    return _layer(group, GROUP_FIELDS)


def layers_of(organization_values, group=None, customer_values=None):
    """The layers above the defaults, lowest first: the organization's, the group's (if any), the customer's."""
    layers = [rules.Layer(rules.ORGANIZATION, organization_values)]
    if group is not None:
        layers.append(rules.Layer(rules.GROUP, group_layer(group), group.name))
    if customer_values is not None:
        layers.append(rules.Layer(rules.CUSTOMER, customer_values))
    return layers


def inherited_by(customer, organization_values=None):
    """What a customer inherits (its own layer left out): the group's values over the organization's."""
    org = organization_layer(customer.organization_id) if organization_values is None else organization_values
    return rules.resolve(layers_of(org, customer.group))


def resolve_group(group, organization_values=None):
    """A group's effective values and sources (its own over the organization's over the defaults)."""
    org = organization_layer(group.organization_id) if organization_values is None else organization_values
    return rules.resolve(layers_of(org, group))


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
    return rules.resolve(layers_of(org, customer.group, customer_layer(customer)))


def resolve_many(organization_id, customer_ids):
    """{customer id: resolved} for a page of customers in four queries, whatever their number."""
    org = organization_layer(organization_id)
    groups = dict(db.session.execute(sa.select(Customer.id, CustomerGroup).join(
        CustomerGroup, CustomerGroup.id == Customer.group_id).where(Customer.id.in_(customer_ids))).all())
    rows = db.session.scalars(sa.select(CustomerSettings).where(CustomerSettings.customer_id.in_(customer_ids))).all()
    defaults = dict(db.session.execute(sa.select(PaymentMethod.customer_id, PaymentMethod.id).where(
        PaymentMethod.customer_id.in_(customer_ids), PaymentMethod.is_default)).all())
    by_customer = {row.customer_id: row for row in rows}
    resolved = {}
    for customer_id in customer_ids:
        layer = _layer(by_customer.get(customer_id), STORED_FIELDS)
        layer["defaultPaymentMethodId"] = str(defaults[customer_id]) if customer_id in defaults else None
        resolved[customer_id] = rules.resolve(layers_of(org, groups.get(customer_id), layer))
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
    check_ladder(customer.organization_id, cleaned, changed)
    effective = rules.effective_values(rules.resolve(
        layers_of(organization_layer(customer.organization_id), customer.group, new_layer)))
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
            setattr(row, setting.column, _column_value(setting, new_layer[name]))
    db.session.flush()
    audit.record(customer.organization_id, "settings", customer.id, "update", diff, customer_id=customer.id)
    return diff


def replace_customer_settings(customer, body):
    """PUT: every writable field present (None = inherit); a missing one is named."""
    missing = [f.name for f in SETTING_FIELDS if f.name not in body]
    if missing:
        raise ValidationFailed({name: "Missing: PUT replaces every field (null inherits)." for name in missing})
    return update_customer_settings(customer, {f.name: body[f.name] for f in SETTING_FIELDS})


def ladder_labels(organization_id):
    """{ladder id as text: its name}, by name: what a ladder setting shows and offers."""
    return {str(ladder_id): name for ladder_id, name in db.session.execute(
        sa.select(DunningLadder.id, DunningLadder.name).where(DunningLadder.organization_id == organization_id)
        .order_by(DunningLadder.name, DunningLadder.id))}


LADDER_MESSAGE = rules.Message("Not one of the organization's dunning ladders.", "Choose one of your dunning ladders.")


def check_ladder(organization_id, cleaned, changed=None):
    """A dunningLadderId being set must name one of the organization's ladders."""
    value = cleaned.get("dunningLadderId")
    if value is None or (changed is not None and "dunningLadderId" not in changed):
        return
    # A shared lock on the ladder: a delete (which locks it for update and counts its users) waits for this
    # transaction, or this one sees the ladder gone.
    if not db.session.scalar(sa.select(DunningLadder.id).where(
            DunningLadder.id == int(value), DunningLadder.organization_id == organization_id)
            .with_for_update(read=True)):
        raise ValidationFailed({"dunningLadderId": LADDER_MESSAGE})


def _update_layer(organization_id, row, changes, entity, entity_id):
    """Set (or with None reset) an organization's or a group's values; audit; return the diff."""
    cleaned, errors = rules.clean_layer_values(changes, rules.ORGANIZATION_FIELDS)
    if errors:
        raise ValidationFailed(errors)
    check_ladder(organization_id, cleaned)
    current = _layer(row, INHERITABLE_FIELDS)
    diff = {name: [_audit_value(current.get(name)), _audit_value(value)] for name, value in sorted(cleaned.items())
            if _audit_value(value) != _audit_value(current.get(name))}
    if not diff:
        return {}
    for name in diff:
        setting = rules.field(name)
        setattr(row, setting.column, _column_value(setting, cleaned[name]))
    db.session.flush()
    audit.record(organization_id, entity, entity_id, "update", diff)
    return diff


DEFAULT_LADDER_MESSAGE = rules.Message(
    "One ladder is always the organization's default: choose which.",
    "One ladder is always the default: choose which one.")


def update_organization_settings(organization_id, changes):
    """Set (or with None reset to the default) organization settings; audit; return the diff. The organization's
    dunningLadderId is its default ladder: once it has ladders, one of them."""
    row = organization_settings(organization_id, for_update=True)
    if "dunningLadderId" in changes and changes["dunningLadderId"] is None and db.session.scalar(
            sa.select(DunningLadder.id).where(DunningLadder.organization_id == organization_id).limit(1)):
        raise ValidationFailed({"dunningLadderId": DEFAULT_LADDER_MESSAGE})
    return _update_layer(organization_id, row, changes, "organizationSettings", organization_id)


def update_group_settings(group, changes):
    """Set (or with None reset to inherited) a group's settings; audit; return the diff."""
    return _update_layer(group.organization_id, group, changes, "groupSettings", group.id)


def replace_group_settings(group, body):
    """PUT: every inheritable field present (None inherits)."""
    missing = [f.name for f in INHERITABLE_FIELDS if f.name not in body]
    if missing:
        raise ValidationFailed({name: "Missing: PUT replaces every field (null inherits)." for name in missing})
    return update_group_settings(group, {f.name: body[f.name] for f in INHERITABLE_FIELDS})


def override_counts(organization_id, group_id=None):
    """How many customers (of the organization, or of one group) set each inheritable field themselves: read from
    the settings tally (a row per group), so the same at any number of customers."""
    columns = [sa.func.coalesce(sa.func.sum(getattr(SettingsTally, f.column)), 0).label(f.name) for f in GROUP_FIELDS]
    query = sa.select(*columns).where(SettingsTally.organization_id == organization_id)
    if group_id is not None:
        query = query.where(SettingsTally.group_id == group_id)
    return {name: int(count) for name, count in db.session.execute(query).one()._mapping.items()}


def group_override_counts(organization_id):
    """How many groups set each inheritable field: one grouped query."""
    columns = [sa.func.count(getattr(CustomerGroup, f.column)).label(f.name) for f in GROUP_FIELDS]
    return dict(db.session.execute(sa.select(*columns).where(
        CustomerGroup.organization_id == organization_id)).one()._mapping)


def inheriting_count(organization_id, name):
    """How many customers a change of the organization's value of `name` affects: those that set it neither
    themselves nor through their group (from the tally: the customers of each group that does not set it, and of
    no group, less those that set it themselves)."""
    setting = rules.field(name)
    if not setting.stored:
        return 0
    column = getattr(SettingsTally, setting.column)
    query = (sa.select(sa.func.coalesce(sa.func.sum(SettingsTally.n - column), 0))
             .outerjoin(CustomerGroup, CustomerGroup.id == SettingsTally.group_id)
             .where(SettingsTally.organization_id == organization_id, getattr(CustomerGroup, setting.column).is_(None)))
    return int(db.session.scalar(query))


BULK_FIELDS = tuple(f for f in SETTING_FIELDS if f.stored and f.kind not in ("json", "ladder"))


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
