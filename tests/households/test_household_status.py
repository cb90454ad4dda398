"""Colour changes: every one kept with why; an unchanged colour writes nothing."""

from __future__ import annotations

import pytest

from ivr.db import Database
from ivr.db.models import Attempt, Colour, Household, StaffUser
from ivr.errors import InputError
from ivr.households.generate import generate_neighbourhood
from ivr.households.status import parse_colour, set_status, status_history


def test_history_keeps_every_change_with_its_reason(any_db: Database) -> None:
    with any_db.session() as session:
        hood = generate_neighbourhood(session, households=4, buildings=1, seed=1)
        household = session.get(Household, hood.households[0].id)
        staff = StaffUser(username="li", password_hash="x")
        attempt = Attempt(household_id=household.id, number="+8619900000001")
        session.add_all([staff, attempt])
        session.flush()
        start = household.status
        target = Colour.ORANGE if start is not Colour.ORANGE else Colour.RED

        change = set_status(
            session, household, target, "back from a key area", staff_user_id=staff.id
        )
        unchanged = set_status(session, household, target.value, "same again")
        green = set_status(
            session, household, "绿", "14 days of normal check-ins", attempt_id=attempt.id
        )

        assert change is not None and change.from_status is start and change.to_status is target
        assert unchanged is None
        assert green is not None and green.attempt_id == attempt.id
        assert household.status is Colour.GREEN and household.status_since == green.at
        history = [
            (c.from_status, c.to_status, c.reason, c.staff_user_id, c.attempt_id)
            for c in status_history(session, household.id)
        ]
    assert history == [
        (None, start, "generated neighbourhood (seed 1)", None, None),
        (start, target, "back from a key area", staff.id, None),
        (target, Colour.GREEN, "14 days of normal check-ins", None, attempt.id),
    ]


def test_refusals(db: Database) -> None:
    with db.session() as session:
        hood = generate_neighbourhood(session, households=1, buildings=1)
        household = session.get(Household, hood.households[0].id)
        with pytest.raises(InputError, match="needs a reason"):
            set_status(session, household, Colour.RED, "  ")
        with pytest.raises(InputError, match="unknown status 'purple'"):
            set_status(session, household, "purple", "why not")
    assert parse_colour(" Gray ") is Colour.GREY and parse_colour("空置") is Colour.GREY
