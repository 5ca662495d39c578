"""audit events name the event a revert undid

Revision ID: 7d2e5b8c41a3
Revises: 3c1f2a7d9e10
Create Date: 2026-12-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7d2e5b8c41a3'
down_revision = '3c1f2a7d9e10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reverts_event_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_audit_event_reverts_event_id_audit_event'), 'audit_event',
                                    ['reverts_event_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_event_reverts_event_id_audit_event'), type_='foreignkey')
        batch_op.drop_column('reverts_event_id')
