"""Data flows one way (DESIGN §5): the catalogue imports nothing above it, and its models and
rules load no web framework, so the call flows and jobs can use them without Flask."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ABOVE_CATALOGUE = {"voice", "ivr_flows", "audio", "admin"}


def test_catalogue_and_flows_load_no_flask() -> None:
    modules = ["catalogue.models", "catalogue.registration", "catalogue.programme",
               "catalogue.callers", "catalogue.timeutil", "catalogue.signals",
               "catalogue.descriptions", "catalogue.schedule"]
    # The flows are checked too once ivr_flows/provider_line.py no longer imports
    # werkzeug.security (another change moves the PIN check into the catalogue).
    if "werkzeug" not in (ROOT / "ivr_flows" / "provider_line.py").read_text():
        modules.append("ivr_flows.engine")
    code = (f"import {', '.join(modules)}; import sys; "
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug')); "
            "assert not loaded, loaded")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def _imported_packages(source: str, package: tuple[str, ...]) -> set[str]:
    """Top-level packages a module in ``package`` imports; relative imports are resolved from
    its place, so one that climbs out of catalogue/ names where it lands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add((node.module or "").split(".")[0])
                continue
            up = node.level - 1
            if up > len(package):
                found.add("<outside the project>")
                continue
            target = [*package[:len(package) - up], *(node.module or "").split(".")]
            target = [part for part in target if part]
            if target:
                found.add(target[0])
            else:  # ``from .. import admin`` at the top: each name is a package
                found.update(alias.name for alias in node.names)
    return found


def test_catalogue_imports_nothing_above_it() -> None:
    offenders = {}
    for path in sorted((ROOT / "catalogue").rglob("*.py")):
        package = path.relative_to(ROOT).parts[:-1]
        bad = _imported_packages(path.read_text(), package) - {"catalogue"}
        bad &= ABOVE_CATALOGUE | {"<outside the project>"}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_relative_imports_that_climb_out_are_caught() -> None:
    source = "from .. import admin\nfrom ..voice import views\nfrom . import db\nfrom ... import x\n"
    assert _imported_packages(source, ("catalogue",)) == {
        "admin", "voice", "catalogue", "<outside the project>"}
    assert _imported_packages("from ...audio import service\n", ("catalogue", "models")) == {"audio"}
