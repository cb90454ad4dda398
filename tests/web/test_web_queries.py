"""The report view's queries on SQLite and PostgreSQL: the same figures on both, and every one
limited to the viewer's committee."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from ivr.db import Database
from ivr.db.models import Role
from ivr.web.access import campaign_or_404, household_or_404, recording_or_404
from ivr.web.calls import load_household_record
from ivr.web.campaigndata import campaign_figures, campaign_names, campaign_rows
from ivr.web.mapdata import MapFilter, StreetMap, load_street_map
from ivr.web.viewer import Viewer
from ivr.web.worklist import load_worklist
from tests.web.world import World, build_world


@pytest.fixture
def world_db(any_db: Database, tmp_path: Path) -> tuple[Database, World]:
    return any_db, build_world(any_db, tmp_path / "recordings")


def _map(session: Session, viewer: Viewer, flt: MapFilter, max_rooms: int = 10_000
         ) -> StreetMap:
    return load_street_map(session, viewer, flt, max_rooms=max_rooms, list_max=100)


def _viewers(world: World) -> tuple[Viewer, Viewer, Viewer]:
    first, second = world.committee_ids
    return (
        Viewer(world.staff["admin"], "admin", Role.ADMIN, None),
        Viewer(world.staff["staff1"], "staff1", Role.STAFF, first),
        Viewer(world.staff["staff2"], "staff2", Role.STAFF, second),
    )


def test_map_is_scoped_and_filters_mark_matches(world_db: tuple[Database, World]) -> None:
    db, world = world_db
    admin, staff1, _ = _viewers(world)
    first, second = world.committee_ids
    with db.session() as session:
        street = _map(session, admin, MapFilter())
        assert street.total == 160 and [c.id for c in street.committees] == [first, second]
        own = _map(session, staff1, MapFilter(committee_id=second))  # ignored
        assert [c.id for c in own.committees] == [first] and own.total == 80
        assert {p.household_id for p in own.to_visit} == set(own.flag_kinds)
        assert set(own.flag_kinds) <= set(world.households[first])
        red = _map(session, staff1, MapFilter(colours=frozenset({"red", "blue"})))
        assert red.hits is not None
        assert all(p.status in ("red", "blue") for p in red.matches)
        assert len(red.hits) == len(red.matches) == red.counts["red"] + red.counts["blue"]
        campaign = _map(session, admin, MapFilter(campaign_id=world.campaign_id))
        assert len(campaign.matches) == 60  # 30 tasks in each committee


def test_a_large_street_is_drawn_as_bars_per_building(world_db: tuple[Database, World]) -> None:
    db, world = world_db
    admin, staff1, _ = _viewers(world)
    with db.session() as session:
        rooms = _map(session, admin, MapFilter())
        bars = _map(session, admin, MapFilter(), max_rooms=100)
        assert rooms.rooms_shown and not bars.rooms_shown
        assert bars.counts == rooms.counts and bars.flagged == rooms.flagged
        for by_room, by_bar in zip(rooms.committees, bars.committees, strict=True):
            assert [b.id for b in by_room.buildings] == [b.id for b in by_bar.buildings]
            assert [b.counts for b in by_room.buildings] == [b.counts for b in by_bar.buildings]
            assert by_room.flagged == by_bar.flagged
        assert _map(session, admin, MapFilter(all_rooms=True), max_rooms=100).rooms_shown
        committee = MapFilter(committee_id=world.committee_ids[0])
        assert _map(session, admin, committee, max_rooms=100).rooms_shown
        assert _map(session, staff1, MapFilter(), max_rooms=10).rooms_shown  # one committee


def test_direct_access_to_another_committee_is_not_found(world_db: tuple[Database, World]
                                                         ) -> None:
    db, world = world_db
    admin, staff1, _ = _viewers(world)
    first, second = world.committee_ids
    with db.session() as session:
        assert household_or_404(session, staff1, world.households[first][0]).id
        assert recording_or_404(session, staff1, world.recordings[first]).id
        for load, key in ((household_or_404, world.households[second][0]),
                          (recording_or_404, world.recordings[second])):
            with pytest.raises(HTTPException) as refused:
                load(session, staff1, key)
            assert refused.value.status_code == 404
            assert load(session, admin, key)
        nobody = Viewer(999, "unassigned", Role.STAFF, None)
        with pytest.raises(HTTPException):
            campaign_or_404(session, nobody, world.campaign_id)
        assert _map(session, nobody, MapFilter()).total == 0
        assert load_worklist(session, nobody) == []


def test_campaign_figures_count_only_the_viewers_households(world_db: tuple[Database, World]
                                                           ) -> None:
    db, world = world_db
    admin, staff1, staff2 = _viewers(world)
    with db.session() as session:
        assert campaign_names(session, staff1) == [(world.campaign_id, "Daily check-in")]
        (all_rows,) = campaign_rows(session, admin)
        (own_rows,) = campaign_rows(session, staff1)
        assert all_rows.total == 60 and own_rows.total == 30
        assert own_rows.tasks == {"done": 20, "exhausted": 10}
        figures = campaign_figures(session, staff1, own_rows)
        assert (figures.attempts, figures.answered, figures.completed_calls) == (30, 20, 20)
        assert figures.answer_rate == pytest.approx(20 / 30)
        assert figures.completion_rate == pytest.approx(20 / 30)
        assert figures.answers == [("temperature", 20, 0)]
        assert sum(sum(values) for _, values in figures.series) == 30
        both = campaign_figures(session, admin, all_rows)
        assert both.attempts == 60
        worklist = load_worklist(session, staff2, campaign_id=world.campaign_id)
        assert [item.flag.kind.value for item in worklist] == ["fever", "unreachable"]
        second_committee = set(world.households[world.committee_ids[1]])
        assert {item.household_id for item in worklist} <= second_committee


def test_household_record_has_calls_turns_and_history(world_db: tuple[Database, World]) -> None:
    db, world = world_db
    _, staff1, _ = _viewers(world)
    household_id = world.recorded_household[world.committee_ids[0]]
    with db.session() as session:
        household = household_or_404(session, staff1, household_id)
        record = load_household_record(session, household)
        (call,) = record.calls
        assert [t.step for t in call.attempt.turns] == ["temperature", "symptoms"]
        assert call.campaign == "Daily check-in" and call.answers[0].value == 36.5
        assert len(call.attempt.recordings) == 1
        assert record.history[-1].what == "status" and record.history[-1].from_status is None
