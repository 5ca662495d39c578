"""the settings tally: per organization and group, how many customers there are and how many set each
inheritable setting themselves

Revision ID: f4a7c1d9e2b3
Revises: e51c0a7d2b94
Create Date: 2026-12-04 19:00:00

Kept by triggers on customer and customer_settings, as the customer tally is, so that every writer (bulk
inserts, the import, a move to another group) keeps it right; filled from the rows there are. A group's
settings page and the organization's then count overrides from a few rows at any size.
"""
import sqlalchemy as sa
from alembic import op

revision = 'f4a7c1d9e2b3'
down_revision = 'e51c0a7d2b94'
branch_labels = None
depends_on = None

# The inheritable settings' columns as they are at this revision (customer_settings holds each).
COLUMNS = (
    "term", "auto_send_documents", "auto_post_draft_invoice", "e_invoice_format",
    "pdf_invoice_email_attachment_option", "post_ready_charges_on_renew", "auto_collect", "auto_collect_setting_type",
    "status_on_threshold", "send_payment_reminders", "charge_dunning_fees", "dunning_exempt", "dunning_ladder_id",
    "tax_exempt", "use_customer_billing_address", "show_zero_dollar_charges", "roll_up_taxes", "roll_up_discounts",
    "roll_up_pdfs_by_plan_product", "roll_up_pdfs_display_name", "roll_up_pdfs_display_description",
    "roll_up_pdfs_display_all_unit_prices", "tracked_item_display", "customer_billing_statement_setting",
    "customer_grace_period", "grace_period_extension", "customer_auto_cancel", "default_cancel_option",
    "customer_service_start_option",
)
TALLY = "settings_tally"


def _set(sign, row):
    """SET clause: each column moved by one where `row` (NEW or OLD, or a joined settings row) sets it."""
    return ", ".join(f"{c} = {TALLY}.{c} {sign} ({row}.{c} IS NOT NULL)" for c in COLUMNS)


def _changed_set():
    return ", ".join(f"{c} = {TALLY}.{c} - (OLD.{c} IS NOT NULL) + (NEW.{c} IS NOT NULL)" for c in COLUMNS)


def _key(customer):
    """WHERE the tally row is the one of `customer`'s organization and group (0: no group)."""
    return (f"{TALLY}.organization_id = {customer}.organization_id "
            f"AND {TALLY}.group_id = coalesce({customer}.group_id, 0)")


def _ensure(customer):
    return (f"INSERT OR IGNORE INTO {TALLY} (organization_id, group_id) "
            f"VALUES ({customer}.organization_id, coalesce({customer}.group_id, 0))")


UPDATE_OF = ", ".join(COLUMNS)


def _sqlite():
    of_customer = "(SELECT organization_id, group_id FROM customer WHERE id = {}) AS cu"
    return [
        # A customer's settings: its row in the tally is looked up through the customer (none: it is being deleted).
        f"""CREATE TRIGGER settings_tally_settings_insert AFTER INSERT ON customer_settings BEGIN
              UPDATE {TALLY} SET {_set('+', 'NEW')} FROM {of_customer.format('NEW.customer_id')}
              WHERE {_key('cu')};
            END""",
        f"""CREATE TRIGGER settings_tally_settings_update AFTER UPDATE OF {UPDATE_OF} ON customer_settings BEGIN
              UPDATE {TALLY} SET {_changed_set()} FROM {of_customer.format('NEW.customer_id')}
              WHERE {_key('cu')};
            END""",
        f"""CREATE TRIGGER settings_tally_settings_delete AFTER DELETE ON customer_settings BEGIN
              UPDATE {TALLY} SET {_set('-', 'OLD')} FROM {of_customer.format('OLD.customer_id')}
              WHERE {_key('cu')};
            END""",
        # A customer: counted in its organization and group; its settings move with it.
        f"""CREATE TRIGGER settings_tally_customer_insert AFTER INSERT ON customer BEGIN
              {_ensure('NEW')};
              UPDATE {TALLY} SET n = n + 1 WHERE {_key('NEW')};
            END""",
        # Its settings go first, while the customer is there to say which row they were counted in.
        """CREATE TRIGGER settings_tally_customer_before_delete BEFORE DELETE ON customer BEGIN
              DELETE FROM customer_settings WHERE customer_id = OLD.id;
            END""",
        f"""CREATE TRIGGER settings_tally_customer_delete AFTER DELETE ON customer BEGIN
              UPDATE {TALLY} SET n = n - 1 WHERE {_key('OLD')};
            END""",
        f"""CREATE TRIGGER settings_tally_customer_move AFTER UPDATE OF organization_id, group_id ON customer
            WHEN OLD.organization_id IS NOT NEW.organization_id OR OLD.group_id IS NOT NEW.group_id BEGIN
              UPDATE {TALLY} SET n = n - 1 WHERE {_key('OLD')};
              UPDATE {TALLY} SET {_set('-', 's')} FROM customer_settings AS s
              WHERE s.customer_id = OLD.id AND {_key('OLD')};
              {_ensure('NEW')};
              UPDATE {TALLY} SET n = n + 1 WHERE {_key('NEW')};
              UPDATE {TALLY} SET {_set('+', 's')} FROM customer_settings AS s
              WHERE s.customer_id = NEW.id AND {_key('NEW')};
            END""",
    ]


def _grouped(rows, customers=None):
    """Per tally key, how many of `rows` (settings rows, joined to their customer; or customer rows themselves
    when `customers` is None) there are and how many set each column."""
    if customers is None:
        return (f"SELECT organization_id, coalesce(group_id, 0) AS group_key, count(*) AS n FROM {rows} AS r "
                f"GROUP BY organization_id, coalesce(group_id, 0)")
    counts = ", ".join(f"count(s.{c}) AS {c}" for c in COLUMNS)
    return (f"SELECT cu.organization_id, coalesce(cu.group_id, 0) AS group_key, {counts} "
            f"FROM {rows} AS s JOIN {customers} AS cu ON cu.id = s.customer_id "
            f"GROUP BY cu.organization_id, coalesce(cu.group_id, 0)")


