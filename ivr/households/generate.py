"""A realistic simulated neighbourhood: buildings, units, rooms, colours, people and numbers.

Used by the demo (2,046 households in 93 buildings) and the benchmarks (50,000 households of a
whole street). Everything follows from the seed: the same seed gives the same neighbourhood.

Phone numbers are Chinese mobile numbers in the range ``199 00xx xxxx`` (``+8619900000000`` to
``+8619900999999``), which ivr treats as simulated (:func:`is_simulated`): valid-looking to the
number checks, recognisable at a glance, and never to be dialled through a real trunk.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.db.models import Building, Colour, Committee, StatusChange, Street, utcnow
from ivr.errors import InputError
from ivr.households.bulk import (
    insert_household_lists,
    insert_households,
    insert_rows,
    new_household,
)
from ivr.households.places import UnitKey, ensure_units
from ivr.households.status import status_change_values

SIMULATED_PREFIX = "+8619900"
SIMULATED_NUMBERS = 1_000_000  # six free digits after the prefix
FLOORS = 6
ROOMS_PER_FLOOR = (2, 3, 4)
SECOND_PHONE_SHARE = 0.35
QUARANTINE_DAYS = 14
# mostly green and yellow, some orange/red/blue, a few vacant flats
COLOUR_MIX = {
    Colour.GREEN: 0.55,
    Colour.YELLOW: 0.22,
    Colour.ORANGE: 0.07,
    Colour.RED: 0.02,
    Colour.BLUE: 0.09,
    Colour.GREY: 0.05,
}
TAG_SHARE = {"elderly living alone": 0.05, "chronic illness": 0.04, "pregnant": 0.01}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红梅德文斌波宁鹏晨欣怡"


def is_simulated(number: str) -> bool:
    """Whether a canonical number is one the generator hands out."""
    return number.startswith(SIMULATED_PREFIX) and len(number) == len(SIMULATED_PREFIX) + 6


@dataclass(frozen=True, slots=True)
class PlannedHousehold:
    committee: str
    building: str
    unit: str
    room: str
    status: Colour
    phones: tuple[str, ...]  # canonical, in dialling order
    residents: tuple[str, ...]
    tags: tuple[str, ...]
    quarantine_start: date | None


@dataclass(frozen=True, slots=True)
class GeneratedHousehold:
    id: int
    committee_id: int
    building: str
    unit: str
    room: str
    status: Colour
    phones: tuple[str, ...]
    quarantine_start: date | None


@dataclass(slots=True)
class Neighbourhood:
    street_id: int
    committee_ids: list[int]
    building_ids: list[int]
    households: list[GeneratedHousehold] = field(default_factory=list)
    seconds: float = 0.0


def committee_names(base: str, committees: int) -> list[str]:
    """One committee keeps the name as given; several are numbered: ``Base 1``, ``Base 2``."""
    return [base] if committees == 1 else [f"{base} {i}" for i in range(1, committees + 1)]


def _share(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` as evenly as possible (the first ones get the rest)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _rooms(count: int, rooms_per_floor: int) -> list[tuple[str, str]]:
    """(unit, room) for ``count`` flats: unit by unit, floor by floor (101, 102, 201, …)."""
    per_unit = FLOORS * rooms_per_floor
    found = []
    for unit in range(1, math.ceil(count / per_unit) + 1):
        for floor in range(1, FLOORS + 1):
            for door in range(1, rooms_per_floor + 1):
                found.append((str(unit), f"{floor}{door:02d}"))
    return found[:count]


def plan_neighbourhood(
    *,
    households: int,
    buildings: int,
    committees: int = 1,
    seed: int = 0,
    committee: str = "Default Committee",
    today: date | None = None,
) -> list[PlannedHousehold]:
    """The neighbourhood as data, nothing written: the generator and the import benchmark use it."""
    if not 1 <= committees <= buildings <= households:
        raise InputError(
            f"need 1 <= committees ({committees}) <= buildings ({buildings}) "
            f"<= households ({households})"
        )
    if households > SIMULATED_NUMBERS // 2:
        raise InputError(f"at most {SIMULATED_NUMBERS // 2} households can be generated")
    rng = random.Random(seed)
    today = today or date.today()
    colours = rng.choices(list(COLOUR_MIX), weights=list(COLOUR_MIX.values()), k=households)
    phone_counts = [1 + (rng.random() < SECOND_PHONE_SHARE) for _ in range(households)]
    numbers = iter(rng.sample(range(SIMULATED_NUMBERS), sum(phone_counts)))
    names = committee_names(committee, committees)
    building_counts = _share(households, buildings)
    buildings_of = _share(buildings, committees)
    planned: list[PlannedHousehold] = []
    building_index = 0
    for committee_name, committee_buildings in zip(names, buildings_of, strict=True):
        for number in range(1, committee_buildings + 1):
            count = building_counts[building_index]
            building_index += 1
            for unit, room in _rooms(count, rng.choice(ROOMS_PER_FLOOR)):
                i = len(planned)
                status = colours[i]
                phones = tuple(
                    f"{SIMULATED_PREFIX}{next(numbers):06d}" for _ in range(phone_counts[i])
                )
                people = tuple(
                    rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
                    for _ in range(0 if status is Colour.GREY else rng.choice((1, 1, 2, 3)))
                )
                tags = tuple(tag for tag, share in TAG_SHARE.items() if rng.random() < share)
                started = None
                if status is Colour.ORANGE:
                    started = today - timedelta(days=rng.randrange(QUARANTINE_DAYS))
                planned.append(
                    PlannedHousehold(
                        committee_name,
                        str(number),
                        unit,
                        room,
                        status,
                        phones,
                        people,
                        tags,
                        started,
                    )
                )
    return planned


def generate_neighbourhood(
    session: Session,
    *,
    households: int = 2046,
    buildings: int = 93,
    committees: int = 1,
    seed: int = 0,
    street: str = "Default Street",
    committee: str = "Default Committee",
    today: date | None = None,
) -> Neighbourhood:
    """Write a generated neighbourhood in bulk into the caller's transaction and return the ids
    (with each household's numbers and colour, so callers can attach personas).

    Refuses (InputError) to add to a committee that already has buildings: generating twice
    would mix two neighbourhoods.
    """
    started = time.perf_counter()
    planned = plan_neighbourhood(
        households=households,
        buildings=buildings,
        committees=committees,
        seed=seed,
        committee=committee,
        today=today,
    )
    names = committee_names(committee, committees)
    taken = session.scalars(
        select(Committee.name)
        .join(Street)
        .join(Building)
        .where(Street.name == street, Committee.name.in_(names))
        .distinct()
    ).all()
    if taken:
        raise InputError(
            f"committee {sorted(taken)[0]!r} of street {street!r} already has buildings: "
            "generate into an empty database, or give another --street or --committee"
        )
    keys = [UnitKey(street, p.committee, p.building, p.unit) for p in planned]
    unit_ids = ensure_units(session, keys)
    now = utcnow()
    ids = insert_households(
        session,
        [
            new_household(
                unit_ids[k], p.room, p.status, now=now, quarantine_start=p.quarantine_start
            )
            for k, p in zip(keys, planned, strict=True)
        ],
    )
    pairs = list(zip(ids, planned, strict=True))
    insert_household_lists(
        session,
        phones=[(i, list(p.phones)) for i, p in pairs],
        residents=[(i, list(p.residents)) for i, p in pairs if p.residents],
        tags=[(i, list(p.tags)) for i, p in pairs if p.tags],
    )
    reason = f"generated neighbourhood (seed {seed})"
    insert_rows(
        session,
        StatusChange,
        [status_change_values(i, None, p.status, reason, at=now) for i, p in pairs],
    )
    result = _result(session, street, names, pairs)
    result.seconds = time.perf_counter() - started
    return result


def _result(
    session: Session,
    street: str,
    names: list[str],
    pairs: list[tuple[int, PlannedHousehold]],
) -> Neighbourhood:
    street_id = session.scalars(select(Street.id).where(Street.name == street)).one()
    committee_ids = dict(
        session.execute(
            select(Committee.name, Committee.id).where(
                Committee.street_id == street_id, Committee.name.in_(names)
            )
        ).all()
    )
    building_ids = session.scalars(
        select(Building.id)
        .where(Building.committee_id.in_(committee_ids.values()))
        .order_by(Building.committee_id, Building.sort_key)
    ).all()
    households = [
        GeneratedHousehold(
            i,
            committee_ids[p.committee],
            p.building,
            p.unit,
            p.room,
            p.status,
            p.phones,
            p.quarantine_start,
        )
        for i, p in pairs
    ]
    return Neighbourhood(
        street_id, [committee_ids[n] for n in names], list(building_ids), households
    )
