"""faithfulness: the needs_review status and the findings of each summary

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

OLD_STATES = ('queued', 'done', 'failed', 'skipped')
NEW_STATES = ('queued', 'done', 'needs_review', 'failed', 'skipped')


def _status(states: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*states, name='newsum_summary_status', native_enum=False, length=16)


def upgrade() -> None:
    with op.batch_alter_table('newsum_summaries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('findings', sa.JSON(), nullable=True))
        batch_op.alter_column('status', existing_type=_status(OLD_STATES),
                              type_=_status(NEW_STATES), existing_nullable=False)


def downgrade() -> None:
    # A summary waiting for review was never published: it goes back to failed.
    op.execute(
        "UPDATE newsum_summaries SET status = 'failed', reason = 'needs review (downgraded)'"
        " WHERE status = 'needs_review'"
    )
    with op.batch_alter_table('newsum_summaries', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=_status(NEW_STATES),
                              type_=_status(OLD_STATES), existing_nullable=False)
        batch_op.drop_column('findings')
