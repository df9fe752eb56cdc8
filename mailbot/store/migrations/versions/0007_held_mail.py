"""held mail: requests answered through a portal are not chased; held messages are settled by reply

An agency that answers through an encrypted-mail portal or a cloud-share
link did answer: ``held_at`` marks its request while a person opens the
portal and forwards the form, and the chasing leaves it alone. Each held
message gets a token for the business manager's settle-by-reply, and who
settled it, and how, is kept.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 23:15:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('scoping_requests', sa.Column('held_at', sa.DateTime(), nullable=True))
    op.add_column('messages_seen', sa.Column('settle_token', sa.String(length=16), nullable=True))
    op.add_column('messages_seen', sa.Column('settled_by', sa.String(length=320), nullable=True))
    op.add_column('messages_seen', sa.Column('settled_as', sa.String(length=200), nullable=True))
    op.add_column('messages_seen', sa.Column('held_raw_id', sa.Integer(), nullable=True))
    op.create_index('ix_message_board_settle_token', 'messages_seen', ['board', 'settle_token'], unique=False)
    op.create_index('ix_message_board_resolved', 'messages_seen', ['board', 'resolved_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_message_board_resolved', table_name='messages_seen')
    op.drop_index('ix_message_board_settle_token', table_name='messages_seen')
    with op.batch_alter_table('messages_seen') as batch:
        batch.drop_column('held_raw_id')
        batch.drop_column('settled_as')
        batch.drop_column('settled_by')
        batch.drop_column('settle_token')
    with op.batch_alter_table('scoping_requests') as batch:
        batch.drop_column('held_at')
