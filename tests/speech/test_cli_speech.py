"""The `ivr speech` command contracts."""

from __future__ import annotations

import json
import subprocess
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


def test_recognize_reads_telephone_audio_in_any_encoding(tmp_path: Path) -> None:
    # Telephone audio is often kept as G.711 (mu-law / A-law WAV, Asterisk's headerless .ulaw);
    # Python's wave module reads none of them. sox (Debian) writes each from one spoken answer.
    runner = CliRunner()
    wav = tmp_path / "answer.wav"
    said = runner.invoke(app, ["speech", "say", "thirty seven point two", "-o", str(wav)])
    assert said.exit_code == 0, said.output
    encodings = {
        "ulaw.wav": ["-r", "8000", "-e", "mu-law"], "alaw.wav": ["-r", "8000", "-e", "a-law"],
        "float.wav": ["-r", "44100", "-e", "floating-point", "-b", "32"],
        "stereo.wav": ["-r", "16000", "-c", "2"], "pcm24.wav": ["-r", "22050", "-b", "24"],
        "answer.flac": [], "answer.au": ["-e", "mu-law"],
        "answer.ulaw": ["-t", "raw", "-e", "mu-law", "-r", "8000"],
    }  # fmt: skip
    files = []
    for name, options in encodings.items():
        out = tmp_path / name
        subprocess.run(["sox", str(wav), *options, str(out)], check=True)
        files.append(str(out))
    result = runner.invoke(
        app, ["speech", "recognize", *files, "--expect", "temperature", "--json"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [line["file"] for line in lines] == files
    assert [line["value"] for line in lines] == [37.2] * len(files), lines


def test_an_unreadable_file_is_named_and_the_others_still_recognized(tmp_path: Path) -> None:
    runner = CliRunner()
    wav = tmp_path / "answer.wav"
    assert runner.invoke(app, ["speech", "say", "yes", "-o", str(wav)]).exit_code == 0
    text = tmp_path / "notes.wav"
    text.write_text("not audio", encoding="utf-8")
    missing = tmp_path / "missing.wav"
    result = runner.invoke(
        app, ["speech", "recognize", str(text), str(missing), str(wav), "--expect", "yes_no",
              "--json"],
    )  # fmt: skip
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [line["file"] for line in lines] == [str(text), str(missing), str(wav)]
    assert lines[0]["value"] is None and "notes.wav: cannot read audio" in lines[0]["error"]
    assert lines[1]["error"] == f"{missing}: no such file"
    assert lines[2]["value"] is True and "error" not in lines[2]
    assert "notes.wav: cannot read audio" in result.stderr


def test_recognize_with_the_question_own_phrases(tmp_path: Path) -> None:
    # to "did you stay home?" (not a question a script of ours asks) "I stayed home" is a yes
    runner = CliRunner()
    wav = tmp_path / "answer.wav"
    said = runner.invoke(app, ["speech", "say", "I stayed home.", "-o", str(wav)])
    assert said.exit_code == 0, said.output
    plain = runner.invoke(app, ["speech", "recognize", str(wav), "--expect", "yes_no", "--json"])
    assert json.loads(plain.stdout)["value"] is False, plain.output
    asked = runner.invoke(
        app, ["speech", "recognize", str(wav), "--expect", "yes_no", "--json",
              "--means-yes", "stayed home", "--means-no", "went out"],
    )  # fmt: skip
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.stdout)["value"] is True, asked.output


def test_recognize_refuses_question_phrases_that_cannot_apply(tmp_path: Path) -> None:
    runner = CliRunner()
    wrong_kind = runner.invoke(
        app, ["speech", "recognize", "x.wav", "--expect", "temperature", "--means-yes", "hot"]
    )
    assert wrong_kind.exit_code == 2
    assert "only for expect: yes_no" in wrong_kind.output
    both = runner.invoke(
        app, ["speech", "recognize", "x.wav", "--expect", "yes_no", "--means-yes", "I'm in",
              "--means-no", "i'm IN"],
    )  # fmt: skip
    assert both.exit_code == 2 and "--means-no" in both.output and "also in" in both.output
