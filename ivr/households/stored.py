"""What the database already holds for the households of a file, and how a row differs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from ivr.db.models import (
    Building,
    Colour,
    Committee,
    Household,
    HouseholdTag,
    Phone,
    Resident,
    Street,
    Tag,
    Unit,
)
from ivr.households.places import UnitKey, join_place
from ivr.households.rows import HouseholdRow

RoomKey = tuple[UnitKey, str]


@dataclass(slots=True)
class StoredHousehold:
    id: int
    status: Colour
    notes: str
    quarantine_start: date | None
    phones: list[str] = field(default_factory=list)  # in dialling order
    names: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # sorted


@dataclass(slots=True)
class Change:
    """How a row differs from its stored household (the merge rule, see ``importer``)."""

    row: HouseholdRow
    stored: StoredHousehold
    new_status: Colour | None
    phones: bool
    names: bool
    tags: bool

    @property
    def notes(self) -> str:
        return self.row.notes if self.row.notes is not None else self.stored.notes

    @property
    def quarantine_start(self) -> date | None:
        if self.row.has_quarantine_start:
            return self.row.quarantine_start
        return self.stored.quarantine_start


def _in_committees(query: Select, pairs: set[tuple[str, str]]) -> Select:  # type: ignore[type-arg]
    return join_place(query).where(tuple_(Street.name, Committee.name).in_(sorted(pairs)))


def load_stored(
    session: Session,
    rows: list[HouseholdRow],
    *,
    phones: bool,
    names: bool,
    tags: bool,
) -> dict[RoomKey, StoredHousehold]:
    """The stored households of the rows' committees, keyed like the rows, with the lists the
    file has columns for: one query per kind, whatever the size."""
    pairs = {(r.key.street, r.key.committee) for r in rows}
    if not pairs:
        return {}
    query = select(
        Street.name,
        Committee.name,
        Building.name,
        Unit.name,
        Household.room,
        Household.id,
        Household.status,
        Household.notes,
        Household.quarantine_start,
    ).select_from(Household)
    stored: dict[RoomKey, StoredHousehold] = {}
    by_id: dict[int, StoredHousehold] = {}
    for street, committee, building, unit, room, *values in session.execute(
        _in_committees(query, pairs)
    ):
        household = StoredHousehold(*values)
        stored[(UnitKey(street, committee, building, unit), room)] = by_id[household.id] = household
    if phones:
        query = select(Phone.household_id, Phone.number).join(Household)
        query = query.order_by(Phone.household_id, Phone.position, Phone.id)
        for id_, number in session.execute(_in_committees(query, pairs)):
            by_id[id_].phones.append(number)
    if names:
        query = select(Resident.household_id, Resident.name).join(Household)
        for id_, name in session.execute(_in_committees(query, pairs).order_by(Resident.id)):
            by_id[id_].names.append(name)
    if tags:
        query = select(HouseholdTag.household_id, Tag.name).join(Tag).join(Household)
        for id_, name in session.execute(_in_committees(query, pairs)):
            by_id[id_].tags.append(name)
        for household in by_id.values():
            household.tags.sort()
    return stored


def difference(row: HouseholdRow, stored: StoredHousehold) -> Change | None:
    """What the row changes on its stored household, or None when nothing."""
    change = Change(
        row,
        stored,
        new_status=row.status if row.status is not None and row.status != stored.status else None,
        phones=row.phones is not None and row.phones != stored.phones,
        names=row.names is not None and row.names != stored.names,
        tags=row.tags is not None and sorted(row.tags) != stored.tags,
    )
    plain = change.notes != stored.notes or change.quarantine_start != stored.quarantine_start
    if plain or change.new_status or change.phones or change.names or change.tags:
        return change
    return None
