"""The one list of event categories. The admin's form offers exactly these, the demo and the
importers use them, and the migration ``0009_categories`` mapped older keys onto them.

Each key's name is translated where it is shown: ``category.<key>`` in the admin's messages
(fi/sv/en); the phone does not say an event's category.
"""
from __future__ import annotations

CATEGORIES: tuple[str, ...] = ("music", "singalong", "theatre", "dance", "museum", "literature",
                               "talk", "film", "exercise", "other")
DEFAULT = "other"  # an import that says nothing about the kind of event


class UnknownCategory(ValueError):
    """A category not in the list: refused, never stored (nor silently replaced)."""


def check(key: str) -> str:
    if key not in CATEGORIES:
        raise UnknownCategory(f"not a category: {key!r}")
    return key
