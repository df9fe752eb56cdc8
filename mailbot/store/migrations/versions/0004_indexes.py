"""indexes for the daemon's recurring queries, so they do not grow with the history kept

The claim of pending mail, a request's chase history, the last digest, the
open cases, the held messages, the one-reminder-a-day check and the
duplicate-form check each read only what they need, however many cases,
messages and emails a board has behind it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 22:10:00.000000
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_INDEXES = [
    ('ix_cases_board_status', 'cases', ['board', 'status']),
    ('ix_message_board_outcome', 'messages_seen', ['board', 'outcome']),
    ('ix_records_attachment_id', 'records', ['attachment_id']),
    ('ix_request_agency_chased', 'scoping_requests', ['agency', 'last_chased_on']),
    ('ix_outbox_board_status', 'outbox', ['board', 'status']),
    ('ix_outbox_case_kind', 'outbox', ['case_id', 'kind']),
    ('ix_outbox_board_kind_created', 'outbox', ['board', 'kind', 'created_at']),
]


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
