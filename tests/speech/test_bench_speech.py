"""`ivr bench speech`'s grouping of clips and its clip files (its figures come from running
it, not from tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asr.evaluate import changed, evaluate, read_rows
from asr.recognizer import Recognizer
from asr.testset import Clip, build, load, read_said
from ivr.audio import write_wav
from ivr.cli import app
from ivr.cli.bench_speech import _accent, _questions
from ivr.speech import Synthesizer
from tests.speech.conftest import spoken


@pytest.mark.parametrize(
    ("voice", "accent"),
    [
        ("espeak:en-us-nyc+m2:150:40", "en-us-nyc"),
        ("espeak:en-gb-x-gbcwmd+Andy:135:50", "en-gb-x-gbcwmd"),
        ("espeak:en-gb:150:40", "en-gb"),
        ("piper:1.15", None),
        ("flite:awb:1.00", None),
        (None, None),
    ],
)
def test_accent_of_a_voice_spec(voice: str | None, accent: str | None) -> None:
    assert _accent(voice) == accent


def test_clip_rows_say_what_turned_right_between_runs(
    bot_voice: Synthesizer, recognizer: Recognizer, tmp_path: Path
) -> None:
    """``--clips`` rows of two real runs, and ``--against``'s account of what changed: run
    40 dB down, the answers are too quiet to hear; at their level, both are read."""
    answers = {"fever.wav": ("thirty eight point two", 38.2), "yes.wav": ("yes I did", True)}
    clips = []
    for name, (said, label) in answers.items():
        write_wav(tmp_path / name, spoken(bot_voice, said))
        expect = "temperature" if isinstance(label, float) else "yes_no"
        clips.append(Clip(name, "heldout", expect, said, label, "piper", "none", None, 250, 0))
    quiet = evaluate(recognizer, clips, tmp_path, level_db=-40.0).rows()
    heard = evaluate(recognizer, clips, tmp_path).rows()
    assert [(r["file"], r["right"], r["value"]) for r in quiet] == [
        ("fever.wav", False, None),
        ("yes.wav", False, None),
    ]
    assert [(r["right"], r["value"]) for r in heard] == [(True, 38.2), (True, True)]
    assert json.loads(json.dumps(heard)) == heard  # what --clips writes reads back the same

    better = changed(quiet, heard)
    assert (better["turned_right"], better["turned_wrong"], better["not_in_earlier"]) == (2, 0, 0)
    assert [(c["file"], c["before"], c["after"]) for c in better["clips"]] == [
        ("fever.wav", None, 38.2),
        ("yes.wav", None, True),
    ]
    worse = changed(heard, quiet)
    assert (worse["turned_right"], worse["turned_wrong"]) == (0, 2)
    other = changed(heard[1:], heard)  # another render: the clip is counted, not compared
    assert (other["turned_right"], other["not_in_earlier"], other["clips"]) == (0, 1, [])


def test_clip_files_are_checked_before_the_run(tmp_path: Path) -> None:
    earlier = tmp_path / "earlier.jsonl"
    row = {"file": "a.wav", "said": "yes", "right": True, "value": True}
    earlier.write_text(json.dumps(row) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"earlier.jsonl, line 2: not JSON"):
        read_rows(earlier)
    earlier.write_text(json.dumps(row) + "\n" + json.dumps({"file": "b.wav"}) + "\n")
    with pytest.raises(ValueError, match=r"line 2: no said, right, value"):
        read_rows(earlier)
    result = CliRunner().invoke(app, ["bench", "speech", "--against", str(earlier), "--json"])
    assert result.exit_code == 2
    assert "line 2: no said, right, value" in result.output
    assert "asr_ms_p50" not in result.output  # refused before anything was measured
    earlier.write_text(json.dumps(row) + "\n\n", encoding="utf-8")
    assert read_rows(earlier) == [row]
    nowhere = tmp_path / "no" / "clips.jsonl"
    result = CliRunner().invoke(app, ["bench", "speech", "--clips", str(nowhere), "--json"])
    assert result.exit_code == 2 and "no folder" in result.output


def test_said_files_are_checked_before_the_run(tmp_path: Path) -> None:
    said = tmp_path / "said.json"
    for entries, problem in [
        ({"text": "yes"}, "a JSON list of answers is expected"),
        ([{"text": "yes", "expect": "yes_no", "label": "yes"}], "entry 1: field 'label'"),
        ([{"text": "", "expect": "intent", "label": "human"}], "entry 1: field 'text'"),
        (
            [
                {"text": "thirty seven", "expect": "temperature", "label": 37.0},
                {"text": "hang on", "expect": "wait", "label": True},
            ],
            "entry 2: field 'expect'",
        ),
        ([{"text": "ok", "expect": "intent", "label": "goodbye"}], "one of repeat, opt_out"),
        (
            [{"text": "ninety nine", "expect": "temperature", "label": 99.0}],
            "entry 1: field 'label': 99.0 is no body temperature in °C",
        ),
    ]:
        said.write_text(json.dumps(entries), encoding="utf-8")
        with pytest.raises(ValueError, match=problem):
            read_said(said)
    said.write_text('[{"text": "yes",\n "expect": }]', encoding="utf-8")
    with pytest.raises(ValueError, match=r"said.json: line 2: not JSON"):
        read_said(said)
    said.write_text(
        json.dumps([{"text": "yes", "expect": "yes_no", "label": True, "question": "went_oot"}])
    )
    result = CliRunner().invoke(app, ["bench", "speech", "--said", str(said), "--json"])
    assert result.exit_code == 2
    assert "no yes/no question went_oot" in result.output and "went_out" in result.output
    assert "asr_ms_p50" not in result.output  # refused before anything was rendered


def test_a_said_file_is_spoken_by_two_voices(tmp_path: Path) -> None:
    said = tmp_path / "said.json"
    entries = [
        {"text": "thirty seven point two", "expect": "temperature", "label": 37.2},
        {"text": "No need to repeat it.", "expect": "yes_no", "label": True, "question": "heard"},
    ]
    said.write_text(json.dumps(entries), encoding="utf-8")
    manifest = build(tmp_path, per_kind=6, splits=("speaker",), said=said)
    answers = [clip for clip in load(manifest) if clip.text]
    assert [(c.text, c.question) for c in answers] == [
        ("thirty seven point two", None),
        ("thirty seven point two", None),
        ("No need to repeat it.", "heard"),
        ("No need to repeat it.", "heard"),
    ]
    assert answers[0].voice != answers[1].voice and answers[2].voice != answers[3].voice
    assert all((manifest.parent / c.file).stat().st_size > 8000 for c in answers)


def test_a_said_answer_is_read_with_its_question(
    bot_voice: Synthesizer, recognizer: Recognizer, tmp_path: Path
) -> None:
    """To the notice's "did you hear?" "No need to repeat it." is a yes of the question's own
    phrases; to no question it is no yes (its "no" is heard)."""
    write_wav(tmp_path / "no-need.wav", spoken(bot_voice, "No need to repeat it."))
    clip = Clip("no-need.wav", "heldout", "yes_no", "No need to repeat it.", True, "piper",
                "none", None, 250, 0, question="heard")  # fmt: skip
    asked = evaluate(recognizer, [clip], tmp_path, questions=_questions({"heard"})).rows()
    plain = evaluate(recognizer, [clip], tmp_path).rows()
    assert [(r["right"], r["value"]) for r in asked] == [(True, True)]
    assert [r["right"] for r in plain] == [False]
