"""Street → committee → building → unit: found by name, created in bulk when missing."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import Select, insert, select, tuple_
from sqlalchemy.orm import Session

from ivr.db.models import Building, Committee, Household, Street, Unit
from ivr.errors import InputError
from ivr.households.bulk import ensure_named
from ivr.households.membership import IN_CHUNK

_LEADING_NUMBER = re.compile(r"\d+")
SORT_KEY_MAX = 2**31 - 1  # an Integer column on both SQLite and PostgreSQL


class UnitKey(NamedTuple):
    """Where a household is, by names: the natural key the import merges on (a tuple: hashed
    fast, for files of 50,000 rows)."""

    street: str
    committee: str
    building: str
    unit: str


def join_place(query: Select) -> Select:  # type: ignore[type-arg]
    """Join a query on households (or a table joined to them) to unit, building, committee and
    street, so it can select or filter by any of them."""
    return (
        query.join(Unit, Unit.id == Household.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .join(Committee, Committee.id == Building.committee_id)
        .join(Street, Street.id == Committee.street_id)
    )


# the map's order: committee, building number, unit, room
MAP_ORDER = (Committee.name, Building.sort_key, Building.name, Unit.name, Household.room)


def building_sort_key(name: str) -> int:
    """``"12号楼"`` → 12, so building 9 comes before building 10 on the map."""
    found = _LEADING_NUMBER.search(name)
    return min(int(found.group()), SORT_KEY_MAX) if found else SORT_KEY_MAX


def find_committee(session: Session, name: str, street: str | None = None) -> Committee:
    """The committee called ``name`` (in ``street`` when given); InputError if none or several."""
    query = select(Committee).join(Street).where(Committee.name == name)
    if street is not None:
        query = query.where(Street.name == street)
    found = session.scalars(query).all()
    if not found:
        where = f" in street {street!r}" if street else ""
        raise InputError(f"no committee called {name!r}{where}")
    if len(found) > 1:
        raise InputError(f"several streets have a committee called {name!r}: name the street too")
    return found[0]


def ensure_units(session: Session, keys: Iterable[UnitKey]) -> dict[UnitKey, int]:
    """Unit ids for every key, creating the missing streets, committees, buildings and units.

    A handful of queries per level whatever the number of keys: the import and the generator
    call this once for a whole file or neighbourhood.
    """
    wanted = set(keys)
    streets = ensure_named(session, Street, {k.street for k in wanted})
    committees = _ensure_children(
        session,
        Committee,
        Committee.street_id,
        {(streets[k.street], k.committee) for k in wanted},
    )
    buildings = _ensure_children(
        session,
        Building,
        Building.committee_id,
        {(committees[(streets[k.street], k.committee)], k.building) for k in wanted},
    )
    units = _ensure_children(
        session,
        Unit,
        Unit.building_id,
        {
            (buildings[(committees[(streets[k.street], k.committee)], k.building)], k.unit)
            for k in wanted
        },
    )
    return {
        k: units[(buildings[(committees[(streets[k.street], k.committee)], k.building)], k.unit)]
        for k in wanted
    }


def _ensure_children(
    session: Session, model: type, parent_column: object, wanted: set[tuple[int, str]]
) -> dict[tuple[int, str], int]:
    """(parent id, name) → id for committees, buildings or units, inserting what is missing."""
    ids: dict[tuple[int, str], int] = {}
    pairs = sorted(wanted)
    for start in range(0, len(pairs), IN_CHUNK):
        chunk = pairs[start : start + IN_CHUNK]
        query = select(parent_column, model.name, model.id).where(  # type: ignore[attr-defined]
            tuple_(parent_column, model.name).in_(chunk)  # type: ignore[attr-defined]
        )
        ids.update({(parent, name): id_ for parent, name, id_ in session.execute(query).all()})
    missing = [pair for pair in pairs if pair not in ids]
    if missing:
        parent_key = parent_column.key  # type: ignore[attr-defined]
        values = [{parent_key: parent, "name": name} for parent, name in missing]
        if model is Building:
            for value in values:
                value["sort_key"] = building_sort_key(value["name"])
        rows = session.execute(
            insert(model).returning(
                parent_column,
                model.name,  # type: ignore[attr-defined]
                model.id,  # type: ignore[attr-defined]
                sort_by_parameter_order=True,
            ),
            values,
        )
        ids.update({(parent, name): id_ for parent, name, id_ in rows.all()})
    return ids
