"""The status map's data: every household in the viewer's scope, grouped committee → building →
unit → floor.

Rooms come from the households helper's ``households_by_building`` (one query); a filter or search
adds one query for the ids it picks out, and one more reads the open flags' kinds for the room
tooltips. Filters do not remove rooms: they mark which match, so the map keeps its shape and the
rest are drawn dimmed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from ivr.db.models import Building, Colour, Flag, Household, Phone, Task, Unit
from ivr.households.overview import BuildingRooms, RoomCell, households_by_building
from ivr.web.natural import floor_of, natural_key
from ivr.web.viewer import Viewer

COLOURS: tuple[str, ...] = tuple(c.value for c in Colour)
PHONE_SEARCH_MIN_DIGITS = 4  # fewer digits would match half the street


@dataclass(frozen=True)
class MapFilter:
    colours: frozenset[str] = frozenset()
    flagged: bool = False
    campaign_id: int | None = None
    query: str = ""
    committee_id: int | None = None

    @property
    def marks_rooms(self) -> bool:
        return bool(self.colours or self.flagged or self.campaign_id or self.query)


@dataclass
class UnitBlock:
    name: str
    floors: list[tuple[int | None, list[RoomCell]]]


@dataclass
class BuildingBlock:
    id: int
    name: str
    units: list[UnitBlock]
    counts: Counter[str]


@dataclass
class CommitteeBlock:
    id: int
    name: str
    buildings: list[BuildingBlock] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    flagged: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class PlacedRoom:
    """A room with its address, for the lists beside the map (worklist, search results)."""

    address: str
    room: RoomCell


@dataclass
class StreetMap:
    committees: list[CommitteeBlock] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    hits: set[int] | None = None  # None: no filter, every room counts as a match
    flag_kinds: dict[int, list[str]] = field(default_factory=dict)  # household → open flags
    flagged: list[PlacedRoom] = field(default_factory=list)
    matches: list[PlacedRoom] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def match_clause(flt: MapFilter) -> ColumnElement[bool]:
    """True for the households the filters and the search pick out (needs Unit and Building
    joined)."""
    conditions: list[ColumnElement[bool]] = []
    if flt.colours:
        conditions.append(Household.status.in_([Colour(c) for c in flt.colours]))
    if flt.flagged:
        conditions.append(Household.flagged.is_(True))
    if flt.campaign_id is not None:
        conditions.append(
            Household.id.in_(select(Task.household_id).where(Task.campaign_id == flt.campaign_id))
        )
    if flt.query:
        conditions.append(search_clause(flt.query))
    return and_(*conditions)


def search_clause(query: str) -> ColumnElement[bool]:
    """A room (``301``, or ``12-1-301`` read as building-unit-room) or part of a phone number."""
    text = query.strip()
    parts = [p for p in re.split(r"[\s\-/#]+", text) if p]
    options: list[ColumnElement[bool]] = [Household.room == text]
    if len(parts) >= 2:
        place = [Household.room == parts[-1], Building.name == parts[0]]
        if len(parts) >= 3:
            place.append(Unit.name == parts[1])
        options.append(and_(*place))
    digits = re.sub(r"\D", "", text)
    if len(digits) >= PHONE_SEARCH_MIN_DIGITS:
        options.append(
            exists().where(Phone.household_id == Household.id, Phone.number.contains(digits))
        )
    return or_(*options)


def map_committee(viewer: Viewer, flt: MapFilter) -> int | None:
    """Which committee the map is limited to: the staff member's own, whatever the URL says."""
    return flt.committee_id if viewer.is_admin else viewer.committee_id


def load_street_map(session: Session, viewer: Viewer, flt: MapFilter) -> StreetMap:
    committee_id = map_committee(viewer, flt)
    if not viewer.is_admin and committee_id is None:
        return StreetMap()  # staff not assigned to a committee see nothing
    buildings = households_by_building(session, committee_id=committee_id)
    scope = viewer.committee_clause(Building.committee_id)
    if committee_id is not None:
        scope = and_(scope, Building.committee_id == committee_id)
    in_scope = (
        select(Household.id)
        .join(Unit, Household.unit_id == Unit.id)
        .join(Building, Unit.building_id == Building.id)
        .where(scope)
    )
    hits = set(session.scalars(in_scope.where(match_clause(flt)))) if flt.marks_rooms else None
    open_flags = select(Flag.household_id, Flag.kind).where(Flag.resolved_at.is_(None))
    if committee_id is not None:  # else the whole street: no join, the open-flags index serves
        open_flags = open_flags.where(Flag.household_id.in_(in_scope))
    flag_kinds: dict[int, list[str]] = defaultdict(list)
    for household_id, kind in session.execute(open_flags):
        flag_kinds[household_id].append(kind.value)
    return group_street(buildings, hits, dict(flag_kinds))


def group_street(
    buildings: Iterable[BuildingRooms], hits: set[int] | None, flag_kinds: dict[int, list[str]]
) -> StreetMap:
    street = StreetMap(hits=hits, flag_kinds=flag_kinds)
    committees: dict[int, CommitteeBlock] = {}
    for building in buildings:
        committee = committees.get(building.committee_id)
        if committee is None:
            committee = CommitteeBlock(building.committee_id, building.committee)
            committees[building.committee_id] = committee
        by_unit: dict[str, list[RoomCell]] = defaultdict(list)
        counts: Counter[str] = Counter()
        for cell in building.rooms:
            by_unit[cell.unit].append(cell)
            counts[cell.status.value] += 1
            if cell.flagged or (hits is not None and cell.household_id in hits):
                placed = PlacedRoom(_address(building.building, cell), cell)
                if cell.flagged:
                    committee.flagged += 1
                    street.flagged.append(placed)
                if hits is not None and cell.household_id in hits:
                    street.matches.append(placed)
        units = [
            UnitBlock(name, _floors(by_unit[name])) for name in sorted(by_unit, key=natural_key)
        ]
        committee.buildings.append(BuildingBlock(building.building_id, building.building, units,
                                                 counts))
        committee.counts.update(counts)
        street.counts.update(counts)
    street.committees = sorted(committees.values(), key=lambda c: natural_key(c.name))
    return street


def _address(building: str, cell: RoomCell) -> str:
    return "-".join(part for part in (building, cell.unit, cell.room) if part)


def _floors(rooms: list[RoomCell]) -> list[tuple[int | None, list[RoomCell]]]:
    """Rooms by floor, top floor first (as the building stands); unnumbered rooms last."""
    by_floor: dict[int | None, list[RoomCell]] = defaultdict(list)
    for cell in rooms:
        by_floor[floor_of(cell.room)].append(cell)
    numbered = sorted((f for f in by_floor if f is not None), reverse=True)
    floors: list[int | None] = [*numbered, *([None] if None in by_floor else [])]
    return [(f, sorted(by_floor[f], key=lambda c: natural_key(c.room))) for f in floors]
