"""the speech log: words callers said in each menu and what became of them (no numbers)

Revision ID: 0012_speech_log
Revises: 0007_texts_per_language
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0012_speech_log'
down_revision: Union[str, Sequence[str], None] = '0009_categories'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'speech_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('node', sa.String(length=40), nullable=False),
        sa.Column('lang', sa.String(length=5), nullable=False),
        sa.Column('words', sa.String(length=200), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_speech_log')),
    )
    with op.batch_alter_table('speech_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_speech_log_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('speech_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_speech_log_at'))
    op.drop_table('speech_log')
