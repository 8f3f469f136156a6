"""newsum tables: model versions and summaries

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 04:25:55.819117
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

def upgrade() -> None:

    op.create_table('newsum_model_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('adapter_path', sa.Text(), nullable=False),
    sa.Column('base_model', sa.String(length=500), nullable=False),
    sa.Column('manifest', sa.JSON(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('promoted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsum_model_versions')),
    sa.UniqueConstraint('name', name=op.f('uq_newsum_model_versions_name'))
    )
    op.create_table('newsum_summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.BigInteger(), nullable=False),
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'done', 'failed', 'skipped', name='newsum_summary_status', native_enum=False, length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('article_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('input_tokens', sa.Integer(), nullable=True),
    sa.Column('output_tokens', sa.Integer(), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['model_version_id'], ['newsum_model_versions.id'], name=op.f('fk_newsum_summaries_model_version_id_newsum_model_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsum_summaries')),
    sa.UniqueConstraint('article_id', 'model_version_id', name='uq_newsum_summaries_article')
    )
    with op.batch_alter_table('newsum_summaries', schema=None) as batch_op:
        batch_op.create_index('ix_newsum_summaries_status', ['model_version_id', 'status'], unique=False)

def downgrade() -> None:

    with op.batch_alter_table('newsum_summaries', schema=None) as batch_op:
        batch_op.drop_index('ix_newsum_summaries_status')

    op.drop_table('newsum_summaries')
    op.drop_table('newsum_model_versions')

