"""texts per language: providers' and venues' names and addresses in Swedish and English; a
caller's "slower, please"

Revision ID: 0007_texts_per_language
Revises: 0006_pin_counts
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0007_texts_per_language'
down_revision: Union[str, Sequence[str], None] = '0006_pin_counts'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_EVENT = ('venue_sv', 'venue_en', 'address_sv', 'address_en')


def upgrade() -> None:
    with op.batch_alter_table('provider', schema=None) as batch_op:
        for name in ('name_sv', 'name_en'):
            batch_op.add_column(sa.Column(name, sa.String(length=200), nullable=False,
                                          server_default=''))
    with op.batch_alter_table('event', schema=None) as batch_op:
        for name in _EVENT:
            batch_op.add_column(sa.Column(name, sa.String(length=200), nullable=False,
                                          server_default=''))
    with op.batch_alter_table('caller', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slow_speech', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('caller', schema=None) as batch_op:
        batch_op.drop_column('slow_speech')
    with op.batch_alter_table('event', schema=None) as batch_op:
        for name in reversed(_EVENT):
            batch_op.drop_column(name)
    with op.batch_alter_table('provider', schema=None) as batch_op:
        for name in ('name_en', 'name_sv'):
            batch_op.drop_column(name)
