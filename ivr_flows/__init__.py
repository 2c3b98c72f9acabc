"""The call flows: menus, prompts per language, retry rules. Plain Python, no HTTP, no Flask.

Importing this package registers every node; a channel calls ``start`` and ``turn``.
"""
from __future__ import annotations

from . import (  # noqa: F401  (importing registers the nodes)
    confirm, hosting, live, main_menu, my_registrations, outbound, person, programme,
    provider_line, provider_pin, recordings, registration, someone_else,
)
from .engine import Ctx, Input, Settings, start, turn
from .main_menu import first_node

__all__ = ["Ctx", "Input", "Settings", "first_node", "start", "turn"]
