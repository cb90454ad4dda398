"""Add a file of numbers to the do-not-call list: all of it, or (with any bad row) none of it.

The file is a CSV/TXT/XLSX list with a number column (``number``, ``phone``, ``电话``, ``号码``…)
and optionally a reason column (``reason``, ``原因``, ``备注``); a plain list of numbers, one a
line and no header, works too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ivr.db.models import DoNotCall, utcnow
from ivr.errors import InputError
from ivr.households import dnc
from ivr.households.bulk import insert_rows
from ivr.households.columns import normalise_header
from ivr.households.problems import HouseholdFileError, Problem
from ivr.households.table_file import cell_text, read_table
from ivr.phone import normalize

NUMBER_HEADERS = frozenset(
    {
        "number",
        "phone",
        "mobile",
        "tel",
        "telephone",
        "电话",
        "号码",
        "手机",
        "手机号",
        "手机号码",
        "电话号码",
        "联系电话",
    }
)
REASON_HEADERS = frozenset({"reason", "note", "notes", "原因", "备注", "说明"})


@dataclass(slots=True)
class DncImportResult:
    file: str
    rows: int
    added: int  # numbers not on the list before
    already_listed: int
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _looks_like_number(text: str, default_country: str) -> bool:
    try:
        normalize(text, default_country)
    except InputError:
        return False
    return True


def import_dnc_file(
    session: Session,
    path: Path,
    *,
    added_by: str = "",
    default_country: str = "CN",
    dry_run: bool = False,
) -> DncImportResult:
    table = read_table(Path(path))
    headers = [normalise_header(h) for h in table.headers]
    rows = list(table.rows)
    if headers and _looks_like_number(table.headers[0], default_country):
        number_column, reason_column = 0, None  # no header: the first line is a number
        rows.insert(0, (table.header_row, list(table.headers)))
    else:
        number_column = next((i for i, h in enumerate(headers) if h in NUMBER_HEADERS), None)
        reason_column = next((i for i, h in enumerate(headers) if h in REASON_HEADERS), None)
        if number_column is None:
            found = ", ".join(h for h in table.headers if h)
            raise HouseholdFileError(
                table.file,
                [
                    Problem(
                        table.file,
                        table.header_row,
                        None,
                        None,
                        f"no number column (headers found: {found}); name it 'number' or '电话'",
                    )
                ],
            )
    header = table.headers[number_column] if table.headers else ""
    problems: list[Problem] = []
    entries: dict[str, str] = {}
    for row, cells in rows:
        raw = cell_text(cells[number_column]) if number_column < len(cells) else ""
        reason = ""
        if reason_column is not None and reason_column < len(cells):
            reason = cell_text(cells[reason_column])
        try:
            entries.setdefault(normalize(raw, default_country), reason)
        except InputError as exc:
            problems.append(Problem(table.file, row, header, number_column, str(exc)))
    if problems:
        raise HouseholdFileError(table.file, problems)
    listed = dnc.blocked_numbers(session, entries)
    if not dry_run:  # one bulk insert: lists of thousands of numbers exist
        now = utcnow()
        insert_rows(
            session,
            DoNotCall,
            [
                {"number": number, "reason": reason, "added_by": added_by, "added_at": now}
                for number, reason in entries.items()
                if number not in listed
            ],
        )
    return DncImportResult(table.file, len(rows), len(entries) - len(listed), len(listed), dry_run)
