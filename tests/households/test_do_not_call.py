"""The do-not-call list by canonical number, its file import, and opting out during a call."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ivr.cli import app
from ivr.db import Database
from ivr.db.models import Attempt, DoNotCall, Household
from ivr.errors import InputError
from ivr.households import dnc
from ivr.households.dnc_file import import_dnc_file
from ivr.households.generate import generate_neighbourhood
from ivr.households.optout import clear_opt_out, record_opt_out
from ivr.households.problems import HouseholdFileError
from tests.households.helpers import write_text


def test_one_entry_per_number_however_written(any_db: Database) -> None:
    with any_db.session() as session:
        dnc.add_number(session, "138 0013 8000", reason="asked by phone")
        again = dnc.add_number(session, "+86-138-0013-8000", reason="other")
        assert again.reason == "asked by phone"
        assert dnc.is_do_not_call(session, "008613800138000")
        assert not dnc.is_do_not_call(session, "13900139000")
        assert dnc.blocked_numbers(session, ["+8613800138000", "+8613900139000"]) == {
            "+8613800138000"
        }
        with pytest.raises(InputError):
            dnc.add_number(session, "not a number")
        assert dnc.remove_number(session, "13800138000")
        assert not dnc.remove_number(session, "13800138000")
        assert dnc.list_numbers(session) == []


def test_file_import_is_all_or_nothing(any_db: Database, tmp_path: Path) -> None:
    plain = write_text(tmp_path / "plain.txt", "13800138000\n13900139000\n\n13800138000\n")
    with any_db.session() as session:
        result = import_dnc_file(session, plain)
    assert (result.rows, result.added, result.already_listed) == (3, 2, 0)

    bad = write_text(
        tmp_path / "bad.csv",
        "号码,原因\n13700137000,投诉\n137-0013-700x,\n13900139000,again\n",
        "gbk",
    )
    with pytest.raises(HouseholdFileError) as caught, any_db.session() as session:
        import_dnc_file(session, bad)
    assert [(p.row, p.column) for p in caught.value.details] == [(3, "号码")]

    good = write_text(
        tmp_path / "good.csv", "号码,原因\n13700137000,投诉\n13900139000,again\n", "gbk"
    )
    with any_db.session() as session:
        result = import_dnc_file(session, good)
        assert (result.added, result.already_listed) == (1, 1)
        assert session.get(DoNotCall, "+8613700137000").reason == "投诉"
        assert session.scalar(select(func.count()).select_from(DoNotCall)) == 3


def test_opt_out_marks_the_household_and_blocks_the_number(any_db: Database) -> None:
    with any_db.session() as session:
        hood = generate_neighbourhood(session, households=2, buildings=1, seed=5)
        household = session.get(Household, hood.households[0].id)
        number = hood.households[0].phones[0]
        attempt = Attempt(household_id=household.id, number=number)
        session.add(attempt)
        session.flush()

        record_opt_out(session, household, number=number, attempt_id=attempt.id)

        assert household.opted_out and household.opted_out_by == f"attempt {attempt.id}"
        entry = session.get(DoNotCall, number)
        assert entry is not None and f"attempt {attempt.id}" in entry.reason
        with pytest.raises(InputError):
            record_opt_out(session, household)  # who recorded it must be known
        clear_opt_out(session, household, staff_user_id=1)
        assert not household.opted_out
        assert dnc.is_do_not_call(session, number)  # the number stays blocked until removed


def test_dnc_commands_never_print_whole_numbers(db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("IVR_DATABASE_URL", db.url)
    runner = CliRunner()
    assert runner.invoke(app, ["dnc", "add", "13800138000", "--reason", "x"]).exit_code == 0
    listed = runner.invoke(app, ["dnc", "list"])
    assert "138****8000" in listed.output and "13800138000" not in listed.output
    assert runner.invoke(app, ["dnc", "check", "138 0013 8000"]).exit_code == 0
    assert runner.invoke(app, ["dnc", "remove", "13800138000"]).exit_code == 0
    assert runner.invoke(app, ["dnc", "check", "13800138000"]).exit_code == 1
