"""entailment: the score of each summary, and the calibrated thresholds workers read

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('newsum_summaries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('faithfulness_score', sa.Float(), nullable=True))
    op.create_table(
        'newsum_faithfulness_calibrations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('model', sa.String(length=500), nullable=False),
        sa.Column('threshold', sa.Float(), nullable=False),
        sa.Column('target_precision', sa.Float(), nullable=False),
        sa.Column('precision', sa.Float(), nullable=False),
        sa.Column('published', sa.Float(), nullable=False),
        sa.Column('with_rules', sa.Boolean(), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('labelled', sa.Integer(), nullable=False),
        sa.Column('faithful', sa.Integer(), nullable=False),
        sa.Column('curve', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_newsum_faithfulness_calibrations')),
    )
    op.create_index('ix_newsum_faithfulness_calibrations_model',
                    'newsum_faithfulness_calibrations', ['model', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_newsum_faithfulness_calibrations_model',
                  table_name='newsum_faithfulness_calibrations')
    op.drop_table('newsum_faithfulness_calibrations')
    with op.batch_alter_table('newsum_summaries', schema=None) as batch_op:
        batch_op.drop_column('faithfulness_score')
