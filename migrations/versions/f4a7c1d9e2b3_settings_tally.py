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


def _set(sign, row, cast=""):
    """SET clause: each column moved by one where `row` (NEW or OLD, or a joined settings row) sets it."""
    return ", ".join(f"{c} = {TALLY}.{c} {sign} ({row}.{c} IS NOT NULL){cast}" for c in COLUMNS)


def _changed_set(cast=""):
    return ", ".join(f"{c} = {TALLY}.{c} - (OLD.{c} IS NOT NULL){cast} + (NEW.{c} IS NOT NULL){cast}"
                     for c in COLUMNS)


def _key(customer):
    """WHERE the tally row is the one of `customer`'s organization and group (0: no group)."""
    return (f"{TALLY}.organization_id = {customer}.organization_id "
            f"AND {TALLY}.group_id = coalesce({customer}.group_id, 0)")


def _ensure(customer, conflict):
    return (f"INSERT {conflict[0]}INTO {TALLY} (organization_id, group_id) "
            f"VALUES ({customer}.organization_id, coalesce({customer}.group_id, 0)){conflict[1]}")


UPDATE_OF = ", ".join(COLUMNS)


def _sqlite():
    ensure = ("OR IGNORE ", "")
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
              {_ensure('NEW', ensure)};
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
              {_ensure('NEW', ensure)};
              UPDATE {TALLY} SET n = n + 1 WHERE {_key('NEW')};
              UPDATE {TALLY} SET {_set('+', 's')} FROM customer_settings AS s
              WHERE s.customer_id = NEW.id AND {_key('NEW')};
            END""",
    ]


def _postgresql():
    ensure = ("", " ON CONFLICT (organization_id, group_id) DO NOTHING")
    cast = "::int"
    return [
        f"""CREATE FUNCTION settings_tally_settings_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'INSERT' THEN
                UPDATE {TALLY} SET {_set('+', 'NEW', cast)} FROM customer AS cu
                WHERE cu.id = NEW.customer_id AND {_key('cu')};
              ELSIF TG_OP = 'UPDATE' THEN
                UPDATE {TALLY} SET {_changed_set(cast)} FROM customer AS cu
                WHERE cu.id = NEW.customer_id AND {_key('cu')};
              ELSE
                UPDATE {TALLY} SET {_set('-', 'OLD', cast)} FROM customer AS cu
                WHERE cu.id = OLD.customer_id AND {_key('cu')};
              END IF;
              RETURN NULL;
            END $$""",
        f"""CREATE TRIGGER settings_tally_settings AFTER INSERT OR DELETE OR UPDATE OF {UPDATE_OF}
            ON customer_settings FOR EACH ROW EXECUTE FUNCTION settings_tally_settings_change()""",
        f"""CREATE FUNCTION settings_tally_customer_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN
                UPDATE {TALLY} SET n = n - 1 WHERE {_key('OLD')};
                RETURN NULL;
              END IF;
              IF TG_OP = 'UPDATE' THEN
                IF OLD.organization_id IS NOT DISTINCT FROM NEW.organization_id
                   AND OLD.group_id IS NOT DISTINCT FROM NEW.group_id THEN
                  RETURN NULL;
                END IF;
                UPDATE {TALLY} SET n = n - 1 WHERE {_key('OLD')};
                UPDATE {TALLY} SET {_set('-', 's', cast)} FROM customer_settings AS s
                WHERE s.customer_id = OLD.id AND {_key('OLD')};
              END IF;
              {_ensure('NEW', ensure)};
              UPDATE {TALLY} SET n = n + 1 WHERE {_key('NEW')};
              IF TG_OP = 'UPDATE' THEN
                UPDATE {TALLY} SET {_set('+', 's', cast)} FROM customer_settings AS s
                WHERE s.customer_id = NEW.id AND {_key('NEW')};
              END IF;
              RETURN NULL;
            END $$""",
        """CREATE TRIGGER settings_tally_customer AFTER INSERT OR DELETE OR UPDATE OF organization_id, group_id
           ON customer FOR EACH ROW EXECUTE FUNCTION settings_tally_customer_change()""",
        # Its settings go first, while the customer is there to say which row they were counted in (the foreign
        # key's cascade runs after the customer is gone).
        """CREATE FUNCTION settings_tally_customer_leaving() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              DELETE FROM customer_settings WHERE customer_id = OLD.id;
              RETURN OLD;
            END $$""",
        """CREATE TRIGGER settings_tally_customer_leaving BEFORE DELETE ON customer
           FOR EACH ROW EXECUTE FUNCTION settings_tally_customer_leaving()""",
    ]


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
        op.execute("DROP TRIGGER settings_tally_customer_leaving ON customer")
        op.execute("DROP TRIGGER settings_tally_customer ON customer")
        op.execute("DROP TRIGGER settings_tally_settings ON customer_settings")
        for function in ("customer_leaving", "customer_change", "settings_change"):
            op.execute(f"DROP FUNCTION settings_tally_{function}()")
    else:
        for name in ("settings_insert", "settings_update", "settings_delete", "customer_insert",
                     "customer_before_delete", "customer_delete", "customer_move"):
            op.execute(f"DROP TRIGGER settings_tally_{name}")
    op.drop_table(TALLY)
