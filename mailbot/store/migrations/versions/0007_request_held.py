"""a scoping request answered in a form mailbot cannot read alone is held, not chased

An agency that answers through an encrypted-mail portal or a cloud-share
link did answer: ``held_at`` marks its request while a person opens the
portal and forwards the form, and the chasing leaves it alone.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-07 23:15:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('scoping_requests', sa.Column('held_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scoping_requests') as batch:
        batch.drop_column('held_at')
