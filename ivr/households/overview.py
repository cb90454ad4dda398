"""What the map and the summary lines show: colour counts, and rooms by building."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ivr.db.models import Building, Colour, Committee, Household, Unit
from ivr.households.places import MAP_ORDER, join_place


@dataclass(frozen=True, slots=True)
class RoomCell:
    household_id: int
    unit: str
    room: str
    status: Colour
    flagged: bool
    opted_out: bool


@dataclass(slots=True)
class BuildingRooms:
    building_id: int
    building: str
    committee_id: int
    committee: str
    rooms: list[RoomCell] = field(default_factory=list)

    @property
    def counts(self) -> dict[Colour, int]:
        found = Counter(cell.status for cell in self.rooms)
        return {colour: found.get(colour, 0) for colour in Colour}

    @property
    def flagged(self) -> int:
        return sum(cell.flagged for cell in self.rooms)


def _in_scope(query: Select, committee_id: int | None) -> Select:  # type: ignore[type-arg]
    if committee_id is None:
        return query
    return join_place(query).where(Building.committee_id == committee_id)


def counts_by_colour(session: Session, *, committee_id: int | None = None) -> dict[Colour, int]:
    """Households per colour (every colour present, zero included)."""
    query = _in_scope(select(Household.status, func.count()).select_from(Household), committee_id)
    found = dict(session.execute(query.group_by(Household.status)).all())
    return {colour: found.get(colour, 0) for colour in Colour}


def flagged_count(session: Session, *, committee_id: int | None = None) -> int:
    """Households with at least one open flag."""
    query = select(func.count()).select_from(Household).where(Household.flagged.is_(True))
    return session.execute(_in_scope(query, committee_id)).scalar_one()


def households_by_building(
    session: Session, *, committee_id: int | None = None
) -> list[BuildingRooms]:
    """Every building in map order (committee, building number), each with its rooms in order
    (unit, room) and their colour and flags: one query, whatever the size."""
    query = join_place(
        select(
            Committee.id,
            Committee.name,
            Building.id,
            Building.name,
            Unit.name,
            Household.id,
            Household.room,
            Household.status,
            Household.flagged,
            Household.opted_out,
        )
        .select_from(Household)
        .order_by(*MAP_ORDER)
    )
    if committee_id is not None:
        query = query.where(Committee.id == committee_id)
    buildings: dict[int, BuildingRooms] = {}
    for row in session.execute(query):
        c_id, c_name, b_id, b_name, unit, h_id, room, status, flagged, opted_out = row
        building = buildings.get(b_id)
        if building is None:
            building = buildings[b_id] = BuildingRooms(b_id, b_name, c_id, c_name)
        building.rooms.append(RoomCell(h_id, unit, room, status, flagged, opted_out))
    return list(buildings.values())
