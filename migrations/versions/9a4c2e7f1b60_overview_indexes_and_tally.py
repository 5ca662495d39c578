"""overview at any size: an index per sort and filter, a (customer, term) index, and the customer tally

Revision ID: 9a4c2e7f1b60
Revises: 7b41c9e2d5f3
Create Date: 2027-02-02 10:00:00

The tally (customers per organization and status) is kept by triggers, so that every writer, bulk inserts
included, keeps it right; it is filled from the customers there are.
"""
import sqlalchemy as sa
from alembic import op

revision = '9a4c2e7f1b60'
down_revision = '7b41c9e2d5f3'
branch_labels = None
depends_on = None

NEW_INDEXES = {
    "ix_customer_org_id": ["organization_id", "id"],  # the API's list: by id within the tenant
    "ix_customer_org_status_debtor": ["organization_id", "status", "debtor_ident", "id"],
    "ix_customer_org_status_account": ["organization_id", "status", "account_number", "id"],
    "ix_customer_org_status_created": ["organization_id", "status", "created_at", "id"],
    "ix_customer_org_status_country": ["organization_id", "status", "country", "name", "id"],
    "ix_customer_org_status_currency": ["organization_id", "status", "currency", "name", "id"],
    "ix_customer_org_status_type": ["organization_id", "status", "customer_type", "name", "id"],
    "ix_customer_org_status_legal_entity": ["organization_id", "status", "legal_entity_id", "name", "id"],
}
# Widened so that they cover the sort's tie-break.
WIDENED = {
    "ix_customer_org_country": (["organization_id", "country", "name"], ["organization_id", "country", "name", "id"]),
    "ix_customer_org_currency": (["organization_id", "currency", "name"],
                                 ["organization_id", "currency", "name", "id"]),
}

SQLITE_TRIGGERS = [
    """CREATE TRIGGER customer_tally_insert AFTER INSERT ON customer BEGIN
         INSERT INTO customer_tally (organization_id, status, n) VALUES (NEW.organization_id, NEW.status, 1)
         ON CONFLICT (organization_id, status) DO UPDATE SET n = n + 1;
       END""",
    """CREATE TRIGGER customer_tally_delete AFTER DELETE ON customer BEGIN
         UPDATE customer_tally SET n = n - 1 WHERE organization_id = OLD.organization_id AND status = OLD.status;
       END""",
    """CREATE TRIGGER customer_tally_update AFTER UPDATE OF organization_id, status ON customer BEGIN
         UPDATE customer_tally SET n = n - 1 WHERE organization_id = OLD.organization_id AND status = OLD.status;
         INSERT INTO customer_tally (organization_id, status, n) VALUES (NEW.organization_id, NEW.status, 1)
         ON CONFLICT (organization_id, status) DO UPDATE SET n = n + 1;
       END""",
]
POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION customer_tally_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP IN ('UPDATE', 'DELETE') THEN
           UPDATE customer_tally SET n = n - 1
           WHERE organization_id = OLD.organization_id AND status = OLD.status;
         END IF;
         IF TG_OP IN ('INSERT', 'UPDATE') THEN
           INSERT INTO customer_tally (organization_id, status, n) VALUES (NEW.organization_id, NEW.status, 1)
           ON CONFLICT (organization_id, status) DO UPDATE SET n = customer_tally.n + 1;
         END IF;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER customer_tally AFTER INSERT OR DELETE OR UPDATE OF organization_id, status ON customer
       FOR EACH ROW EXECUTE FUNCTION customer_tally_change()""",
]


def upgrade():
    for name, columns in NEW_INDEXES.items():
        op.create_index(name, "customer", columns)
    for name, (_old, new) in WIDENED.items():
        op.drop_index(name, table_name="customer")
        op.create_index(name, "customer", new)
    op.drop_index("ix_customer_search_term_customer_id", table_name="customer_search_term")
    op.create_index("ix_customer_search_term_customer_term", "customer_search_term", ["customer_id", "term"])
    op.create_table(
        "customer_tally",
        sa.Column("organization_id", sa.Integer, sa.ForeignKey("organization.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("status", sa.String(16), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
    )
    op.execute("INSERT INTO customer_tally (organization_id, status, n) "
               "SELECT organization_id, status, count(*) FROM customer GROUP BY organization_id, status")
    for statement in POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER customer_tally ON customer")
        op.execute("DROP FUNCTION customer_tally_change()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER customer_tally_{name}")
    op.drop_table("customer_tally")
    op.drop_index("ix_customer_search_term_customer_term", table_name="customer_search_term")
    op.create_index("ix_customer_search_term_customer_id", "customer_search_term", ["customer_id"])
    for name, (old, _new) in WIDENED.items():
        op.drop_index(name, table_name="customer")
        op.create_index(name, "customer", old)
    for name in NEW_INDEXES:
        op.drop_index(name, table_name="customer")
