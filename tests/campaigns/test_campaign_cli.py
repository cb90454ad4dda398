"""`ivr campaign …` from the command line: validation errors that say what and where, the
state machine, and the JSON/CSV contracts (no Asterisk needed: nothing is dialled)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ivr.cli import app
from ivr.db import Database
from ivr.db.models import Campaign, Colour
from ivr.households.generate import generate_neighbourhood

REPO = Path(__file__).resolve().parents[2]
MASKS = str(REPO / "scripts" / "mask_notice.yaml")
CHECKIN = str(REPO / "scripts" / "temperature_checkin.yaml")


@pytest.fixture
def runner(db: Database, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("IVR_DATABASE_URL", db.url)
    with db.session() as session:
        generate_neighbourhood(session, households=120, buildings=6, seed=3)
    return CliRunner()


def refused(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, ["campaign", *args])
    assert result.exit_code != 0, result.output
    return str(result.exception)


def test_bad_input_is_refused_with_what_and_where(
    runner: CliRunner, db: Database, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\nstart: a\nsteps:\n  a:\n    say: hi\n    next: b\n")
    assert f"{broken}:6:11: step 'b' is not defined" in refused(
        runner, "create", "x", "--script", str(broken)
    )
    assert "matches no household" in refused(
        runner, "create", "x", "--script", MASKS, "--building", "40-50"
    )
    assert "never opens" in refused(
        runner, "create", "x", "--script", MASKS, "--window", "mon 10:00-10:00"
    )
    assert "outside every calling window" in refused(
        runner, "create", "x", "--script", CHECKIN, "--schedule", "07:00", "--window", "09:00-17:00"
    )
    assert "'nope' is not used by script" in refused(
        runner, "create", "x", "--script", MASKS, "--var", "nope=1"
    )
    assert "unknown outcome" in refused(
        runner, "create", "x", "--script", MASKS, "--retry", "sometimes=1m/2"
    )
    assert "Mars/Base" in refused(
        runner, "create", "x", "--script", MASKS, "--timezone", "Mars/Base"
    )
    with db.session() as session:
        assert session.query(Campaign).count() == 0  # nothing half-written


def test_lifecycle_status_and_results(runner: CliRunner, db: Database) -> None:
    made = runner.invoke(
        app,
        [
            "campaign",
            "create",
            "masks",
            "--script",
            MASKS,
            "--building",
            "1-3",
            "--window",
            "mon-sat 09:00-12:00",
            "--retry",
            "busy=5m/4",
            "--var",
            "masks=10",
            "--json",
        ],
    )
    assert made.exit_code == 0, made.output
    shown = json.loads(made.stdout)
    assert shown["state"] == "draft" and shown["total"] == shown["tasks"]["pending"] > 0
    assert "pause" in refused(runner, "pause", "masks")  # a draft cannot be paused
    for move, state in (("start", "running"), ("pause", "paused"), ("resume", "running")):
        done = runner.invoke(app, ["campaign", move, "masks", "--json"])
        assert json.loads(done.stdout)["state"] == state
    spec = json.loads(runner.invoke(app, ["campaign", "show", "masks", "--json"]).stdout)["spec"]
    assert spec["retry"]["busy"] == {"delay_s": 300, "max_attempts": 4}
    assert spec["windows"] == [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "start": "09:00:00", "end": "12:00:00"}
    ]
    status = json.loads(runner.invoke(app, ["campaign", "status", "--json"]).stdout)
    assert status["name"] == "masks" and status["finished"] == 0
    text = runner.invoke(app, ["campaign", "results", "masks", "--format", "csv"]).stdout
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == shown["total"] and {r["state"] for r in rows} == {"pending"}
    assert all(r["status"] != Colour.GREY.value for r in rows)  # vacant flats never called
    cancelled = runner.invoke(app, ["campaign", "cancel", "masks", "--json"])
    assert json.loads(cancelled.stdout)["state"] == "cancelled"
    lines = runner.invoke(app, ["campaign", "results", "masks", "-f", "json"]).stdout.splitlines()
    assert {json.loads(line)["outcome"] for line in lines} == {"cancelled"}
    listed = json.loads(runner.invoke(app, ["campaign", "list", "--json"]).stdout)
    assert listed["finished"] == listed["tasks"]


def test_recurring_campaign_has_a_task_per_occurrence(runner: CliRunner) -> None:
    made = runner.invoke(
        app,
        [
            "campaign",
            "create",
            "checkin",
            "--script",
            CHECKIN,
            "--status",
            "orange",
            "--schedule",
            "09:00,16:00",
            "--days",
            "14",
            "--from",
            "2099-01-01",
            "--window",
            "08:30-20:00",
            "--json",
        ],
    )
    assert made.exit_code == 0, made.output
    rows = runner.invoke(app, ["campaign", "results", "checkin", "-f", "json"]).stdout
    occurrences = {json.loads(line)["occurrence"] for line in rows.splitlines()}
    assert len(occurrences) == 28 and "2099-01-01T09:00" in occurrences
