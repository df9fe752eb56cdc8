"""drafts: notifications and decision requests awaiting the Chair

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 11:20:28.164078
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('token', sa.String(length=16), nullable=False),
    sa.Column('chair_email', sa.String(length=320), nullable=False),
    sa.Column('message_id', sa.String(length=998), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('recipients_label', sa.String(length=300), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('edited_document_id', sa.Integer(), nullable=True),
    sa.Column('enclosure_ids', sa.JSON(), nullable=False),
    sa.Column('milestone', sa.String(length=60), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('sent_outbox_ids', sa.JSON(), nullable=False),
    sa.Column('refusals', sa.JSON(), nullable=False),
    sa.Column('chase_level', sa.Integer(), nullable=False),
    sa.Column('last_chased_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['document_id'], ['attachments.id'], ),
    sa.ForeignKeyConstraint(['edited_document_id'], ['attachments.id'], ),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['drafts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.create_index('ix_drafts_board_status', ['board', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_drafts_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drafts_case_id'))
        batch_op.drop_index('ix_drafts_board_status')

    op.drop_table('drafts')
