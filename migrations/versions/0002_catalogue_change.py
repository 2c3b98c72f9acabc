"""catalogue_change: the programme's change counter (in-memory programme caches check it)

Revision ID: 0002_catalogue_change
Revises: 0001_initial
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002_catalogue_change"
down_revision: Union[str, Sequence[str], None] = "0001_initial"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "catalogue_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_change")),
    )
    op.execute("INSERT INTO catalogue_change (id, version) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("catalogue_change")
