"""The `ivr speech` command contracts."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ivr.cli import app


def test_say_then_recognize_json(tmp_path: Path) -> None:
    runner = CliRunner()
    wav = tmp_path / "answer.wav"
    said = runner.invoke(
        app, ["speech", "say", "ninety eight point six fahrenheit", "-o", str(wav)]
    )
    assert said.exit_code == 0, said.output
    assert wav.is_file()
    quiet = tmp_path / "quiet.wav"
    runner.invoke(app, ["speech", "say", ".", "-o", str(quiet)])
    result = runner.invoke(
        app, ["speech", "recognize", str(wav), str(quiet), "--expect", "temperature", "--json"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [set(line) for line in lines] == [
        {"file", "text", "expect", "value", "confidence", "ms"}
    ] * 2
    assert lines[0]["value"] == 37.0 and lines[0]["expect"] == "temperature"
    assert lines[1]["value"] is None


def test_recognize_refuses_unknown_expectation(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["speech", "recognize", "x.wav", "--expect", "weather"])
    assert result.exit_code != 0
