#!/usr/bin/env bash
# Regenerate the single initial migration (0001_initial) from the current models.
# Run after changing catalogue/models.py:  migrations/regenerate.sh
# It autogenerates against a fresh temporary SQLite database, then checks the result by
# upgrading another fresh database and comparing it with the models. On failure the previous
# file is put back.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
TARGET=migrations/versions/0001_initial.py
TMP="$(mktemp -d)"
restore() {
    status=$?
    if [ $status -ne 0 ] && [ -f "$TMP/backup.py" ]; then
        mv -f "$TMP/backup.py" "$TARGET"
        echo "regenerate failed; the previous $TARGET is kept" >&2
    fi
    rm -rf "$TMP"
    exit $status
}
trap restore EXIT
[ -f "$TARGET" ] && mv "$TARGET" "$TMP/backup.py"
rm -rf migrations/versions/__pycache__

"$PY" - "$TMP" <<'PYEOF'
import logging, sys
from alembic import command
from catalogue.migrate import alembic_config

logging.basicConfig(level=logging.WARNING)
tmp = sys.argv[1]
cfg = alembic_config(f"sqlite:///{tmp}/autogen.sqlite3")
cfg.set_main_option("file_template", "%%(rev)s")  # -> versions/0001_initial.py
command.revision(cfg, message="initial", autogenerate=True, rev_id="0001_initial")

# Verify: a fresh database upgraded to head must match the models exactly.
cfg = alembic_config(f"sqlite:///{tmp}/verify.sqlite3")
command.upgrade(cfg, "head")
command.check(cfg)
PYEOF
if [ -f "$TMP/backup.py" ] && cmp -s <(grep -v '^Create Date:' "$TMP/backup.py") <(grep -v '^Create Date:' "$TARGET"); then
    mv -f "$TMP/backup.py" "$TARGET"  # unchanged apart from the date: keep the old file, no diff
    echo "$TARGET is up to date"
else
    echo "wrote $TARGET"
fi
