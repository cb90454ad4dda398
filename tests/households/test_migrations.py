"""A database made by an older release is brought up to date on open, with its rows kept."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command

from ivr.db import Database
from ivr.db.engine import alembic_config, head_revision


def test_a_first_revision_database_is_upgraded_in_place(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO staff_users (username, password_hash, role, disabled, created_at,"
            " password_changed_at) VALUES ('wang', 'x', 'staff', 0, '2026-01-01', '2026-01-01')"
        ))  # fmt: skip
        assert "revoked_sessions" not in sa.inspect(conn).get_table_names()
    engine.dispose()

    db = Database(url)  # migrates on open
    try:
        with db.engine.connect() as conn:
            assert "revoked_sessions" in sa.inspect(conn).get_table_names()
            assert conn.execute(sa.text("SELECT username FROM staff_users")).scalars().all() == [
                "wang"
            ]
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert version == head_revision()
    finally:
        db.dispose()


def test_the_migrations_build_what_the_models_describe(tmp_path: Path) -> None:
    """A model change without its migration (python -m ivr.db.devtools revision ...) fails."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from ivr.db.models import Base

    db = Database(f"sqlite:///{tmp_path / 'head.db'}")
    try:
        with db.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        db.dispose()
    assert differences == []
