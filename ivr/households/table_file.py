"""Read a spreadsheet-like file (CSV/TSV text or XLSX) into a header and numbered rows.

Text encodings, tried strictly in this order (no guessing library: a wrong guess would import
garbled names without a word):

1. a byte-order mark: UTF-8 (Excel's "CSV UTF-8"), UTF-16 (Excel's "Unicode text");
2. UTF-8;
3. GB18030, the superset of GBK and GB2312 that Chinese Excel and WPS save "CSV" in.

A file that is mostly UTF-8 but has a broken byte is refused with the line of the byte instead
of being read as GB18030 mojibake.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ivr.households.problems import HouseholdFileError, Problem

TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
DELIMITERS = (",", "\t", ";", "|")
UTF8_EVIDENCE_CHARS = 4


@dataclass(slots=True)
class Table:
    file: str  # the name used in every problem
    encoding: str  # "utf-8", "utf-8-sig", "utf-16", "gb18030" or "xlsx"
    headers: list[str]
    header_row: int
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (row number, cells)


def _refuse(file: str, message: str, row: int | None = None) -> HouseholdFileError:
    return HouseholdFileError(file, [Problem(file, row, None, None, message)])


def decode_text(data: bytes, file: str) -> tuple[str, str]:
    """The text of a file and the encoding it was read with (see the module's doc)."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise _bad_byte(data, exc, file, encoding) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if _reads_as_utf8_text(data[: exc.start]):
            raise _bad_byte(data, exc, file, "UTF-8") from None
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        raise _refuse(
            file,
            f"the file is neither UTF-8 nor GB18030/GBK (byte 0x{data[exc.start]:02x} at line "
            f"{line}): save it as 'CSV UTF-8' or as .xlsx",
        ) from None


def _reads_as_utf8_text(prefix: bytes) -> bool:
    """Whether the part before a broken byte is clearly UTF-8 text: several characters of three
    bytes or more (Chinese). GBK text fails far sooner; a pair of its bytes may pass by chance
    (``楼`` is C2 A5, a valid UTF-8 ``¥``), several three-byte runs do not."""
    wide = sum(1 for char in prefix.decode("utf-8", errors="ignore") if ord(char) >= 0x800)
    return wide >= UTF8_EVIDENCE_CHARS


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _bad_byte(data: bytes, exc: UnicodeDecodeError, file: str, encoding: str) -> HouseholdFileError:
    line = _line_of(data, exc.start)
    return _refuse(
        file,
        f"the file reads as {encoding} but byte 0x{data[exc.start]:02x} at line {line} is not "
        f"valid {encoding}: the file is damaged or mixes encodings",
    )


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _text_table(path: Path, file: str) -> Table:
    text, encoding = decode_text(path.read_bytes(), file)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    return _table(file, encoding, enumerate(reader, start=1))


def _xlsx_table(path: Path, file: str, sheet: str | None) -> Table:
    import openpyxl  # imported here: only an .xlsx needs it, and it is slow to import
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise _refuse(file, f"not a readable .xlsx workbook: {exc}") from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            names = ", ".join(workbook.sheetnames)
            raise _refuse(file, f"no sheet called {sheet!r} (sheets: {names})")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        rows = enumerate(worksheet.iter_rows(values_only=True), start=1)
        return _table(file, "xlsx", ((n, list(cells)) for n, cells in rows))
    finally:
        workbook.close()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(file: str, encoding: str, numbered: Any) -> Table:
    """The first non-blank row is the header; blank rows after it are skipped."""
    header: list[str] | None = None
    header_row = 0
    rows: list[tuple[int, list[Any]]] = []
    for number, cells in numbered:
        if all(_blank(c) for c in cells):
            continue
        if header is None:
            header = [cell_text(c) for c in cells]
            while header and not header[-1]:  # spreadsheets carry empty trailing columns
                header.pop()
            header_row = number
            continue
        rows.append((number, cells))
    if header is None:
        raise _refuse(file, "the file is empty: expected a header row, then one row per household")
    return Table(file, encoding, header, header_row, rows)


def cell_text(value: Any) -> str:
    """A cell as text: ``13800138000.0`` (a number in a spreadsheet) → ``13800138000``."""
    if type(value) is str:  # by far the most common: checked first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_table(path: Path, *, sheet: str | None = None) -> Table:
    """Read ``path`` (CSV/TSV/TXT text in UTF-8, UTF-16 or GB18030, or XLSX).

    Raises HouseholdFileError (naming the file) when it cannot be read at all.
    """
    file = path.name
    suffix = path.suffix.lower()
    if not path.is_file():
        raise _refuse(file, f"no such file: {path}")
    if suffix in XLSX_SUFFIXES:
        return _xlsx_table(path, file, sheet)
    if suffix == ".xls":
        raise _refuse(file, "old .xls workbooks are not read: save it as .xlsx or as CSV UTF-8")
    if suffix in TEXT_SUFFIXES or not suffix:
        return _text_table(path, file)
    raise _refuse(file, f"unknown file type {suffix!r}: use .csv, .tsv, .txt or .xlsx")