def _apply(sign, grouped, n=False):
    """UPDATE the tally by the grouped counts, added or taken away."""
    columns = ["n"] if n else list(COLUMNS)
    assignments = ", ".join(f"{c} = {TALLY}.{c} {sign} d.{c}" for c in columns)
    return (f"UPDATE {TALLY} SET {assignments} FROM ({grouped}) AS d "
            f"WHERE {TALLY}.organization_id = d.organization_id AND {TALLY}.group_id = d.group_key")


def _postgresql():
    # Statement-level triggers over transition tables: a bulk insert (the import writes 1,000 customers a statement)
    # changes each tally row once a statement, not once a customer. A row updated once per customer in one
    # transaction leaves a version per update, and each later update walks them.
    moved_old = ("(SELECT o.* FROM old_rows AS o JOIN new_rows AS w ON w.id = o.id "
                 "WHERE o.organization_id IS DISTINCT FROM w.organization_id "
                 "OR o.group_id IS DISTINCT FROM w.group_id)")
    moved_new = moved_old.replace("SELECT o.*", "SELECT w.*")
    ensure = (f"INSERT INTO {TALLY} (organization_id, group_id, n) "
              f"SELECT organization_id, group_key, 0 FROM ({_grouped('{rows}')}) AS k "
              f"ON CONFLICT (organization_id, group_id) DO NOTHING")
    functions = {
        # A customer's settings, counted in the row of its customer's organization and group (none found: the
        # customer is being deleted, and its settings went first).
        "settings_insert": [_apply("+", _grouped("new_rows", "customer"))],
        "settings_update": [_apply("-", _grouped("old_rows", "customer")),
                            _apply("+", _grouped("new_rows", "customer"))],
        "settings_delete": [_apply("-", _grouped("old_rows", "customer"))],
        # Customers counted per organization and group; a moved customer's settings move with it.
        "customer_insert": [ensure.format(rows="new_rows"), _apply("+", _grouped("new_rows"), n=True)],
        "customer_delete": [_apply("-", _grouped("old_rows"), n=True)],
        "customer_update": [_apply("-", _grouped(moved_old), n=True),
                            _apply("-", _grouped("customer_settings", moved_old)),
                            ensure.format(rows=moved_new),
                            _apply("+", _grouped(moved_new), n=True),
                            _apply("+", _grouped("customer_settings", moved_new))],
    }
    transitions = {"insert": "NEW TABLE AS new_rows", "delete": "OLD TABLE AS old_rows",
                   "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
    statements = []
    for name, body in functions.items():
        table, event = ("customer_settings" if name.startswith("settings") else "customer"), name.split("_")[1]
        body = "; ".join(body) + ";"
        if name == "customer_update":  # most updates of a customer leave its organization and group alone
            body = f"IF EXISTS {moved_old} THEN {body} END IF;"
        statements.append(f"""CREATE FUNCTION settings_tally_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              {body}
              RETURN NULL;
            END $$""")
        statements.append(f"""CREATE TRIGGER settings_tally_{name} AFTER {event.upper()} ON {table}
            REFERENCING {transitions[event]} FOR EACH STATEMENT EXECUTE FUNCTION settings_tally_{name}()""")
    # Its settings go first, while the customer is there to say which row they were counted in (the foreign key's
    # cascade runs after the customer is gone).
    statements += [
        """CREATE FUNCTION settings_tally_customer_leaving() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              DELETE FROM customer_settings WHERE customer_id = OLD.id;
              RETURN OLD;
            END $$""",
        """CREATE TRIGGER settings_tally_customer_leaving BEFORE DELETE ON customer
           FOR EACH ROW EXECUTE FUNCTION settings_tally_customer_leaving()""",
    ]
    return statements


PG_FUNCTIONS = ("settings_insert", "settings_update", "settings_delete", "customer_insert", "customer_delete",
                "customer_update", "customer_leaving")


def upgrade():
    op.create_table(
        TALLY,
        sa.Column("organization_id", sa.Integer, sa.ForeignKey("organization.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("group_id", sa.Integer, primary_key=True),
        sa.Column("n", sa.Integer, nullable=False, server_default="0"),
        *(sa.Column(c, sa.Integer, nullable=False, server_default="0") for c in COLUMNS),
    )
    counts = ", ".join(f"count(s.{c})" for c in COLUMNS)
    op.execute(f"INSERT INTO {TALLY} (organization_id, group_id, n, {', '.join(COLUMNS)}) "
               f"SELECT cu.organization_id, coalesce(cu.group_id, 0), count(*), {counts} FROM customer AS cu "
               f"LEFT JOIN customer_settings AS s ON s.customer_id = cu.id "
               f"GROUP BY cu.organization_id, coalesce(cu.group_id, 0)")
    for statement in _postgresql() if op.get_bind().dialect.name == "postgresql" else _sqlite():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in PG_FUNCTIONS:
            table = "customer_settings" if name.startswith("settings") else "customer"
            op.execute(f"DROP TRIGGER settings_tally_{name} ON {table}")
            op.execute(f"DROP FUNCTION settings_tally_{name}()")
    else:
        for name in ("settings_insert", "settings_update", "settings_delete", "customer_insert",
                     "customer_before_delete", "customer_delete", "customer_move"):
            op.execute(f"DROP TRIGGER settings_tally_{name}")
    op.drop_table(TALLY)
