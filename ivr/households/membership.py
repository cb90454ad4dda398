"""``column IN (values)`` for lists of any length, fast on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam
from sqlalchemy.orm import Session

IN_CHUNK = 2000  # values per IN (...) on SQLite: well below its parameter limit


def member_conditions(
    session: Session, column: Any, values: Iterable[Any]
) -> Iterator[ColumnElement[bool]]:
    """Conditions that together select the rows whose ``column`` is one of ``values``: run one
    query per condition.

    PostgreSQL gets a single ``column = ANY(:array)``: one parameter, parsed and planned once
    (50,000 values as IN lists cost it a second). SQLite gets IN lists of 2,000.
    """
    found = list(values)
    if not found:
        return
    if session.connection().dialect.name == "postgresql":
        yield column == any_(bindparam("members", found, type_=ARRAY(column.type), unique=True))
        return
    for start in range(0, len(found), IN_CHUNK):
        yield column.in_(found[start : start + IN_CHUNK])
