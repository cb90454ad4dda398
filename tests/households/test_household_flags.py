"""The worklist: one open flag per kind, and ``flagged`` always matching the open flags."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from ivr.db import Database
from ivr.db.models import Flag, FlagKind, Household
from ivr.households.flags import open_flags, raise_flag, resolve_flag, resolve_flags
from ivr.households.generate import generate_neighbourhood
from ivr.households.overview import flagged_count


def test_raise_and_resolve_keep_flagged_true_to_the_open_flags(any_db: Database) -> None:
    with any_db.session() as session:
        hood = generate_neighbourhood(session, households=6, buildings=2, committees=2, seed=2)
        first, other = (session.get(Household, h.id) for h in hood.households[:2])
        fever = raise_flag(session, first, FlagKind.FEVER, "38.4 °C")
        again = raise_flag(session, first, "fever", "38.9 °C")
        unreachable = raise_flag(session, first, FlagKind.UNREACHABLE)

        assert again.id == fever.id and fever.detail == "38.4 °C; 38.9 °C"
        assert first.flagged and not other.flagged
        assert [f.id for f in open_flags(session)] == [fever.id, unreachable.id]
        committee = hood.households[0].committee_id
        assert len(open_flags(session, committee_id=committee)) == 2
        assert open_flags(session, committee_id=hood.households[-1].committee_id) == []

        resolve_flag(session, fever, "visited: 37.0 now")
        assert first.flagged  # still unreachable
        assert fever.resolved_at is not None and fever.resolution == "visited: 37.0 now"
        assert resolve_flags(session, first, "reached by phone") == 1
        assert not first.flagged and flagged_count(session) == 0

        new_fever = raise_flag(session, first, FlagKind.FEVER)
        assert new_fever.id != fever.id and first.flagged


def test_the_database_refuses_a_second_open_flag_of_a_kind(any_db: Database) -> None:
    with any_db.session() as session:
        hood = generate_neighbourhood(session, households=1, buildings=1)
        household_id = hood.households[0].id
        session.add(Flag(household_id=household_id, kind=FlagKind.FEVER))
        session.flush()
        session.add(Flag(household_id=household_id, kind=FlagKind.FEVER))
        with pytest.raises(IntegrityError):
            session.flush()
