"""Bulk writes shared by the import and the generator: a few statements per table, whatever
the number of rows.

SQLite: one ``executemany`` per table; new ids come back through ``RETURNING`` in the order of
the rows given. PostgreSQL: ``COPY … FROM STDIN`` (an executemany there is one statement per
row on the server, about ten times slower), with the new ids drawn from the table's sequence
first. Values go through each column's own bind processing either way, so an enum, a JSON
column or a UTC timestamp is stored exactly as an ORM insert would store it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from ivr.db.models import Colour, Household, HouseholdTag, Phone, Resident, Tag

# the sequence is looked up once, not once per id
_NEXT_IDS = (
    "SELECT nextval(sequence.name) FROM (SELECT pg_get_serial_sequence(:table, 'id') AS name) "
    "AS sequence, generate_series(1, :n)"
)


def _is_postgresql(session: Session) -> bool:
    return session.connection().dialect.name == "postgresql"


def _copy(session: Session, table: Table, values: list[dict[str, Any]]) -> None:
    """``COPY table (columns) FROM STDIN`` on the session's own connection and transaction."""
    connection = session.connection()
    dialect = connection.dialect
    names = list(values[0])
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(
                    [
                        process(row[name]) if process else row[name]
                        for name, process in zip(names, processors, strict=True)
                    ]
                )


def insert_rows(session: Session, model: type, values: list[dict[str, Any]]) -> None:
    """Insert rows given as dicts (every dict with the same keys)."""
    if not values:
        return
    table = model.__table__  # type: ignore[attr-defined]
    if _is_postgresql(session):
        _copy(session, table, values)
    else:
        session.execute(insert(table), values)


def insert_returning_ids(session: Session, model: type, values: list[dict[str, Any]]) -> list[int]:
    """Insert rows and return their new primary keys, in the order of ``values``."""
    if not values:
        return []
    table = model.__table__  # type: ignore[attr-defined]
    if _is_postgresql(session):
        ids = sorted(
            session.execute(
                text(_NEXT_IDS),
                {"table": table.name, "n": len(values)},
            ).scalars()
        )
        _copy(session, table, [{**row, "id": id_} for row, id_ in zip(values, ids, strict=True)])
        return ids
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(statement, values).scalars())


def new_household(
    unit_id: int,
    room: str,
    status: Colour,
    *,
    now: datetime,
    quarantine_start: date | None = None,
    notes: str = "",
) -> dict[str, Any]:
    """Every column of a new ``households`` row (no per-row default work in the driver)."""
    return {
        "unit_id": unit_id,
        "room": room,
        "status": status,
        "status_since": now,
        "flagged": False,
        "opted_out": False,
        "opted_out_at": None,
        "opted_out_by": "",
        "quarantine_start": quarantine_start,
        "fields": {},
        "notes": notes,
        "created_at": now,
        "updated_at": now,
    }


def insert_households(session: Session, values: list[dict[str, Any]]) -> list[int]:
    return insert_returning_ids(session, Household, values)


def ensure_named(session: Session, model: type, names: Iterable[str]) -> dict[str, int]:
    """Ids by name of rows with a unique ``name`` (streets, tags), creating the missing ones."""
    wanted = set(names)
    if not wanted:
        return {}
    name, id_ = model.name, model.id  # type: ignore[attr-defined]
    ids: dict[str, int] = dict(session.execute(select(name, id_).where(name.in_(wanted))).all())
    missing = sorted(wanted - ids.keys())
    if missing:
        rows = session.execute(
            insert(model).returning(name, id_, sort_by_parameter_order=True),
            [{"name": value} for value in missing],
        )
        ids.update(dict(rows.all()))
    return ids


def insert_household_lists(
    session: Session,
    *,
    phones: Iterable[tuple[int, list[str]]] = (),
    residents: Iterable[tuple[int, list[str]]] = (),
    tags: Iterable[tuple[int, list[str]]] = (),
) -> None:
    """Phones (in dialling order), residents and tags of households, given as (id, values)."""
    insert_rows(
        session,
        Phone,
        [
            {"household_id": id_, "number": number, "position": position, "label": ""}
            for id_, numbers in phones
            for position, number in enumerate(numbers)
        ],
    )
    insert_rows(
        session,
        Resident,
        [{"household_id": id_, "name": name} for id_, names in residents for name in names],
    )
    tags = list(tags)
    tag_ids = ensure_named(session, Tag, {name for _, names in tags for name in names})
    insert_rows(
        session,
        HouseholdTag,
        [{"household_id": id_, "tag_id": tag_ids[name]} for id_, names in tags for name in names],
    )
