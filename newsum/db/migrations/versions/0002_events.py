"""newsum events: worker, queue and sweeper problems shown by ``newsum status``

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 07:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'newsum_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_newsum_events')),
    )
    op.create_index('ix_newsum_events_created_at', 'newsum_events', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_newsum_events_created_at', table_name='newsum_events')
    op.drop_table('newsum_events')
