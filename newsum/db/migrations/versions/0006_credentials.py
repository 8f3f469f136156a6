"""one credential, one job: per-editor API tokens, session versions, the channel of review records

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-12 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('newsum_editors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('newsum_review_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('credential_id', sa.String(length=64), nullable=True))
    op.create_table(
        'newsum_editor_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('editor_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('label', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['editor_id'], ['newsum_editors.id'],
                                name=op.f('fk_newsum_editor_tokens_editor_id_newsum_editors')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_newsum_editor_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_newsum_editor_tokens_token_hash')),
    )


def downgrade() -> None:
    op.drop_table('newsum_editor_tokens')
    with op.batch_alter_table('newsum_review_records', schema=None) as batch_op:
        batch_op.drop_column('credential_id')
        batch_op.drop_column('channel')
    with op.batch_alter_table('newsum_editors', schema=None) as batch_op:
        batch_op.drop_column('session_version')
