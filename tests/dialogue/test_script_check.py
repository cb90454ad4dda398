"""`ivr script check`: every problem with file:line:column; shipped scripts are clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ivr.cli import app
from ivr.errors import ScriptError
from ivr.script import check_file, check_text, load_script
from ivr.script.conditions import ConditionError, parse

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


@pytest.mark.parametrize("name", ["mask_notice.yaml", "temperature_checkin.yaml"])
def test_shipped_scripts_are_clean(name: str) -> None:
    script, problems = check_file(SCRIPTS / name)
    assert problems == []
    assert script is not None and script.language == "en" and script.voice


BROKEN = """\
name: broken
start: hello
steps:
  hello:
    say: "Hi {bulding}"
    next: question
  question:
    ask: "Yes?"
    expect: yes_no
    on:
      "yes": loop_a
      "maybe": hello
  loop_a:
    say: "again"
    next: loop_b
  loop_b:
    say: "and again"
    next: loop_a
  orphan:
    say: "never"
    end: completed
  dead_end:
    say: "and then nothing"
rules:
  - when: fever >= 37.3 and
    flag: fever
  - when: temperature > 37
    flag: fever
"""


def problems_of(source: str) -> list[str]:
    _, problems = check_text(source, "broken.yaml")
    return [str(p) for p in problems]


def test_every_problem_is_reported_with_its_place() -> None:
    found = problems_of(BROKEN)
    expected = [
        "broken.yaml:5:10: placeholder {bulding} is not defined",
        "broken.yaml:11:7: missing outcome for answer(s) no",
        "broken.yaml:12:16: yes_no has no answer 'maybe'",
        "broken.yaml:14:5: step 'loop_a' is in a loop with no way out",
        "broken.yaml:17:5: step 'loop_b' is in a loop with no way out",
        "broken.yaml:20:5: step 'orphan' can never be reached from the start",
        "broken.yaml:23:5: missing outcome: the step has no 'next' and no 'end'",
        "broken.yaml:25:11: condition 'fever >= 37.3 and' ends too early",
        "broken.yaml:27:11: condition reads 'temperature', which no step stores",
        "broken.yaml:8:5: missing outcome when the answer is not understood: add 'on_fail'",
    ]
    for problem in expected:
        assert any(line.startswith(problem) for line in found), (problem, found)


def test_unknown_fields_are_named_with_the_known_ones() -> None:
    source = "name: x\nstart: a\nsteps:\n  a:\n    say: hi\n    nxt: b\n    end: completed\n"
    (problem,) = problems_of(source)
    assert problem.startswith("broken.yaml:6:5: unknown field 'nxt' (known: ask, confirm, end")


def test_wrong_types_and_missing_fields() -> None:
    source = "name: x\nsteps:\n  a:\n    ask: hi\n    tries: many\n"
    found = problems_of(source)
    assert any("missing field 'start'" in p for p in found), found
    assert any(p.startswith("broken.yaml:5:12: steps.a.tries") for p in found), found


QUESTION_PHRASES = """\
name: x
start: a
steps:
  a:
    ask: "Any symptoms?"
    expect: yes_no
    means_yes: ["I'm not well", "  "]
    means_no: ["I'm well"]
    next: b
    on_fail: b
  b:
    ask: "Your temperature?"
    expect: temperature
    means_no: ["I'm fine"]
    next: c
    on_fail: c
  c:
    say: bye
    end: completed
"""


def test_question_phrases_are_checked_with_their_place() -> None:
    found = problems_of(QUESTION_PHRASES)
    assert any(
        p.startswith("broken.yaml:7:16: steps.a.means_yes: '  ' has no words") for p in found
    ), found
    assert any(p.startswith("broken.yaml:12:5: steps.b: 'means_yes' and 'means_no' are only")
               for p in found), found  # fmt: skip
    both = (
        "name: x\nstart: a\nsteps:\n  a:\n    ask: Any symptoms?\n    expect: yes_no\n"
        '    means_yes: ["I\'m not well"]\n    means_no: ["I\'m well", "I\'m NOT well!"]\n'
        "    next: c\n    on_fail: c\n  c:\n    say: bye\n    end: completed\n"
    )
    (problem,) = problems_of(both)
    assert problem.startswith('broken.yaml:8:15: steps.a.means_no: "i\'m not well" is also in')


def test_invalid_yaml_has_a_place() -> None:
    (problem,) = problems_of("name: x\nsteps:\n  a: [unclosed\n")
    assert problem.startswith("broken.yaml:4:1: not valid YAML")


def test_load_script_refuses_with_every_problem() -> None:
    with pytest.raises(ScriptError) as refused:
        from ivr.script import load_script_text

        load_script_text(BROKEN, "broken.yaml")
    assert len(refused.value.problems) >= 9


def test_conditions() -> None:
    fever = parse("temperature >= 37.3 and not (symptoms is false)")
    assert fever({"temperature": 37.3, "symptoms": True})
    assert not fever({"temperature": 37.2, "symptoms": True})
    assert not fever({"temperature": "unclear", "symptoms": True})  # unknown never matches
    assert parse("went_out is unclear")({"went_out": "unclear"})
    assert parse("went_out is missing")({})
    assert parse("status == orange or status == 'red'")({"status": "red"})
    for bad in ["temperature >", "temperature = 3", "is true", "a and", "(a is true", "a ~ 3"]:
        with pytest.raises(ConditionError):
            parse(bad)


def test_cli_check_exit_codes_and_json(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN)
    runner = CliRunner()
    good = runner.invoke(app, ["script", "check", str(SCRIPTS / "mask_notice.yaml")])
    assert good.exit_code == 0 and "ok" in good.output
    bad = runner.invoke(app, ["script", "check", "--json", str(broken)])
    assert bad.exit_code == 1
    report = json.loads(bad.output.splitlines()[0])
    assert report["ok"] is False
    assert {"where": f"{broken}:6:11", "message": "step 'question' is not defined"} not in \
        report["problems"]  # fmt: skip
    assert any(p["where"] == f"{broken}:5:10" for p in report["problems"])


def test_load_script_of_a_missing_file() -> None:
    with pytest.raises(ScriptError, match="no such script file"):
        load_script(Path("/nonexistent/script.yaml"))
