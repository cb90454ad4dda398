"""A problem found in a household file: which file, row and column, and what is wrong."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ivr.errors import ImportRowsError


def column_letter(index: int) -> str:
    """0 → ``A``, 27 → ``AB``: how a spreadsheet names the column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    row: int | None  # as the spreadsheet numbers it: the header is row 1
    column: str | None  # the header as written in the file
    column_index: int | None  # 0-based
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            letter = ""
            if self.column_index is not None:
                letter = f" ({column_letter(self.column_index)})"
            where.append(f"column {self.column!r}{letter}")
        return f"{', '.join(where)}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["column_letter"] = (
            column_letter(self.column_index) if self.column_index is not None else None
        )
        return found


class HouseholdFileError(ImportRowsError):
    """A household (or do-not-call) file was refused; nothing was written.

    ``details`` keeps every problem with its place, for JSON output.
    """

    def __init__(self, file: str, details: list[Problem]) -> None:
        ordered = sorted(details, key=lambda p: (p.row or 0, p.column_index or 0))
        count = len(ordered)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{file}: {count} {noun}, nothing was imported", [str(p) for p in ordered])
        self.file = file
        self.details = ordered
