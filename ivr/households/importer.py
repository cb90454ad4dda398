"""Import a household list (CSV or XLSX) in one transaction, or not at all.

The whole file is checked first: every row (place, phone numbers, colour, date, lengths),
duplicates inside the file (one room twice, one number on two households) and against the
database (a number already on a household the file does not list). Every problem is reported
with its file, row and column, and nothing is written unless there are none.

Merge rule (a re-import updates, never duplicates): a household is identified by street,
committee, building, unit and room. For a household already stored, every column the file has
replaces the stored value, empty cells included (phones, residents, tags, notes, quarantine
start), except the colour: an empty status cell keeps the stored colour, and a different
colour is a status change recorded in the history ("import of FILE, row N"). Columns the file
does not have are left alone, and households the file does not list are never touched or
deleted. A new household without a colour starts blue (not reached yet).

Writes are bulk statements (a few per table, whatever the file's size), so 50,000 rows import
in seconds on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.config import Settings
from ivr.db.models import Building, Committee, Household, Phone, Unit
from ivr.households import dnc
from ivr.households.columns import ColumnMap, Field, map_columns
from ivr.households.membership import member_conditions
from ivr.households.merge import write_import
from ivr.households.places import UnitKey, join_place
from ivr.households.problems import HouseholdFileError, Problem
from ivr.households.rows import HouseholdRow, RowReader
from ivr.households.stored import RoomKey, StoredHousehold, difference, load_stored
from ivr.households.table_file import read_table
from ivr.phone import mask

ROWS_NAMED_IN_A_WARNING = 10


@dataclass(slots=True)
class ImportOptions:
    dry_run: bool = False
    column_map: Mapping[str, str] | None = None  # header (or letter) → field name or "ignore"
    default_street: str = "Default Street"  # for files without a street column
    default_committee: str = "Default Committee"  # for files without a committee column
    default_country: str = "CN"
    allow_shared_phones: bool = False  # one number on two households: a warning, not an error
    sheet: str | None = None  # an .xlsx sheet; default the first
    staff_user_id: int | None = None  # who imported: kept on the colour changes

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ImportOptions:
        return cls(
            default_street=settings.households_default_street,
            default_committee=settings.households_default_committee,
            default_country=settings.default_country,
            **overrides,
        )


@dataclass(slots=True)
class ImportResult:
    file: str
    encoding: str
    rows: int
    created: int
    updated: int
    unchanged: int
    status_changes: int
    dry_run: bool
    seconds: float
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows_per_s": round(self.rows_per_s, 1)}


def import_households(
    session: Session, path: Path, options: ImportOptions | None = None
) -> ImportResult:
    """Check ``path`` whole, then merge it into the database in the caller's transaction.

    Raises HouseholdFileError listing every problem (file, row, column) and writes nothing when
    there is any. With ``options.dry_run`` nothing is written either way.
    """
    options = options or ImportOptions()
    started = time.perf_counter()
    table = read_table(Path(path), sheet=options.sheet)
    columns, problems, warnings = map_columns(table.file, table.headers, options.column_map)
    if problems:
        raise HouseholdFileError(table.file, problems)
    reader = RowReader(
        table.file,
        table.headers,
        columns,
        default_street=options.default_street,
        default_committee=options.default_committee,
        default_country=options.default_country,
    )
    rows = [r for number, cells in table.rows if (r := reader.read(number, cells)) is not None]
    problems = reader.problems
    rows = _drop_repeated_rooms(table.file, table.headers, columns, rows, problems)
    shared = _numbers_on_two_rows(table.file, table.headers, columns, rows)
    stored = load_stored(
        session,
        rows,
        phones=columns.has(Field.PHONE),
        names=columns.has(Field.NAME),
        tags=columns.has(Field.TAGS),
    )
    shared += _numbers_on_other_households(
        table.file, table.headers, columns, session, rows, stored
    )
    if options.allow_shared_phones:
        warnings += [f"{p} (allowed by --allow-shared-phones)" for p in shared]
    else:
        problems += shared
    if problems:
        raise HouseholdFileError(table.file, problems)

    creates = [r for r in rows if (r.key, r.room) not in stored]
    changes = [
        change
        for r in rows
        if (r.key, r.room) in stored
        and (change := difference(r, stored[(r.key, r.room)])) is not None
    ]
    warnings += _row_warnings(session, table.file, columns, rows, reader.repeated_phones_in_cell)
    status_changes = len(creates) + sum(c.new_status is not None for c in changes)
    if not options.dry_run:
        write_import(session, table.file, creates, changes, staff_user_id=options.staff_user_id)
    return ImportResult(
        file=table.file,
        encoding=table.encoding,
        rows=len(table.rows),
        created=len(creates),
        updated=len(changes),
        unchanged=len(rows) - len(creates) - len(changes),
        status_changes=status_changes,
        dry_run=options.dry_run,
        seconds=time.perf_counter() - started,
        warnings=warnings,
    )


# -- checks --------------------------------------------------------------------------------


def _problem(file: str, headers: list[str], index: int, row: int, message: str) -> Problem:
    return Problem(file, row, headers[index], index, message)


def _drop_repeated_rooms(
    file: str,
    headers: list[str],
    columns: ColumnMap,
    rows: list[HouseholdRow],
    problems: list[Problem],
) -> list[HouseholdRow]:
    first: dict[tuple[UnitKey, str], HouseholdRow] = {}
    kept = []
    room_column = columns.columns[Field.ROOM][0]
    for row in rows:
        earlier = first.setdefault((row.key, row.room), row)
        if earlier is row:
            kept.append(row)
        else:
            problems.append(
                _problem(
                    file,
                    headers,
                    room_column,
                    row.row,
                    f"household {row.label} ({row.key.committee}) is also on row "
                    f"{earlier.row}: one row per household",
                )
            )
    return kept


def _numbers_on_two_rows(
    file: str, headers: list[str], columns: ColumnMap, rows: list[HouseholdRow]
) -> list[Problem]:
    if not columns.has(Field.PHONE):
        return []
    phone_column = columns.columns[Field.PHONE][0]
    owner: dict[str, HouseholdRow] = {}
    found = []
    for row in rows:
        for number in row.phones or ():
            earlier = owner.setdefault(number, row)
            if earlier is not row:
                found.append(
                    _problem(
                        file,
                        headers,
                        phone_column,
                        row.row,
                        f"phone {mask(number)} is also on row {earlier.row} "
                        f"(household {earlier.label})",
                    )
                )
    return found


def _numbers_on_other_households(
    file: str,
    headers: list[str],
    columns: ColumnMap,
    session: Session,
    rows: list[HouseholdRow],
    stored: dict[RoomKey, StoredHousehold],
) -> list[Problem]:
    """Numbers of the file already on a stored household the file does not list (a household
    the file lists gets its numbers replaced, so its old numbers are free)."""
    if not columns.has(Field.PHONE):
        return []
    phone_column = columns.columns[Field.PHONE][0]
    listed = {stored[(r.key, r.room)].id for r in rows if (r.key, r.room) in stored}
    row_of = {n: r for r in rows for n in r.phones or ()}
    numbers = sorted(row_of)
    found = []
    for condition in member_conditions(session, Phone.number, numbers):
        query = (
            select(
                Phone.number,
                Phone.household_id,
                Committee.name,
                Building.name,
                Unit.name,
                Household.room,
            )
            .join(Household, Household.id == Phone.household_id)
            .where(condition)
        )
        query = join_place(query)
        for number, household_id, committee, building, unit, room in session.execute(query):
            if household_id in listed:
                continue
            label = "-".join(p for p in (building, unit, room) if p)
            found.append(
                _problem(
                    file,
                    headers,
                    phone_column,
                    row_of[number].row,
                    f"phone {mask(number)} is already stored on household {label} "
                    f"({committee}), which this file does not list",
                )
            )
    return found


def _row_warnings(
    session: Session,
    file: str,
    columns: ColumnMap,
    rows: list[HouseholdRow],
    repeated_numbers: int,
) -> list[str]:
    warnings = []
    if not columns.has(Field.PHONE):
        warnings.append(f"{file}: no phone column: phone numbers are left as they are")
        return warnings
    without = [r.row for r in rows if not r.phones]
    if without:
        shown = ", ".join(map(str, without[:ROWS_NAMED_IN_A_WARNING]))
        more = ", …" if len(without) > ROWS_NAMED_IN_A_WARNING else ""
        warnings.append(
            f"{file}: {len(without)} households have no phone number (rows {shown}{more})"
        )
    if repeated_numbers:
        warnings.append(f"{file}: {repeated_numbers} numbers repeated within a row were kept once")
    blocked = dnc.blocked_numbers(session, (n for r in rows for n in r.phones or ()))
    if blocked:
        warnings.append(
            f"{file}: {len(blocked)} numbers are on the do-not-call list and will not be dialled"
        )
    return warnings
