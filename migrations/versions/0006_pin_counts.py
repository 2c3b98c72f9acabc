"""provider line PIN counts: the provider's own phone and its own count, a count per caller

Revision ID: 0006_pin_counts
Revises: 0005_imports
Create Date: 2026-12-05

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006_pin_counts'
down_revision: Union[str, Sequence[str], None] = '0005_imports'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('provider', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('own_pin_failures', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('own_pin_locked_until', sa.DateTime(), nullable=True))
    with op.batch_alter_table('caller', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pin_failures', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('pin_locked_until', sa.DateTime(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('caller', schema=None) as batch_op:
        batch_op.drop_column('pin_locked_until')
        batch_op.drop_column('pin_failures')
    with op.batch_alter_table('provider', schema=None) as batch_op:
        batch_op.drop_column('own_pin_locked_until')
        batch_op.drop_column('own_pin_failures')
        batch_op.drop_column('phone')
