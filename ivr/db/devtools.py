"""Developer tool: regenerate the initial migration from the models.

Until the first release no database exists outside development, so the schema lives in one
initial migration (``db/versions/0001_initial_schema.py``) regenerated after each model change.
After the first release every change gets a migration of its own instead.

    python -m ivr.db.devtools regenerate
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from ivr.db.engine import MIGRATIONS_DIR, alembic_config

INITIAL = MIGRATIONS_DIR / "versions" / "0001_initial_schema.py"


def regenerate() -> Path:
    INITIAL.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = alembic_config(f"sqlite:///{tmp}/empty.db")
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
    return INITIAL


if __name__ == "__main__":
    if sys.argv[1:] != ["regenerate"]:
        sys.exit(__doc__)
    print(regenerate())
