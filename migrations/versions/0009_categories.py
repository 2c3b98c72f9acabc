"""categories from one list: the demo's and older rows' keys mapped onto
``catalogue.categories.CATEGORIES`` (anything else becomes "other")

Revision ID: 0009_categories
Revises: 0007_texts_per_language
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0009_categories'
down_revision: Union[str, Sequence[str], None] = '0008_desk_lists'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The list as it was when this migration was written (a migration never follows later code).
LIST = ("music", "singalong", "theatre", "dance", "museum", "literature", "talk", "film",
        "exercise", "other")
# Keys the demo and early imports used, and what they mean in the list.
FORMER = {"poetry": "literature", "reading": "literature", "theater": "theatre",
          "lecture": "talk", "cinema": "film", "sport": "exercise", "singing": "singalong"}

_event = sa.table("event", sa.column("category", sa.String))


def upgrade() -> None:
    for old, new in FORMER.items():
        op.execute(_event.update().where(_event.c.category == old).values(category=new))
    op.execute(_event.update().where(_event.c.category.not_in(LIST)).values(category="other"))


def downgrade() -> None:
    """Nothing to undo: the mapped keys are in the list, which older code shows as well."""
