"""one-time set-password links; legal entities can be archived

Revision ID: b3d81f0c6a25
Revises: 9a4c2e7f1b60
Create Date: 2026-12-04 02:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b3d81f0c6a25'
down_revision = '9a4c2e7f1b60'
branch_labels = None
depends_on = None


def upgrade():
    # Plain added columns (no table rebuild): cheap on large tables on both databases.
    op.add_column('user', sa.Column('password_link_hash', sa.String(length=64), nullable=True))
    op.add_column('user', sa.Column('password_link_expires_at', sa.DateTime(), nullable=True))
    op.create_index('uq_user_password_link_hash', 'user', ['password_link_hash'], unique=True)
    op.add_column('legal_entity', sa.Column('archived_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('legal_entity', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
    op.drop_index('uq_user_password_link_hash', table_name='user')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('password_link_expires_at')
        batch_op.drop_column('password_link_hash')
