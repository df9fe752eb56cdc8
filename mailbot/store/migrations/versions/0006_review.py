"""review_requests and review_dates: stage 2 (returns after the decision, the review's dates)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 23:20:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('agency', sa.String(length=200), nullable=False),
    sa.Column('contact_email', sa.String(length=320), nullable=False),
    sa.Column('message_id', sa.String(length=998), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('attachment_id', sa.Integer(), nullable=True),
    sa.Column('chase_level', sa.Integer(), nullable=False),
    sa.Column('last_chased_on', sa.Date(), nullable=True),
    sa.Column('bounced_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachments.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'kind', 'agency', name='uq_review_request_case_kind_agency')
    )
    with op.batch_alter_table('review_requests', schema=None) as batch_op:
        batch_op.create_index('ix_review_request_agency_chased', ['agency', 'last_chased_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_requests_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_requests_message_id'), ['message_id'], unique=False)

    op.create_table('review_dates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('recorded_by', sa.String(length=320), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'name', name='uq_review_date_case_name')
    )
    with op.batch_alter_table('review_dates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_dates_case_id'), ['case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('review_dates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_dates_case_id'))
    op.drop_table('review_dates')
    with op.batch_alter_table('review_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_requests_message_id'))
        batch_op.drop_index(batch_op.f('ix_review_requests_case_id'))
        batch_op.drop_index('ix_review_request_agency_chased')
    op.drop_table('review_requests')
