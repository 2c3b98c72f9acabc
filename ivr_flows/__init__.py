"""The call flows: menus, prompts per language, retry rules. Plain Python, no HTTP, no Flask."""
