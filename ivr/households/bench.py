"""Speed figures of the household data layer, for ``ivr bench``.

Run them against an empty scratch database: they add a street of their own.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from ivr.db import Database
from ivr.households.export import HEADERS, LIST_SEPARATOR, PHONE_SEPARATOR, write_csv
from ivr.households.generate import generate_neighbourhood, plan_neighbourhood
from ivr.households.importer import ImportOptions, ImportResult, import_households
from ivr.phone import national_form

ROWS_PER_BUILDING = 24  # 6 floors x 4 flats in one unit
BUILDINGS_PER_COMMITTEE = 90


def write_household_csv(path: Path, rows: int, *, seed: int = 0) -> Path:
    """A household list of ``rows`` rows as staff would send it: Chinese headers, national
    numbers, several committees."""
    buildings = max(1, rows // ROWS_PER_BUILDING)
    committees = max(1, buildings // BUILDINGS_PER_COMMITTEE)
    planned = plan_neighbourhood(
        households=rows,
        buildings=buildings,
        committees=committees,
        seed=seed,
        committee="Bench Committee",
    )
    names = HEADERS["zh"]
    write_csv(
        path,
        list(names.values()),
        (
            [
                "",
                p.committee,
                p.building,
                p.unit,
                p.room,
                PHONE_SEPARATOR.join(national_form(n) for n in p.phones),
                LIST_SEPARATOR.join(p.residents),
                p.status.value,
                LIST_SEPARATOR.join(p.tags),
                "",
                p.quarantine_start.isoformat() if p.quarantine_start else "",
            ]
            for p in planned
        ),
    )
    return path


def import_benchmark(db: Database, rows: int = 50_000, *, seed: int = 0) -> ImportResult:
    """Import a fresh ``rows``-row CSV into ``db`` (a street of its own) and return the result;
    ``result.rows_per_s`` is the figure."""
    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as tmp:
        path = write_household_csv(Path(tmp) / "households.csv", rows, seed=seed)
        options = ImportOptions(
            default_street=f"Bench Street {uuid.uuid4().hex[:8]}",
            # the simulated numbers of an earlier run may be stored already
            allow_shared_phones=True,
        )
        with db.session() as session:
            return import_households(session, path, options)


def import_rows_per_s(db: Database, rows: int = 50_000) -> float:
    """Import speed in rows per second for a ``rows``-row file (file reading, checks and writes
    in one transaction)."""
    return import_benchmark(db, rows).rows_per_s


def generate_seconds(
    db: Database, households: int, buildings: int, committees: int = 1, *, seed: int = 0
) -> float:
    """Seconds to generate and commit a neighbourhood of that size (a street of its own)."""
    started = time.perf_counter()
    with db.session() as session:
        generate_neighbourhood(
            session,
            households=households,
            buildings=buildings,
            committees=committees,
            seed=seed,
            street=f"Bench Street {uuid.uuid4().hex[:8]}",
        )
    return time.perf_counter() - started


def household_figures(db: Database, rows: int = 50_000) -> dict[str, Any]:
    """All figures as one JSON-ready dict."""
    result = import_benchmark(db, rows)
    return {
        "database": db.engine.dialect.name,
        "import_rows": result.rows,
        "import_seconds": round(result.seconds, 3),
        "import_rows_per_s": round(result.rows_per_s, 1),
        "generate_2046_s": round(generate_seconds(db, 2046, 93), 3),
        "generate_50000_s": round(generate_seconds(db, 50_000, 2000, 25, seed=1), 3),
    }
