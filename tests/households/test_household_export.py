"""Export writes what the import reads back unchanged, in CSV and XLSX, English and Chinese."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from ivr.config import Settings
from ivr.db import Database
from ivr.households.export import export_households
from ivr.households.generate import generate_neighbourhood
from tests.households.helpers import counts, run_import, write_text


def _export(db: Database, path: Path, language: str = "en") -> int:
    with db.session() as session:
        return export_households(session, path, language=language).rows


def _rows(path: Path) -> list[list[str]]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            return list(csv.reader(f))
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("suffix, language", [(".csv", "en"), (".xlsx", "zh")])
def test_round_trip(
    any_db: Database, settings: Settings, tmp_path: Path, suffix: str, language: str
) -> None:
    with any_db.session() as session:
        generate_neighbourhood(session, households=120, buildings=5, committees=2, seed=4)
    first = tmp_path / f"first{suffix}"
    assert _export(any_db, first, language) == 120

    fresh = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        result = run_import(fresh, first)
        assert result.created == 120 and not result.warnings
        again = run_import(fresh, first)
        assert (again.updated, again.unchanged) == (0, 120)
        second = tmp_path / f"second{suffix}"
        _export(fresh, second, language)
    finally:
        fresh.dispose()
    assert _rows(first) == _rows(second)
    assert counts(any_db)[0] == 120


def test_formulas_are_written_as_text(db: Database, tmp_path: Path) -> None:
    run_import(
        db,
        write_text(
            tmp_path / "in.csv", 'building,room,notes,name\n1,101,"=HYPERLINK(""x"")",@bob\n'
        ),
    )
    out = tmp_path / "out.csv"
    _export(db, out)
    row = _rows(out)[1]
    assert row[9] == '\'=HYPERLINK("x")' and row[6] == "'@bob"
    xlsx = tmp_path / "out.xlsx"
    _export(db, xlsx)
    cell = openpyxl.load_workbook(xlsx).worksheets[0]["J2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("x")', "s")
    result = run_import(db, out)  # the guard is dropped again on the way in
    assert result.unchanged == 1
