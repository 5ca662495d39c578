"""Customer groups (a settings layer between the organization and the customer) and named dunning ladders; every
organization gets a "Standard" ladder holding its rules, which becomes its default (`dunning_ladder_id`)

Revision ID: e51c0a7d2b94
Revises: 6da0035f35fc
Create Date: 2026-12-04 04:40:00

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e51c0a7d2b94'
down_revision = '6da0035f35fc'
branch_labels = None
depends_on = None

_TYPES = {"term": lambda: sa.String(16), "bool": sa.Boolean, "enum": lambda: sa.String(40), "json": sa.JSON,
          "int": sa.Integer, "ladder": sa.Integer}
# The inheritable settings as they were at this revision (a group layer holds what the organization's does).
GROUP_SETTING_COLUMNS = (
    ("term", "term"), ("auto_send_documents", "bool"), ("auto_post_draft_invoice", "bool"),
    ("e_invoice_format", "enum"), ("pdf_invoice_email_attachment_option", "enum"),
    ("post_ready_charges_on_renew", "bool"), ("auto_collect", "bool"), ("auto_collect_setting_type", "enum"),
    ("status_on_threshold", "bool"), ("send_payment_reminders", "bool"), ("charge_dunning_fees", "bool"),
    ("dunning_exempt", "bool"), ("dunning_ladder_id", "ladder"), ("tax_exempt", "bool"),
    ("use_customer_billing_address", "bool"), ("show_zero_dollar_charges", "bool"), ("roll_up_taxes", "bool"),
    ("roll_up_discounts", "bool"), ("roll_up_pdfs_by_plan_product", "bool"), ("roll_up_pdfs_display_name", "bool"),
    ("roll_up_pdfs_display_description", "bool"), ("roll_up_pdfs_display_all_unit_prices", "bool"),
    ("tracked_item_display", "json"), ("customer_billing_statement_setting", "json"),
    ("customer_grace_period", "int"), ("grace_period_extension", "int"), ("customer_auto_cancel", "int"),
    ("default_cancel_option", "enum"), ("customer_service_start_option", "enum"),
)


def upgrade():
    op.create_table('dunning_ladder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_dunning_ladder_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dunning_ladder')),
    sa.UniqueConstraint('organization_id', 'name', name=op.f('uq_dunning_ladder_organization_id'))
    )
    op.create_index(op.f('ix_dunning_ladder_organization_id'), 'dunning_ladder', ['organization_id'], unique=False)
    op.create_table('customer_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    *(sa.Column(name, _TYPES[kind](), nullable=True) for name, kind in GROUP_SETTING_COLUMNS),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_customer_group_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_group')),
    sa.UniqueConstraint('organization_id', 'name', name=op.f('uq_customer_group_organization_id'))
    )
    op.create_index(op.f('ix_customer_group_organization_id'), 'customer_group', ['organization_id'], unique=False)

    # Plain added columns: no rebuild of the customer table (its tally triggers stay) and cheap at any size.
    op.add_column('organization_settings', sa.Column('dunning_ladder_id', sa.Integer(), nullable=True))
    op.add_column('customer_settings', sa.Column('dunning_ladder_id', sa.Integer(), nullable=True))
    op.add_column('customer', sa.Column('group_id', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name != 'sqlite':  # SQLite cannot add a constraint without rebuilding the table
        op.create_foreign_key(op.f('fk_customer_group_id_customer_group'), 'customer', 'customer_group',
                              ['group_id'], ['id'])
    op.create_index('ix_customer_org_status_group', 'customer', ['organization_id', 'status', 'group_id', 'name', 'id'])
    op.create_index('ix_customer_org_group', 'customer', ['organization_id', 'group_id', 'name', 'id'])
    op.add_column('overdue_rule', sa.Column('ladder_id', sa.Integer(), nullable=True))

    # Every organization's rules become its "Standard" ladder, which is its default.
    now = datetime.now(UTC).replace(tzinfo=None)
    bind = op.get_bind()
    organizations = bind.execute(sa.text("SELECT id FROM organization")).scalars().all()
    with_settings = set(bind.execute(sa.text("SELECT organization_id FROM organization_settings")).scalars())
    for organization_id in organizations:
        bind.execute(sa.text("INSERT INTO dunning_ladder (organization_id, name, created_at, updated_at, version) "
                             "VALUES (:o, 'Standard', :now, :now, 1)"), {"o": organization_id, "now": now})
        ladder_id = bind.execute(sa.text("SELECT id FROM dunning_ladder WHERE organization_id = :o"),
                                 {"o": organization_id}).scalar_one()
        bind.execute(sa.text("UPDATE overdue_rule SET ladder_id = :l WHERE organization_id = :o"),
                     {"l": ladder_id, "o": organization_id})
        if organization_id not in with_settings:
            bind.execute(sa.text("INSERT INTO organization_settings (organization_id, version, updated_at) "
                                 "VALUES (:o, 1, :now)"), {"o": organization_id, "now": now})
        bind.execute(sa.text("UPDATE organization_settings SET dunning_ladder_id = :l WHERE organization_id = :o"),
                     {"l": ladder_id, "o": organization_id})
    with op.batch_alter_table('overdue_rule', schema=None) as batch_op:
        batch_op.alter_column('ladder_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_overdue_rule_ladder_id_dunning_ladder'), 'dunning_ladder',
                                    ['ladder_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_overdue_rule_ladder_id'), ['ladder_id'], unique=False)


def downgrade():
    with op.batch_alter_table('overdue_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_overdue_rule_ladder_id'))
        batch_op.drop_constraint(batch_op.f('fk_overdue_rule_ladder_id_dunning_ladder'), type_='foreignkey')
        batch_op.drop_column('ladder_id')
    op.drop_index('ix_customer_org_group', table_name='customer')
    op.drop_index('ix_customer_org_status_group', table_name='customer')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_customer_group_id_customer_group'), 'customer', type_='foreignkey')
    op.drop_column('customer', 'group_id')  # SQLite 3.35+ drops a plain column without a rebuild
    op.drop_column('customer_settings', 'dunning_ladder_id')
    op.drop_column('organization_settings', 'dunning_ladder_id')
    op.drop_index(op.f('ix_customer_group_organization_id'), table_name='customer_group')
    op.drop_table('customer_group')
    op.drop_index(op.f('ix_dunning_ladder_organization_id'), table_name='dunning_ladder')
    op.drop_table('dunning_ladder')
