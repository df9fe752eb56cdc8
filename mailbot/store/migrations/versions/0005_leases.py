"""board leases, case counters and outbox claimants: several instances on one database

``board_leases`` says which instance works each board (heartbeat, expiry,
fencing token); ``case_counters`` hands out case numbers under a row lock,
filled here from the cases already opened; ``outbox.claimant`` and
``outbox.claim_token`` say whose claim a row in ``sending`` is.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 23:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'board_leases',
        sa.Column('board', sa.String(length=64), nullable=False),
        sa.Column('holder', sa.String(length=200), nullable=True),
        sa.Column('token', sa.Integer(), nullable=False),
        sa.Column('acquired_at', sa.DateTime(), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('alerted_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('board'),
    )
    op.create_table(
        'case_counters',
        sa.Column('board', sa.String(length=64), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('last', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('board', 'year'),
    )
    op.execute("INSERT INTO case_counters (board, year, last) "
               "SELECT board, year, MAX(seq) FROM cases GROUP BY board, year")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimant', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('claim_token')
        batch_op.drop_column('claimant')
    op.drop_table('case_counters')
    op.drop_table('board_leases')
