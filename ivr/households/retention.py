"""Call recordings are kept ``recording_retention_days`` days, then deleted.

The database row stays (with ``deleted_at`` set) so a call's history still says that it was
recorded; only the audio goes. Each deletion is one log line, with the number masked.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ivr import log
from ivr.config import Settings
from ivr.db import Database
from ivr.db.models import Attempt, Recording, utcnow
from ivr.phone import mask

logger = logging.getLogger(__name__)
BATCH = 500  # recordings per transaction: a long purge never holds one lock for long


@dataclass(slots=True)
class PurgeResult:
    cutoff: datetime
    dry_run: bool
    deleted: int = 0  # files removed (or that would be, with dry_run)
    missing: int = 0  # rows whose file was already gone
    bytes: int = 0
    failed: list[str] = field(default_factory=list)  # "path: why"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "cutoff": self.cutoff.isoformat()}


def recordings_root(settings: Settings) -> Path:
    """Where a recording stored with a relative path lives."""
    return settings.recordings_dir or settings.data_dir / "recordings"


def purge_recordings(
    db: Database, settings: Settings, now: datetime | None = None, *, dry_run: bool = False
) -> PurgeResult:
    """Delete recordings made before ``now - recording_retention_days`` and mark them deleted.

    A file that cannot be removed is reported in ``failed`` and its row left unmarked, so the
    next purge tries again.
    """
    cutoff = (now or utcnow()) - timedelta(days=settings.recording_retention_days)
    result = PurgeResult(cutoff=cutoff, dry_run=dry_run)
    root = recordings_root(settings)
    last_id = 0
    while True:
        with db.session() as session:
            batch = session.execute(
                select(Recording, Attempt.number)
                .join(Attempt, Attempt.id == Recording.attempt_id)
                .where(
                    Recording.deleted_at.is_(None),
                    Recording.created_at < cutoff,
                    Recording.id > last_id,
                )
                .order_by(Recording.id)
                .limit(BATCH)
            ).all()
            for recording, number in batch:
                last_id = recording.id
                _purge_one(recording, number, root, result, dry_run)
        if len(batch) < BATCH:
            return result


def _purge_one(
    recording: Recording, number: str, root: Path, result: PurgeResult, dry_run: bool
) -> None:
    path = Path(recording.path)
    if not path.is_absolute():
        path = root / path
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = None
    except OSError as exc:
        result.failed.append(f"{path}: {exc.strerror or exc}")
        return
    if not dry_run:
        if size is not None:
            try:
                path.unlink()
            except OSError as exc:
                result.failed.append(f"{path}: {exc.strerror or exc}")
                return
        recording.deleted_at = utcnow()
    if size is None:
        result.missing += 1
    else:
        result.deleted += 1
        result.bytes += size
    log.event(
        logger,
        logging.INFO,
        "recording purged" if not dry_run else "recording would be purged",
        recording=recording.id,
        attempt=recording.attempt_id,
        number=mask(number),
        made=recording.created_at.date().isoformat(),
        file="already gone" if size is None else f"{size} bytes",
    )
