"""One row of a household file checked and turned into a :class:`HouseholdRow`.

Place names are tidied so the same flat written two ways is one household: ``12号楼`` is
building ``12``, ``2单元`` unit ``2``, ``301室`` room ``301``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ivr.db.models import Building, Colour, Committee, Household, Resident, Street, Tag, Unit
from ivr.errors import InputError
from ivr.households.columns import ColumnMap, Field
from ivr.households.places import UnitKey
from ivr.households.problems import Problem
from ivr.households.status import parse_colour
from ivr.households.table_file import cell_text
from ivr.phone import normalize

# What separates several values in one cell: "138.../139...", "张三、李四", "a; b"
LIST_SEPARATORS = re.compile(r"\s*[/,;、，；|\n]\s*")
_BUILDING_SUFFIX = re.compile(r"^(.+?)\s*(号楼|号|栋|幢|楼)$")
_UNIT_SUFFIX = re.compile(r"^(.+?)\s*(号单元|单元)$")
_ROOM_SUFFIX = re.compile(r"^(.+?)\s*(号房|室|号)$")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
_FORMULA_GUARD = re.compile(r"^'(?=[=+\-@])")  # our export's guard against spreadsheet formulas

# Longest values the columns hold (PostgreSQL refuses longer; SQLite would silently keep them).
MAX_LENGTH = {
    Field.STREET: Street.__table__.c.name.type.length,
    Field.COMMITTEE: Committee.__table__.c.name.type.length,
    Field.BUILDING: Building.__table__.c.name.type.length,
    Field.UNIT: Unit.__table__.c.name.type.length,
    Field.ROOM: Household.__table__.c.room.type.length,
    Field.NAME: Resident.__table__.c.name.type.length,
    Field.TAGS: Tag.__table__.c.name.type.length,
}


@dataclass(slots=True)
class HouseholdRow:
    """A checked row. A list or value is None when the file has no column for it (the stored
    value is then kept); an empty list or "" when the column is there but the cell is empty."""

    row: int
    key: UnitKey
    room: str
    phones: list[str] | None
    names: list[str] | None
    status: Colour | None  # None: no column, or an empty cell (the stored colour stays)
    tags: list[str] | None
    notes: str | None
    quarantine_start: date | None
    has_quarantine_start: bool

    @property
    def label(self) -> str:
        parts = [self.key.building, self.key.unit, self.room]
        return "-".join(p for p in parts if p)


def _strip_suffix(pattern: re.Pattern[str], text: str) -> str:
    found = pattern.match(text)
    return found.group(1) if found else text


def split_list(text: str) -> list[str]:
    """``"138…/139…"`` → two values; blanks dropped, order kept, repeats dropped."""
    seen: dict[str, None] = {}
    for part in LIST_SEPARATORS.split(text):
        if part:
            seen.setdefault(part, None)
    return list(seen)


def parse_date(text: str) -> date:
    """``2026-11-25``, ``2026/11/25``, ``2026年11月25日`` … → a date (a spreadsheet's own date
    cells arrive as ``2026-11-25`` through ``cell_text``)."""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InputError(f"{text!r} is not a date: write it as 2026-11-25")


class RowReader:
    """Checks rows of one file against its column map; collects every problem it finds."""

    def __init__(
        self,
        file: str,
        headers: list[str],
        columns: ColumnMap,
        *,
        default_street: str,
        default_committee: str,
        default_country: str,
    ) -> None:
        self.file = file
        self.headers = headers
        self.columns = columns
        self.default_street = default_street
        self.default_committee = default_committee
        self.default_country = default_country
        self.problems: list[Problem] = []
        self.repeated_phones_in_cell = 0
        self._numbers: dict[str, str] = {}  # raw → canonical: files repeat landlines
        # the column of each single-valued field (the first, should --map allow several)
        self._column = {f: indexes[0] for f, indexes in columns.columns.items()}

    def _problem(self, row: int, index: int, message: str) -> None:
        header = self.headers[index] if index < len(self.headers) else ""
        self.problems.append(Problem(self.file, row, header, index, message))

    @staticmethod
    def _cell(cells: list[Any], index: int) -> str:
        text = cell_text(cells[index]) if index < len(cells) else ""
        return _FORMULA_GUARD.sub("", text) if text.startswith("'") else text

    def _text(self, row: int, cells: list[Any], f: Field) -> str:
        index = self._column.get(f)
        if index is None:
            return ""
        text = self._cell(cells, index)
        limit = MAX_LENGTH.get(f)
        if limit is not None and len(text) > limit:
            self._problem(row, index, f"{f.value} is {len(text)} characters, at most {limit}")
        return text

    def _list(self, row: int, cells: list[Any], f: Field) -> list[str] | None:
        if f not in self._column:
            return None
        values: dict[str, None] = {}
        limit = MAX_LENGTH.get(f)
        for index in self.columns.columns[f]:
            for part in split_list(self._cell(cells, index)):
                if limit is not None and len(part) > limit:
                    self._problem(row, index, f"{f.value} {part[:20]!r}… is longer than {limit}")
                values.setdefault(part, None)
        return list(values)

    def _phones(self, row: int, cells: list[Any]) -> list[str] | None:
        if Field.PHONE not in self._column:
            return None
        numbers: list[str] = []
        for index in self.columns.columns[Field.PHONE]:
            for raw in split_list(self._cell(cells, index)):
                number = self._numbers.get(raw)
                if number is None:
                    try:
                        number = normalize(raw, self.default_country)
                    except InputError as exc:
                        self._problem(row, index, str(exc))
                        continue
                    self._numbers[raw] = number
                if number in numbers:
                    self.repeated_phones_in_cell += 1
                else:
                    numbers.append(number)
        return numbers

    def _parsed(self, row: int, cells: list[Any], f: Field, parse: Any) -> Any:
        """A status or date cell through ``parse``; None when empty or refused."""
        text = self._text(row, cells, f)
        if not text:
            return None
        try:
            return parse(text)
        except InputError as exc:
            self._problem(row, self._column[f], str(exc))
            return None

    def read(self, row: int, cells: list[Any]) -> HouseholdRow | None:
        """The checked row, or None when it has problems (recorded in ``problems``)."""
        before = len(self.problems)
        building = _strip_suffix(_BUILDING_SUFFIX, self._text(row, cells, Field.BUILDING))
        unit = _strip_suffix(_UNIT_SUFFIX, self._text(row, cells, Field.UNIT))
        room = _strip_suffix(_ROOM_SUFFIX, self._text(row, cells, Field.ROOM))
        for f, value in ((Field.BUILDING, building), (Field.ROOM, room)):
            if not value:
                self._problem(row, self._column[f], f"{f.value} is empty")
        parsed = HouseholdRow(
            row=row,
            key=UnitKey(
                self._text(row, cells, Field.STREET) or self.default_street,
                self._text(row, cells, Field.COMMITTEE) or self.default_committee,
                building,
                unit,
            ),
            room=room,
            phones=self._phones(row, cells),
            names=self._list(row, cells, Field.NAME),
            status=self._parsed(row, cells, Field.STATUS, parse_colour),
            tags=self._list(row, cells, Field.TAGS),
            notes=self._text(row, cells, Field.NOTES) if Field.NOTES in self._column else None,
            quarantine_start=self._parsed(row, cells, Field.QUARANTINE_START, parse_date),
            has_quarantine_start=Field.QUARANTINE_START in self._column,
        )
        return parsed if len(self.problems) == before else None
