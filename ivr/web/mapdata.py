"""The status map's data: every household in the viewer's scope, grouped committee → building →
unit → floor; for a whole street too large to draw room by room, one bar per building.

Rooms come from the households helper's ``households_by_building`` (one query); the open flags'
kinds are one more (room tooltips, the "to visit" list), and a filter or search one more for the
ids it picks out. Filters do not remove rooms: they mark which match, so the map keeps its shape
and the rest are drawn dimmed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from ivr.db.models import Building, Colour, Committee, Flag, FlagKind, Household, Phone, Task, Unit
from ivr.households.overview import BuildingRooms, RoomCell, households_by_building
from ivr.web.natural import floor_of, natural_key
from ivr.web.viewer import Viewer
from ivr.web.worklist import URGENCY, household_places

COLOURS: tuple[str, ...] = tuple(c.value for c in Colour)
PHONE_SEARCH_MIN_DIGITS = 4  # fewer digits would match half the street


@dataclass(frozen=True)
class MapFilter:
    colours: frozenset[str] = frozenset()
    flagged: bool = False
    campaign_id: int | None = None
    query: str = ""
    committee_id: int | None = None
    all_rooms: bool = False  # every room of the whole street, however many

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
    units: list[UnitBlock]  # empty in the street overview
    counts: Counter[str]
    flagged: int = 0


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
    """A household with its address, for the lists beside the map (to visit, matches)."""

    household_id: int
    address: str
    status: str


@dataclass
class StreetMap:
    committees: list[CommitteeBlock] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    rooms_shown: bool = True  # False: the street overview, one bar per building
    hits: set[int] | None = None  # None: no filter, every room counts as a match
    flag_kinds: dict[int, list[str]] = field(default_factory=dict)  # household → open flags
    to_visit: list[PlacedRoom] = field(default_factory=list)  # most urgent first
    matches: list[PlacedRoom] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def flagged(self) -> int:
        return len(self.flag_kinds)


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


def load_street_map(
    session: Session, viewer: Viewer, flt: MapFilter, *, max_rooms: int, list_max: int
) -> StreetMap:
    """The map of the viewer's scope. A whole street of more than ``max_rooms`` households is
    drawn as an overview (a bar per building) unless ``flt.all_rooms``: each committee's page
    then shows its rooms."""
    committee_id = map_committee(viewer, flt)
    if not viewer.is_admin and committee_id is None:
        return StreetMap()  # staff not assigned to a committee see nothing
    scope = viewer.committee_clause(Building.committee_id)
    if committee_id is not None:
        scope = and_(scope, Building.committee_id == committee_id)
    in_scope = (
        select(Household.id)
        .join(Unit, Household.unit_id == Unit.id)
        .join(Building, Unit.building_id == Building.id)
        .where(scope)
    )
    whole_street = committee_id is None  # only an administrator gets here
    if whole_street and not flt.all_rooms and _count(session) > max_rooms:
        street = street_overview(session)
    else:
        street = group_street(households_by_building(session, committee_id=committee_id))
    open_flags = select(Flag.household_id, Flag.kind).where(Flag.resolved_at.is_(None))
    if not whole_street:  # the whole street needs no join: the open-flags index serves
        open_flags = open_flags.where(Flag.household_id.in_(in_scope))
    flag_kinds: dict[int, list[str]] = defaultdict(list)
    for household_id, kind in session.execute(open_flags):
        flag_kinds[household_id].append(kind.value)
    street.flag_kinds = dict(flag_kinds)
    urgent = sorted(
        flag_kinds, key=lambda h: (min(URGENCY.index(FlagKind(k)) for k in flag_kinds[h]), h)
    )
    street.to_visit = _placed(session, urgent[:list_max])
    if flt.marks_rooms:
        street.hits = set(session.scalars(in_scope.where(match_clause(flt))))
        matches = _placed(session, sorted(street.hits)[:list_max])
        street.matches = sorted(matches, key=lambda p: natural_key(p.address))
    return street


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Household)) or 0)


def _placed(session: Session, household_ids: list[int]) -> list[PlacedRoom]:
    places = household_places(session, set(household_ids))
    return [PlacedRoom(h, *places[h]) for h in household_ids if h in places]


def street_overview(session: Session) -> StreetMap:
    """Every building of the street with its households counted by colour: one GROUP BY."""
    keys = (Committee.id, Committee.name, Building.id, Building.name, Building.sort_key,
            Household.status)  # fmt: skip
    rows = session.execute(
        select(*keys, func.count(), func.sum(case((Household.flagged, 1), else_=0)))
        .select_from(Household)
        .join(Unit, Household.unit_id == Unit.id)
        .join(Building, Unit.building_id == Building.id)
        .join(Committee, Building.committee_id == Committee.id)
        .group_by(*keys)
    )
    committees: dict[int, CommitteeBlock] = {}
    buildings: dict[int, tuple[CommitteeBlock, int, BuildingBlock]] = {}
    for c_id, c_name, b_id, b_name, sort_key, status, count, flagged in rows:
        committee = committees.setdefault(c_id, CommitteeBlock(c_id, c_name))
        building = BuildingBlock(b_id, b_name, [], Counter())
        _, _, building = buildings.setdefault(b_id, (committee, sort_key, building))
        building.counts[status.value] += count
        building.flagged += int(flagged or 0)
    street = StreetMap(rooms_shown=False)
    for committee, _, building in sorted(
        buildings.values(), key=lambda entry: (entry[1], natural_key(entry[2].name))
    ):
        committee.buildings.append(building)
        committee.counts.update(building.counts)
        committee.flagged += building.flagged
        street.counts.update(building.counts)
    street.committees = sorted(committees.values(), key=lambda c: natural_key(c.name))
    return street


def group_street(buildings: Iterable[BuildingRooms]) -> StreetMap:
    """The helper's rooms by building, grouped committee → building → unit → floor."""
    street = StreetMap()
    committees: dict[int, CommitteeBlock] = {}
    for building in buildings:
        committee = committees.get(building.committee_id)
        if committee is None:
            committee = CommitteeBlock(building.committee_id, building.committee)
            committees[building.committee_id] = committee
        by_unit: dict[str, list[RoomCell]] = defaultdict(list)
        counts: Counter[str] = Counter()
        flagged = 0
        for cell in building.rooms:
            by_unit[cell.unit].append(cell)
            counts[cell.status.value] += 1
            flagged += cell.flagged
        units = [
            UnitBlock(name, _floors(by_unit[name])) for name in sorted(by_unit, key=natural_key)
        ]
        committee.buildings.append(
            BuildingBlock(building.building_id, building.building, units, counts, flagged)
        )
        committee.counts.update(counts)
        committee.flagged += flagged
        street.counts.update(counts)
    street.committees = sorted(committees.values(), key=lambda c: natural_key(c.name))
    return street


def _floors(rooms: list[RoomCell]) -> list[tuple[int | None, list[RoomCell]]]:
    """Rooms by floor, top floor first (as the building stands); unnumbered rooms last."""
    by_floor: dict[int | None, list[RoomCell]] = defaultdict(list)
    for cell in rooms:
        by_floor[floor_of(cell.room)].append(cell)
    numbered = sorted((f for f in by_floor if f is not None), reverse=True)
    floors: list[int | None] = [*numbered, *([None] if None in by_floor else [])]
    return [(f, sorted(by_floor[f], key=lambda c: natural_key(c.room))) for f in floors]
