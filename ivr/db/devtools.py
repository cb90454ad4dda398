"""Developer tool: write the migration for a change to the models.

Databases exist outside development now (demo and trial sites), so every model change gets a
migration of its own (``db/versions/NNNN_*.py``), never an edit of an earlier one: ``Database``
upgrades an older database in place on open. This autogenerates the next revision by comparing
the models with a scratch database migrated to the current head; read what it wrote before
committing it.

    python -m ivr.db.devtools revision "what changed"
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from ivr.db.engine import MIGRATIONS_DIR, alembic_config, head_revision


def revision(message: str) -> Path:
    head = head_revision() or "0000"
    rev_id = f"{int(head) + 1:04d}"
    with tempfile.TemporaryDirectory() as tmp:
        cfg = alembic_config(f"sqlite:///{tmp}/scratch.db")
        command.upgrade(cfg, "head")
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
    (written,) = (MIGRATIONS_DIR / "versions").glob(f"{rev_id}_*.py")
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit(__doc__)
    print(revision(sys.argv[2]))
