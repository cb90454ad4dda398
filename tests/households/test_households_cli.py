"""`ivr households …` from the command line: JSON contracts and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ivr.cli import app
from ivr.db import Database
from tests.households.helpers import counts, write_text


@pytest.fixture
def runner(db: Database, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("IVR_DATABASE_URL", db.url)
    return CliRunner()


def test_import_json_and_refusal(runner: CliRunner, db: Database, tmp_path: Path) -> None:
    good = write_text(tmp_path / "good.csv", "楼号,房号,电话\n1,101,13800138000\n", "gbk")
    bad = write_text(tmp_path / "bad.csv", "楼号,房号,电话\n1,101,13800138000\n2,,1\n")

    checked = runner.invoke(app, ["households", "import", str(good), "--dry-run", "--json"])
    assert checked.exit_code == 0 and json.loads(checked.stdout)["created"] == 1
    assert counts(db) == (0, 0, 0)
    done = json.loads(runner.invoke(app, ["households", "import", str(good), "--json"]).stdout)
    assert (done["ok"], done["encoding"], done["created"]) == (True, "gb18030", 1)

    refused = runner.invoke(app, ["households", "import", str(bad), "--json"])
    assert refused.exit_code == 1
    report = json.loads(refused.stdout)
    assert report["ok"] is False
    assert [(p["row"], p["column"], p["column_letter"]) for p in report["problems"]] == [
        (3, "房号", "B")
    ]
    human = runner.invoke(app, ["households", "import", str(bad)])
    assert human.exit_code == 1 and "row 3, column '房号' (B): room is empty" in human.output
    mapped = runner.invoke(app, ["households", "import", str(good), "--map", "nonsense"])
    assert mapped.exit_code == 1 and "COLUMN=FIELD" in mapped.output


def test_generate_list_show_summary_export(runner: CliRunner, tmp_path: Path) -> None:
    made = runner.invoke(
        app,
        [
            "households",
            "generate",
            "--households",
            "40",
            "--buildings",
            "2",
            "--committee",
            "Lotus",
            "--json",
        ],
    )
    assert made.exit_code == 0 and json.loads(made.stdout)["households"] == 40
    summary = json.loads(runner.invoke(app, ["households", "summary", "--json"]).stdout)
    assert sum(v for k, v in summary.items() if k != "flagged") == 40
    listed = runner.invoke(
        app, ["households", "list", "--committee", "Lotus", "--limit", "3", "--json"]
    )
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(rows) == 3 and all("****" in p for r in rows for p in r["phones"])
    shown = json.loads(
        runner.invoke(app, ["households", "show", str(rows[0]["id"]), "--json"]).stdout
    )
    assert shown["committee"] == "Lotus" and shown["history"][0]["from"] is None
    out = tmp_path / "out.xlsx"
    exported = runner.invoke(
        app, ["households", "export", str(out), "--committee", "Lotus", "--json"]
    )
    assert exported.exit_code == 0 and json.loads(exported.stdout)["rows"] == 40
    assert runner.invoke(app, ["households", "list", "--committee", "Nope"]).exit_code != 0
