"""Small builders shared by the household tests."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from ivr.db import Database
from ivr.db.models import Household, Phone, StatusChange
from ivr.households.importer import ImportOptions, ImportResult, import_households


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def run_import(db: Database, path: Path, **options: object) -> ImportResult:
    with db.session() as session:
        return import_households(session, path, ImportOptions(**options))  # type: ignore[arg-type]


def counts(db: Database) -> tuple[int, int, int]:
    """(households, phones, status changes): what an import that fails must leave alone."""
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Household)) or 0,
            session.scalar(select(func.count()).select_from(Phone)) or 0,
            session.scalar(select(func.count()).select_from(StatusChange)) or 0,
        )


def phones_by_room(db: Database) -> dict[str, list[str]]:
    with db.session() as session:
        rows = session.execute(
            select(Household.room, Phone.number)
            .join(Phone, Phone.household_id == Household.id)
            .order_by(Household.room, Phone.position)
        ).all()
    found: dict[str, list[str]] = {}
    for room, number in rows:
        found.setdefault(room, []).append(number)
    return found
