"""Which column of a household file holds which field: common English and Chinese headers,
overridden by ``--map "Column=field"``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ivr.households.problems import Problem, column_letter


class Field(StrEnum):
    STREET = "street"
    COMMITTEE = "committee"
    BUILDING = "building"
    UNIT = "unit"
    ROOM = "room"
    PHONE = "phone"
    NAME = "name"
    STATUS = "status"
    TAGS = "tags"
    NOTES = "notes"
    QUARANTINE_START = "quarantine_start"


IGNORE = "ignore"
# Fields that may come in several columns ("电话1", "电话2", "备用电话"); their cells add up.
MULTI_COLUMN = frozenset({Field.PHONE, Field.NAME, Field.TAGS})
REQUIRED = (Field.BUILDING, Field.ROOM)

# Headers after normalise_header(): lower case, no spaces, punctuation or trailing digits.
HEADER_WORDS: dict[Field, tuple[str, ...]] = {
    Field.STREET: ("street", "subdistrict", "街道", "街道办", "街道办事处", "所属街道"),
    Field.COMMITTEE: (
        "committee",
        "community",
        "neighbourhoodcommittee",
        "neighborhoodcommittee",
        "社区",
        "居委会",
        "社区居委会",
        "居委",
        "所属社区",
    ),
    Field.BUILDING: (
        "building",
        "bldg",
        "block",
        "buildingno",
        "楼号",
        "楼栋",
        "楼栋号",
        "栋",
        "栋号",
        "幢",
        "幢号",
        "楼",
        "楼宇",
    ),
    Field.UNIT: ("unit", "unitno", "entrance", "stairwell", "单元", "单元号"),
    Field.ROOM: (
        "room",
        "roomno",
        "flat",
        "apartment",
        "apt",
        "door",
        "房号",
        "室",
        "房间",
        "房间号",
        "门牌号",
        "户号",
        "室号",
    ),
    Field.PHONE: (
        "phone",
        "phones",
        "mobile",
        "tel",
        "telephone",
        "phonenumber",
        "contact",
        "contactphone",
        "电话",
        "手机",
        "手机号",
        "手机号码",
        "联系电话",
        "电话号码",
        "联系方式",
        "备用电话",
        "固话",
        "座机",
    ),
    Field.NAME: (
        "name",
        "names",
        "resident",
        "residents",
        "householder",
        "姓名",
        "户主",
        "户主姓名",
        "联系人",
        "住户",
        "居民",
        "住户姓名",
    ),
    Field.STATUS: (
        "status",
        "colour",
        "color",
        "状态",
        "颜色",
        "健康码",
        "码色",
        "风险等级",
        "管控状态",
    ),
    Field.TAGS: ("tags", "tag", "labels", "标签"),
    Field.NOTES: ("notes", "note", "remarks", "remark", "comment", "comments", "备注", "说明"),
    Field.QUARANTINE_START: (
        "quarantinestart",
        "quarantinestartdate",
        "quarantine",
        "隔离开始",
        "隔离开始日期",
        "隔离日期",
        "居家隔离开始日期",
        "开始隔离日期",
    ),
}
_WORD_TO_FIELD = {word: f for f, words in HEADER_WORDS.items() for word in words}
_NOISE = re.compile(r"[\s*_\-.:：()（）\[\]【】#/]+")
_TRAILING_DIGITS = re.compile(r"\d+$")


def normalise_header(header: str) -> str:
    """``"Phone 2"`` → ``phone``, ``"联系电话（手机）*"`` → ``联系电话手机``."""
    return _TRAILING_DIGITS.sub("", _NOISE.sub("", header.lower()))


def field_for_header(header: str) -> Field | None:
    """The field a header names, or None when it is not one we know."""
    word = normalise_header(header)
    if word in _WORD_TO_FIELD:
        return _WORD_TO_FIELD[word]
    # "联系电话（手机）" and "phone (mobile)": a known word followed by a qualifier
    for known, found in _WORD_TO_FIELD.items():
        if found in MULTI_COLUMN and len(known) > 1 and word.startswith(known):
            return found
    return None


@dataclass(slots=True)
class ColumnMap:
    columns: dict[Field, list[int]] = field(default_factory=dict)  # field → 0-based columns
    ignored: list[int] = field(default_factory=list)

    def has(self, f: Field) -> bool:
        return f in self.columns


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``["Mobile=phone", "C=ignore"]`` → ``{"Mobile": "phone", "C": "ignore"}``."""
    found: dict[str, str] = {}
    accepted = ", ".join([*(f.value for f in Field), IGNORE])
    for pair in pairs:
        column, sep, name = pair.rpartition("=")
        column, name = column.strip(), name.strip().lower()
        if not sep or not column or name not in {*(f.value for f in Field), IGNORE}:
            raise ValueError(f"--map {pair!r}: write COLUMN=FIELD with FIELD one of {accepted}")
        found[column] = name
    return found


def map_columns(
    file: str, headers: list[str], overrides: Mapping[str, str] | None = None
) -> tuple[ColumnMap, list[Problem], list[str]]:
    """Assign each column a field. Returns the map, the problems (which stop the import) and
    warnings (columns left unused)."""
    overrides = dict(overrides or {})
    problems: list[Problem] = []
    warnings: list[str] = []
    chosen: dict[int, str] = {}
    for column, name in overrides.items():
        index = _find_column(headers, column)
        if index is None:
            problems.append(
                Problem(
                    file,
                    None,
                    column,
                    None,
                    f"--map names a column the file does not have "
                    f"(columns: {', '.join(h for h in headers if h)})",
                )
            )
        else:
            chosen[index] = name
    cmap = ColumnMap()
    for index, header in enumerate(headers):
        name = chosen.get(index)
        found = Field(name) if name and name != IGNORE else None
        if name is None:
            found = field_for_header(header) if header else None
        if found is None:
            cmap.ignored.append(index)
            if header and name != IGNORE:
                warnings.append(
                    f"{file}: column {header!r} ({column_letter(index)}) is not used "
                    f"(map it with --map '{header}=FIELD' if it should be)"
                )
            continue
        cmap.columns.setdefault(found, []).append(index)
    for f, indexes in cmap.columns.items():
        if len(indexes) > 1 and f not in MULTI_COLUMN:
            names = " and ".join(f"{headers[i]!r} ({column_letter(i)})" for i in indexes)
            problems.append(
                Problem(
                    file,
                    None,
                    headers[indexes[1]],
                    indexes[1],
                    f"columns {names} both look like {f.value}: choose one with --map",
                )
            )
    for f in REQUIRED:
        if f not in cmap.columns:
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    None,
                    f"no {f.value} column (headers found: {', '.join(h for h in headers if h)});"
                    f" name one with --map 'HEADER={f.value}'",
                )
            )
    return cmap, problems, warnings


def _find_column(headers: list[str], column: str) -> int | None:
    """A column by its header as written, else by its letter (``C``)."""
    for index, header in enumerate(headers):
        if header.strip() == column:
            return index
    if column.isalpha() and column.isascii():
        for index in range(len(headers)):
            if column_letter(index) == column.upper():
                return index
    return None
