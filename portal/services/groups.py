"""Customer groups: customers that share billing settings (a settings layer between the organization and the
customer, SPEC §6). A customer is in at most one group; a group with customers cannot be deleted."""
import sqlalchemy as sa

from portal.domain import validation as rules
from portal.domain.validation import Errors, ValidationFailed
from portal.extensions import db
from portal.models import Customer, CustomerGroup, SettingsTally
from portal.models.base import utcnow
from portal.services import audit

GROUP_MESSAGE = "Choose one of your customer groups."


def organization_groups(organization_id):
    """The organization's groups by name."""
    return db.session.scalars(sa.select(CustomerGroup).where(CustomerGroup.organization_id == organization_id)
                              .order_by(CustomerGroup.name, CustomerGroup.id)).all()


def group_choices(organization_id):
    """[(id as text, name)] for a select."""
    return [(str(group_id), name) for group_id, name in db.session.execute(
        sa.select(CustomerGroup.id, CustomerGroup.name).where(CustomerGroup.organization_id == organization_id)
        .order_by(CustomerGroup.name, CustomerGroup.id))]


def customer_counts(organization_id):
    """{group id: how many customers (any status) are in it}, from the settings tally."""
    return dict(db.session.execute(
        sa.select(SettingsTally.group_id, SettingsTally.n).where(
            SettingsTally.organization_id == organization_id, SettingsTally.group_id != 0, SettingsTally.n > 0)).all())


def member_count(group):
    return db.session.scalar(sa.select(SettingsTally.n).where(
        SettingsTally.organization_id == group.organization_id, SettingsTally.group_id == group.id)) or 0


def get_group(organization_id, group_id):
    """One of the organization's groups, or None."""
    group = db.session.get(CustomerGroup, group_id) if group_id else None
    return group if group is not None and group.organization_id == organization_id else None


def group_id_of(organization_id, value):
    """A groupId as the API, a form or a CSV cell gives it (id, or None/"" for no group) → the group's id;
    ValueError when it is not one of the organization's groups."""
    if value is None or value == "":
        return None
    number = rules.whole_number(value if isinstance(value, int) and not isinstance(value, bool) else str(value))
    # A shared lock on the group: a delete (which locks it for update and counts its customers) waits for this
    # transaction, or this one sees the group gone.
    if number is None or not db.session.scalar(sa.select(CustomerGroup.id).where(
            CustomerGroup.id == number, CustomerGroup.organization_id == organization_id).with_for_update(read=True)):
        raise ValueError(GROUP_MESSAGE)
    return number


def clean(organization_id, data, group=None):
    errors = Errors()
    cleaned = {"name": errors.check("name", rules.required_text, data.get("name"), 200, "Name"),
               "description": errors.check("description", rules.text, data.get("description") or "", 2000,
                                           multiline=True) or ""}
    if cleaned["name"]:
        same = sa.select(CustomerGroup.id).where(CustomerGroup.organization_id == organization_id,
                                                 sa.func.lower(CustomerGroup.name) == cleaned["name"].lower())
        if group is not None:
            same = same.where(CustomerGroup.id != group.id)
        if db.session.scalar(same):
            errors["name"] = "Another group has this name."
    errors.raise_if_any()
    return cleaned


def create(organization_id, data):
    cleaned = clean(organization_id, data)
    group = CustomerGroup(organization_id=organization_id, **cleaned)
    db.session.add(group)
    db.session.flush()
    audit.record(organization_id, "customerGroup", group.id, "create", {k: [None, v] for k, v in cleaned.items()})
    return group


def update(group, data):
    """Rename or describe a group (fields not given keep their value)."""
    cleaned = clean(group.organization_id, {"name": group.name, "description": group.description, **data}, group)
    before = {"name": group.name, "description": group.description}
    changed = audit.diff(before, cleaned)
    for key, value in cleaned.items():
        setattr(group, key, value)
    if changed:
        db.session.flush()
        audit.record(group.organization_id, "customerGroup", group.id, "update", changed)
    return group


def delete(group):
    """Remove a group without customers; otherwise say how many are in it."""
    members = member_count(group)
    if members:
        raise ValidationFailed({"group": f"“{group.name}” has {members} customer{'s' if members != 1 else ''}; move "
                                         f"{'them' if members != 1 else 'it'} to another group or out of it first."})
    audit.record(group.organization_id, "customerGroup", group.id, "delete",
                 {"name": [group.name, None], "description": [group.description, None]})
    db.session.delete(group)
    db.session.flush()


def move_customers(organization_id, customer_ids, group, batch=500):
    """Put many customers into `group` (None: out of any group) in the caller's transaction, one audit event per
    customer that changes; returns how many changed."""
    target = group.id if group is not None else None
    changed = 0
    for start in range(0, len(customer_ids), batch):
        rows = db.session.execute(sa.select(Customer.id, Customer.group_id).where(
            Customer.organization_id == organization_id, Customer.id.in_(customer_ids[start:start + batch]))
            .with_for_update()).all()
        moving = [(customer_id, before) for customer_id, before in rows if before != target]
        if not moving:
            continue
        db.session.execute(sa.update(Customer).where(Customer.id.in_([customer_id for customer_id, _ in moving]))
                           .values(group_id=target, version=Customer.version + 1, updated_at=utcnow())
                           .execution_options(synchronize_session=False))
        audit.record_many([{"organization_id": organization_id, "entity": "customer", "entity_id": customer_id,
                            "action": "update", "changes": {"groupId": [before, target]},
                            "customer_id": customer_id} for customer_id, before in moving])
        changed += len(moving)
    db.session.expire_all()
    return changed
