"""editors in the loop: editor accounts, the review audit trail, approved/edited/rejected

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

OLD_STATES = ('queued', 'done', 'needs_review', 'failed', 'skipped')
NEW_STATES = OLD_STATES + ('approved', 'edited', 'rejected')


def _status(states: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*states, name='newsum_summary_status', native_enum=False, length=16)


def upgrade() -> None:
    with op.batch_alter_table('newsum_summaries', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=_status(OLD_STATES),
                              type_=_status(NEW_STATES), existing_nullable=False)
    op.create_table(
        'newsum_editors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_newsum_editors')),
        sa.UniqueConstraint('name', name=op.f('uq_newsum_editors_name')),
    )
    op.create_table(
        'newsum_review_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('editor_id', sa.Integer(), nullable=False),
        sa.Column('article_id', sa.BigInteger(), nullable=False),
        sa.Column('model_version_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.Enum('approve', 'edit', 'reject', name='newsum_review_action',
                                    native_enum=False, length=16), nullable=False),
        sa.Column('status_before', sa.String(length=16), nullable=False),
        sa.Column('status_after', sa.String(length=16), nullable=False),
        sa.Column('text_before', sa.Text(), nullable=True),
        sa.Column('text_after', sa.Text(), nullable=True),
        sa.Column('findings_before', sa.JSON(), nullable=True),
        sa.Column('findings_after', sa.JSON(), nullable=True),
        sa.Column('regenerate', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['editor_id'], ['newsum_editors.id'],
                                name=op.f('fk_newsum_review_records_editor_id_newsum_editors')),
        sa.ForeignKeyConstraint(
            ['model_version_id'], ['newsum_model_versions.id'],
            name=op.f('fk_newsum_review_records_model_version_id_newsum_model_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_newsum_review_records')),
    )
    op.create_index('ix_newsum_review_records_summary', 'newsum_review_records',
                    ['article_id', 'model_version_id'], unique=False)


def downgrade() -> None:
    # Without review states an editor's work maps to the nearest older state: approved and
    # edited summaries stay published (done, with the editor's text); a rejected one was
    # never published and becomes failed, so the next sweep or backfill may redo it.
    op.execute(
        "UPDATE newsum_summaries SET status = 'done' WHERE status IN ('approved', 'edited')"
    )
    op.execute(
        "UPDATE newsum_summaries SET status = 'failed', reason = 'rejected by an editor"
        " (downgraded)' WHERE status = 'rejected'"
    )
    op.drop_index('ix_newsum_review_records_summary', table_name='newsum_review_records')
    op.drop_table('newsum_review_records')
    op.drop_table('newsum_editors')
    with op.batch_alter_table('newsum_summaries', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=_status(NEW_STATES),
                              type_=_status(OLD_STATES), existing_nullable=False)
