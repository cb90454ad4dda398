"""Recordings past the retention period are deleted, marked, and logged with masked numbers."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from ivr.config import Settings
from ivr.db import Database
from ivr.db.models import Attempt, Recording, utcnow
from ivr.households.retention import purge_recordings


def test_purge(
    db: Database, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    now = utcnow()
    old_days = settings.recording_retention_days + 1
    files = {name: tmp_path / f"{name}.wav" for name in ("old", "new")}
    for path in files.values():
        path.write_bytes(b"\0" * 100)
    with db.session() as session:
        attempt = Attempt(number="+8613800138000")
        session.add(attempt)
        session.flush()
        session.add_all(
            [
                Recording(
                    attempt_id=attempt.id,
                    path=str(files["old"]),
                    bytes=100,
                    created_at=now - timedelta(days=old_days),
                ),
                Recording(
                    attempt_id=attempt.id,
                    path=str(tmp_path / "gone.wav"),
                    created_at=now - timedelta(days=old_days),
                ),
                Recording(
                    attempt_id=attempt.id,
                    path=str(files["new"]),
                    created_at=now - timedelta(days=1),
                ),
            ]
        )

    dry = purge_recordings(db, settings, now, dry_run=True)
    assert (dry.deleted, dry.missing) == (1, 1) and files["old"].exists()

    with caplog.at_level(logging.INFO, logger="ivr.households.retention"):
        result = purge_recordings(db, settings, now)

    assert (result.deleted, result.missing, result.bytes, result.failed) == (1, 1, 100, [])
    assert not files["old"].exists() and files["new"].exists()
    with db.session() as session:
        marked = {r.path: r.deleted_at for r in session.query(Recording)}
    assert marked[str(files["new"])] is None
    assert marked[str(files["old"])] is not None and marked[str(tmp_path / "gone.wav")]
    lines = [f"{r.getMessage()} {r.fields}" for r in caplog.records]  # type: ignore[attr-defined]
    assert len(lines) == 2 and all("138****8000" in line for line in lines)
    assert not any("13800138000" in line for line in lines)
    assert purge_recordings(db, settings, now).deleted == 0  # nothing left to do
