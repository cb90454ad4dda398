"""Write households out as CSV or XLSX, in a form the import reads back unchanged.

CSV is written as UTF-8 with a byte-order mark, which Excel needs to show Chinese text. Phone
numbers are written as dialled at home (``13800138000``), several in one cell separated by
`` / ``. A text cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) gets
a leading ``'`` in CSV (the import drops it again); in XLSX it is stored as plain text.
"""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.db.models import (
    Building,
    Committee,
    Household,
    HouseholdTag,
    Phone,
    Resident,
    Street,
    Tag,
    Unit,
)
from ivr.errors import InputError
from ivr.households.columns import Field
from ivr.households.places import MAP_ORDER, join_place
from ivr.phone import national_form

HEADERS: dict[str, dict[Field, str]] = {
    "en": {
        Field.STREET: "street",
        Field.COMMITTEE: "committee",
        Field.BUILDING: "building",
        Field.UNIT: "unit",
        Field.ROOM: "room",
        Field.PHONE: "phones",
        Field.NAME: "residents",
        Field.STATUS: "status",
        Field.TAGS: "tags",
        Field.NOTES: "notes",
        Field.QUARANTINE_START: "quarantine_start",
    },
    "zh": {
        Field.STREET: "街道",
        Field.COMMITTEE: "社区",
        Field.BUILDING: "楼号",
        Field.UNIT: "单元",
        Field.ROOM: "房号",
        Field.PHONE: "电话",
        Field.NAME: "姓名",
        Field.STATUS: "状态",
        Field.TAGS: "标签",
        Field.NOTES: "备注",
        Field.QUARANTINE_START: "隔离开始日期",
    },
}
PHONE_SEPARATOR = " / "
LIST_SEPARATOR = ", "
FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass(slots=True)
class ExportResult:
    file: str
    rows: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _lists(session: Session, query: Any) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for household_id, value in session.execute(query):
        found[household_id].append(value)
    return found


def household_rows(
    session: Session,
    *,
    committee_id: int | None = None,
    default_country: str = "CN",
) -> Iterator[dict[Field, str]]:
    """Every household (of one committee when given) as text by field, in map order."""
    scope = select(Household.id).join(Unit).join(Building)
    if committee_id is not None:
        scope = scope.where(Building.committee_id == committee_id)
    ids = scope.scalar_subquery() if committee_id is not None else None

    def limited(query: Any, column: Any) -> Any:
        return query.where(column.in_(ids)) if ids is not None else query

    phones = _lists(
        session,
        limited(select(Phone.household_id, Phone.number), Phone.household_id).order_by(
            Phone.household_id, Phone.position, Phone.id
        ),
    )
    residents = _lists(
        session,
        limited(select(Resident.household_id, Resident.name), Resident.household_id).order_by(
            Resident.id
        ),
    )
    tags = _lists(
        session,
        limited(
            select(HouseholdTag.household_id, Tag.name).join(Tag), HouseholdTag.household_id
        ).order_by(Tag.name),
    )
    query = join_place(
        select(
            Household.id,
            Street.name,
            Committee.name,
            Building.name,
            Unit.name,
            Household.room,
            Household.status,
            Household.notes,
            Household.quarantine_start,
        )
        .select_from(Household)
        .order_by(Street.name, *MAP_ORDER)
    )
    if committee_id is not None:
        query = query.where(Committee.id == committee_id)
    for id_, street, committee, building, unit, room, status, notes, started in session.execute(
        query
    ):
        yield {
            Field.STREET: street,
            Field.COMMITTEE: committee,
            Field.BUILDING: building,
            Field.UNIT: unit,
            Field.ROOM: room,
            Field.PHONE: PHONE_SEPARATOR.join(
                national_form(n, default_country) for n in phones.get(id_, ())
            ),
            Field.NAME: LIST_SEPARATOR.join(residents.get(id_, ())),
            Field.STATUS: status.value,
            Field.TAGS: LIST_SEPARATOR.join(tags.get(id_, ())),
            Field.NOTES: notes,
            Field.QUARANTINE_START: started.isoformat() if started else "",
        }


def guard_formula(text: str) -> str:
    """``=1+2`` → ``'=1+2``: shown as text by spreadsheets, not run."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(path: Path, header: list[str], rows: Iterator[list[str]]) -> int:
    """Rows to a CSV file (UTF-8 with BOM); returns how many."""
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow([guard_formula(cell) for cell in row])
            count += 1
    return count


def write_xlsx(path: Path, header: list[str], rows: Iterator[list[str]]) -> int:
    """Rows to an .xlsx workbook, every cell text; returns how many."""
    from openpyxl import Workbook  # imported here: slow to import, only .xlsx needs it
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("households")
    sheet.append(header)
    count = 0
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if value.startswith("="):  # openpyxl would store it as a formula
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        count += 1
    workbook.save(path)
    return count


def export_households(
    session: Session,
    path: Path,
    *,
    committee_id: int | None = None,
    default_country: str = "CN",
    language: str = "en",
) -> ExportResult:
    """Write the households to ``path`` (.csv or .xlsx, by its suffix) with headers in
    ``language`` ("en" or "zh"); both read back by the import."""
    started = time.perf_counter()
    path = Path(path)
    if language not in HEADERS:
        raise InputError(f"unknown header language {language!r}: use en or zh")
    names = HEADERS[language]
    fields = list(names)
    rows = (
        [row[f] for f in fields]
        for row in household_rows(
            session, committee_id=committee_id, default_country=default_country
        )
    )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        count = write_csv(path, [names[f] for f in fields], rows)
    elif suffix == ".xlsx":
        count = write_xlsx(path, [names[f] for f in fields], rows)
    else:
        raise InputError(f"{path.name}: export writes .csv or .xlsx, not {suffix or 'no suffix'!r}")
    return ExportResult(path.name, count, time.perf_counter() - started)
