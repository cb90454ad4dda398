"""The generated neighbourhood: sizes, mix, numbers in the simulated range, reproducible."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ivr.db import Database
from ivr.db.models import Building, Colour, Household, Phone, Unit
from ivr.errors import InputError
from ivr.households.generate import generate_neighbourhood, is_simulated, plan_neighbourhood
from ivr.households.overview import counts_by_colour, households_by_building
from ivr.phone import normalize
from tests.households.helpers import run_import, write_text

TODAY = date(2026, 11, 25)


def test_the_demo_neighbourhood(any_db: Database) -> None:
    with any_db.session() as session:
        hood = generate_neighbourhood(session, households=2046, buildings=93, seed=0, today=TODAY)
        assert len(hood.households) == 2046 and len(hood.building_ids) == 93
        assert len({h.id for h in hood.households}) == 2046
        stored = session.scalar(select(func.count()).select_from(Household))
        phones = session.scalars(select(Phone.number)).all()
        per_building = session.execute(
            select(Building.name, func.count(Household.id))
            .join(Unit, Unit.building_id == Building.id)
            .join(Household, Household.unit_id == Unit.id)
            .group_by(Building.name)
        ).all()
        colours = counts_by_colour(session)
        buildings = households_by_building(session)
    assert stored == 2046
    assert {n for _, n in per_building} == {22}  # 2,046 / 93, evenly
    assert len(phones) == len(set(phones)) > 2046
    assert all(is_simulated(n) and normalize(n[3:]) == n for n in phones)
    assert colours[Colour.GREEN] + colours[Colour.YELLOW] > 2046 * 0.6
    assert all(colours[c] > 0 for c in Colour)
    assert len(buildings) == 93 and sum(len(b.rooms) for b in buildings) == 2046
    orange = [h for h in hood.households if h.status is Colour.ORANGE]
    assert orange and all(
        h.quarantine_start and 0 <= (TODAY - h.quarantine_start).days < 14 for h in orange
    )


def test_same_seed_same_neighbourhood() -> None:
    def plan(seed: int) -> list:  # type: ignore[type-arg]
        return plan_neighbourhood(
            households=300, buildings=12, committees=3, seed=seed, today=TODAY
        )

    assert plan(7) == plan(7)
    assert plan(7) != plan(8)
    rooms = Counter((p.committee, p.building, p.unit, p.room) for p in plan(7))
    assert max(rooms.values()) == 1


def test_refusals(db: Database) -> None:
    with db.session() as session:
        generate_neighbourhood(session, households=10, buildings=2)
        with pytest.raises(InputError, match="already has buildings"):
            generate_neighbourhood(session, households=10, buildings=2)
        with pytest.raises(InputError, match="committees"):
            generate_neighbourhood(session, households=3, buildings=5, street="Other")


def test_map_order_is_by_building_number(db: Database, tmp_path: Path) -> None:
    rows = "".join(f"{b}号楼,{r}\n" for b in (10, 9, 2) for r in (102, 101))
    run_import(db, write_text(tmp_path / "a.csv", "楼号,房号\n" + rows))
    with db.session() as session:
        buildings = households_by_building(session)
    assert [b.building for b in buildings] == ["2", "9", "10"]
    assert [c.room for c in buildings[0].rooms] == ["101", "102"]
    assert buildings[0].counts[Colour.BLUE] == 2 and buildings[0].flagged == 0
