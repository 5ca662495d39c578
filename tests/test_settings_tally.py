"""The settings tally (per organization and group: customers, and how many set each inheritable setting
themselves) is kept by database triggers; after every kind of write it equals what counting the rows gives, and the
counts the pages and the API show come from it."""
import random

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Customer, CustomerSettings, SettingsTally
from portal.services import groups, settings_store
from portal.services.settings_store import GROUP_FIELDS


def tally(org):
    """{group key: (n, {column: count})} as the triggers kept it, rows of no customers left out."""
    rows = db.session.execute(sa.select(SettingsTally).where(SettingsTally.organization_id == org.id)).scalars()
    kept = {row.group_id: (row.n, {f.column: getattr(row, f.column) for f in GROUP_FIELDS}) for row in rows}
    return {key: value for key, value in kept.items() if value[0] or any(value[1].values())}


def counted(org):
    """The same, by counting the customers and their settings."""
    key = sa.func.coalesce(Customer.group_id, 0)
    columns = [sa.func.count(getattr(CustomerSettings, f.column)) for f in GROUP_FIELDS]
    rows = db.session.execute(
        sa.select(key, sa.func.count(Customer.id), *columns)
        .outerjoin(CustomerSettings, CustomerSettings.customer_id == Customer.id)
        .where(Customer.organization_id == org.id).group_by(key)).all()
    return {row[0]: (row[1], {f.column: count for f, count in zip(GROUP_FIELDS, row[2:])}) for row in rows}


SETTINGS = [("term", ["Net30", "Net45", None]), ("sendPaymentReminders", [True, False, None]),
            ("taxExempt", [True, False, None]), ("customerGracePeriod", [5, None])]


def test_the_tally_follows_creates_settings_moves_and_deletes(app, make, org):
    rng = random.Random(14)
    gold = groups.create(org.id, {"name": "Gold", "description": ""})
    public = groups.create(org.id, {"name": "Public", "description": ""})
    other = make.org("other")
    db.session.commit()
    choices = [None, gold, public]
    customers = [make.customer(org) for _ in range(6)]
    for step in range(120):
        action = rng.choice(["create", "set", "set", "move", "move", "delete", "elsewhere"])
        if action == "create" or not customers:
            group = rng.choice(choices)
            customers.append(make.customer(org, **({"groupId": group.id} if group else {})))
        elif action == "set":
            name, values = rng.choice(SETTINGS)
            customer = db.session.get(Customer, rng.choice(customers).id)
            settings_store.update_customer_settings(customer, {name: rng.choice(values)})
        elif action == "move":
            picked = rng.sample(customers, k=min(len(customers), rng.randint(1, 3)))
            groups.move_customers(org.id, [c.id for c in picked], rng.choice(choices))
        elif action == "delete":
            victim = customers.pop(rng.randrange(len(customers)))
            db.session.execute(sa.delete(Customer).where(Customer.id == victim.id))
        else:  # another tenant's writes leave this one's rows alone
            stranger = make.customer(other)
            settings_store.update_customer_settings(db.session.get(Customer, stranger.id), {"term": "Net30"})
        db.session.commit()
        assert tally(org) == counted(org), f"after step {step}: {action}"
    assert tally(other) == counted(other)
    assert sum(n for n, _ in counted(org).values()) == len(customers)


def test_page_counts_come_from_the_tally(app, make, org):
    gold = groups.create(org.id, {"name": "Gold", "description": ""})
    settings_store.update_group_settings(gold, {"term": "Net45"})
    db.session.commit()
    members = [make.customer(org, groupId=gold.id) for _ in range(3)]
    loose = [make.customer(org) for _ in range(2)]
    settings_store.update_customer_settings(db.session.get(Customer, members[0].id), {"term": "Net30"})
    settings_store.update_customer_settings(db.session.get(Customer, loose[0].id), {"term": "Net14"})
    db.session.commit()
    assert settings_store.override_counts(org.id, gold.id)["term"] == 1
    assert settings_store.override_counts(org.id)["term"] == 2
    assert groups.member_count(gold) == 3 and groups.customer_counts(org.id) == {gold.id: 3}
    # The group's change reaches its two members that do not set the term; the organization's reaches the one
    # customer outside the group that does not set it (the group sets it for the others).
    assert groups.member_count(gold) - settings_store.override_counts(org.id, gold.id)["term"] == 2
    assert settings_store.inheriting_count(org.id, "term") == 1
    assert settings_store.inheriting_count(org.id, "eInvoiceFormat") == 5
