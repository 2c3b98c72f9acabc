"""Data flows one way (docs/architecture.md): a channel (voice/, admin/) → the flows (ivr_flows/)
→ the catalogue. The catalogue imports nothing above it; the flows import no channel, no audio and
no web framework; the audio service knows of the flows only their neutral reply types; no module
outgrows 300 lines."""
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
    modules.append("ivr_flows")  # the whole package: every node registered
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


def _imports_of(folder: str) -> dict[str, set[str]]:
    found = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        package = path.relative_to(ROOT).parts[:-1]
        found[str(path.relative_to(ROOT))] = _imported_packages(path.read_text(), package)
    return found


def test_flows_import_no_channel_and_no_audio() -> None:
    offenders = {p: sorted(pk & {"voice", "admin", "audio", "flask", "werkzeug"})
                 for p, pk in _imports_of("ivr_flows").items()}
    assert {p: b for p, b in offenders.items() if b} == {}


def _dotted_imports(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_audio_knows_of_the_flows_only_their_reply_types() -> None:
    used = {name for path in (ROOT / "audio").rglob("*.py")
            for name in _dotted_imports(path.read_text()) if name.split(".")[0] == "ivr_flows"}
    assert used <= {"ivr_flows.reply"}, used
    channels = {p: sorted(pk & {"voice", "admin"}) for p, pk in _imports_of("audio").items()}
    assert {p: b for p, b in channels.items() if b} == {}


def test_no_module_over_300_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for folder in ("catalogue", "ivr_flows", "voice", "admin",
                                                        "audio", "bench")
            for p in (ROOT / folder).rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 300}
    long.update({"app.py": n} if (n := len((ROOT / "app.py").read_text().splitlines())) > 300 else {})
    assert long == {}
