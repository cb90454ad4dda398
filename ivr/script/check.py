"""Checking a script before it can call anyone: every problem, each with file:line:column.

Beyond the shape (unknown fields, wrong types) a script must make sense as a conversation:
every step named exists, every step can be reached from ``start``, every path ends in a step
with an outcome, no loop is without a way out, every placeholder has a value source, and every
rule's condition reads answers the script stores.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ivr.errors import ScriptError
from ivr.script import conditions
from ivr.script.model import (
    ANSWER_PLACEHOLDERS,
    HOUSEHOLD_PLACEHOLDERS,
    PLACEHOLDER,
    REPEAT,
    Script,
)
from ivr.script.yamlmarks import MarkedDocument, PathKey
from ivr.understanding import Asked

YES_NO_ANSWERS = ("yes", "no")
CONDITION_BUILTINS = {"status"}  # the household's colour before the call


@dataclass(frozen=True)
class Problem:
    where: str  # file:line:column
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def check_file(path: Path) -> tuple[Script | None, list[Problem]]:
    """Parse, validate and check ``path``; the script is None when its shape is wrong."""
    try:
        document = MarkedDocument.from_file(path)
    except ScriptError as exc:
        where, _, message = str(exc).partition(": ")
        return None, [Problem(where, message)]
    return check_document(document)


def check_text(source: str, name: str = "<script>") -> tuple[Script | None, list[Problem]]:
    try:
        document = MarkedDocument(source, name)
    except ScriptError as exc:
        where, _, message = str(exc).partition(": ")
        return None, [Problem(where, message)]
    return check_document(document)


def check_document(document: MarkedDocument) -> tuple[Script | None, list[Problem]]:
    if not isinstance(document.data, dict):
        return None, [Problem(document.where(()), "a script is a mapping of fields")]
    try:
        script = Script.model_validate(document.data)
    except ValidationError as exc:
        return None, _shape_problems(document, exc)
    return script, _Checker(script, document).run()


def load_script(path: Path) -> Script:
    """The script at ``path``, or ScriptError listing every problem."""
    script, problems = check_file(path)
    if problems or script is None:
        raise ScriptError(f"{path}: {len(problems)} problem(s)", [str(p) for p in problems])
    return script


def yes_no_questions(folder: Path) -> dict[str, Asked]:
    """What each yes/no question of the scripts in ``folder`` asks (its own phrases), by step
    name; where two scripts name a step alike, the first by file name."""
    asked: dict[str, Asked] = {}
    for path in sorted(folder.glob("*.yaml")):
        for name, step in load_script(path).steps.items():
            if step.expect == "yes_no":
                asked.setdefault(name, step.asked)
    return asked


def load_script_text(source: str, name: str) -> Script:
    script, problems = check_text(source, name)
    if problems or script is None:
        raise ScriptError(f"{name}: {len(problems)} problem(s)", [str(p) for p in problems])
    return script


def _shape_problems(document: MarkedDocument, error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc: PathKey = tuple(part for part in item["loc"] if not _is_validator_tag(part))
        kind = item["type"]
        if kind == "extra_forbidden":
            field = loc[-1] if loc else "?"
            known = _known_fields(loc[:-1])
            hint = f" (known: {', '.join(known)})" if known else ""
            problems.append(Problem(document.key_where(loc), f"unknown field {field!r}{hint}"))
        elif kind == "missing":
            problems.append(Problem(document.where(loc[:-1]), f"missing field {loc[-1]!r}"))
        else:
            name = ".".join(str(p) for p in loc) or "script"
            message = item["msg"].removeprefix("Value error, ")
            problems.append(Problem(document.where(loc), f"{name}: {message}"))
    return problems


def _is_validator_tag(part: object) -> bool:
    # pydantic adds tags such as "str" or "list[Branch]" to the locations of union members
    return isinstance(part, str) and ("[" in part or part in ("str", "int", "float", "bool"))


def _known_fields(parent: PathKey) -> list[str]:
    from ivr.script import model

    owner: type = model.Script
    if len(parent) >= 2 and parent[0] == "steps":
        owner = model.Step
        if len(parent) >= 3 and parent[2] == "reprompt":
            owner = model.Reprompts
    elif parent[:1] == ("messages",):
        owner = model.Messages
    elif parent[:1] == ("rules",):
        owner = model.Rule
    elif parent[:1] == ("variables",):
        owner = model.Variable
    return sorted(owner.model_fields)  # type: ignore[attr-defined]


class _Checker:
    def __init__(self, script: Script, document: MarkedDocument) -> None:
        self.script = script
        self.doc = document
        self.problems: list[Problem] = []

    def add(self, path: PathKey, message: str) -> None:
        self.problems.append(Problem(self.doc.where(path), message))

    def run(self) -> list[Problem]:
        self._targets()
        self._answers()
        self._graph()
        self._placeholders()
        self._rules()
        # report in file order
        return sorted(self.problems, key=_position)

    # -- references ---------------------------------------------------------------------------

    def _targets(self) -> None:
        steps = self.script.steps
        if self.script.start not in steps:
            self.add(("start",), f"start step {self.script.start!r} is not defined")
        for name, step in steps.items():
            for target, where in step.targets():
                if target not in steps:
                    self.add(("steps", name, *where), f"step {target!r} is not defined")
            if isinstance(step.next, list):
                for i, branch in enumerate(step.next):
                    if branch.when is None and i != len(step.next) - 1:
                        self.add(("steps", name, "next", i), "a branch without 'when' must be last")
                if step.next and step.next[-1].when is not None:
                    self.add(
                        ("steps", name, "next"),
                        "the last branch needs no 'when': it is the path when nothing matches",
                    )

    def _answers(self) -> None:
        for name, step in self.script.steps.items():
            if step.ask is None:
                continue
            allowed: Iterable[str]
            if step.expect == "yes_no":
                allowed = YES_NO_ANSWERS
            elif step.expect == "choice":
                allowed = step.options
            else:
                allowed = ()
            for answer in step.on:
                if answer not in allowed and answer != REPEAT:
                    known = ", ".join((*allowed, REPEAT))
                    self.add(
                        ("steps", name, "on", answer),
                        f"{step.expect} has no answer {answer!r} (possible: {known})",
                    )
            if step.next is None:
                missing = [a for a in allowed if a not in step.on]
                if not set(step.on) - {REPEAT}:
                    self.add(("steps", name), "missing outcome: the question has no 'next' or 'on'")
                elif missing:
                    self.add(
                        ("steps", name, "on"),
                        f"missing outcome for answer(s) {', '.join(missing)}: add them or 'next'",
                    )
                if step.on_fail is None and step.on:
                    self.add(
                        ("steps", name),
                        "missing outcome when the answer is not understood: add 'on_fail'",
                    )

    # -- the conversation graph ---------------------------------------------------------------

    def _graph(self) -> None:
        steps = self.script.steps
        edges = {n: [t for t, _ in s.targets() if t in steps] for n, s in steps.items()}
        for name, step in steps.items():
            if step.say is not None and step.end is None and step.next is None:
                self.add(("steps", name), "missing outcome: the step has no 'next' and no 'end'")
        if self.script.start not in steps:
            return
        reachable = _reach(self.script.start, edges)
        for name in steps:
            if name not in reachable:
                self.add(("steps", name), f"step {name!r} can never be reached from the start")
        # steps from which no ending step can be reached: a loop with no way out (or a dead end
        # already reported above)
        ends = {n for n, s in steps.items() if s.end is not None}
        can_end = _reach_backwards(ends, edges)
        for name in steps:
            if name in reachable and name not in can_end and _in_cycle(name, edges):
                self.add(
                    ("steps", name),
                    f"step {name!r} is in a loop with no way out to a step that ends the call",
                )

    # -- placeholders -------------------------------------------------------------------------

    def _placeholders(self) -> None:
        known = set(HOUSEHOLD_PLACEHOLDERS) | set(self.script.variables)
        for name, step in self.script.steps.items():
            self._text(("steps", name, "say" if step.say else "ask"), step.text, known)
            if isinstance(step.confirm, str):
                self._text(("steps", name, "confirm"), step.confirm, known | ANSWER_PLACEHOLDERS)
            for field in ("no_input", "no_match", "keypad"):
                text = getattr(step.reprompt, field)
                if text:
                    self._text(("steps", name, "reprompt", field), text, known)
            if step.confirm and step.expect not in ("temperature", "digits", "choice", "free"):
                self.add(
                    ("steps", name, "confirm"),
                    f"read-back is for numbers and choices, not {step.expect}",
                )
        for field, text in self.script.messages.model_dump().items():
            allowed = known | ANSWER_PLACEHOLDERS if field == "confirm" else known
            self._text(("messages", field), text, allowed)

    def _text(self, path: PathKey, text: str, known: set[str]) -> None:
        for match in PLACEHOLDER.finditer(text):
            name = match.group(1).strip()
            if name not in known:
                hint = (
                    ""
                    if name in ANSWER_PLACEHOLDERS
                    else (
                        " (declare it under 'variables', or use one of "
                        + ", ".join(sorted(HOUSEHOLD_PLACEHOLDERS))
                        + ")"
                    )
                )
                self.add(path, f"placeholder {{{name}}} is not defined{hint}")
        if text.count("{") != text.count("}"):
            self.add(path, "unbalanced { } in text")

    # -- rules ---------------------------------------------------------------------------------

    def _rules(self) -> None:
        stored = set(self.script.stored_fields)
        for name, step in self.script.steps.items():
            if isinstance(step.next, list):
                for i, branch in enumerate(step.next):
                    if branch.when is not None:
                        self._condition(("steps", name, "next", i, "when"), branch.when, stored)
        for i, rule in enumerate(self.script.rules):
            self._condition(("rules", i, "when"), rule.when, stored)

    def _condition(self, path: PathKey, text: str, stored: set[str]) -> None:
        try:
            parsed = conditions.parse(text)
        except conditions.ConditionError as exc:
            self.add(path, str(exc))
            return
        for field in sorted(parsed.fields - stored - CONDITION_BUILTINS):
            self.add(path, f"condition reads {field!r}, which no step stores")


def _reach(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for target in edges[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _reach_backwards(goals: set[str], edges: dict[str, list[str]]) -> set[str]:
    reverse: dict[str, list[str]] = {n: [] for n in edges}
    for source, targets in edges.items():
        for target in targets:
            reverse[target].append(source)
    seen, todo = set(goals), list(goals)
    while todo:
        for source in reverse[todo.pop()]:
            if source not in seen:
                seen.add(source)
                todo.append(source)
    return seen


def _in_cycle(name: str, edges: dict[str, list[str]]) -> bool:
    return name in _reach_from_successors(name, edges)


def _reach_from_successors(name: str, edges: dict[str, list[str]]) -> set[str]:
    found: set[str] = set()
    for target in edges[name]:
        found |= _reach(target, edges)
    return found


def _position(problem: Problem) -> tuple[int, int]:
    parts = problem.where.rsplit(":", 2)
    try:
        return int(parts[-2]), int(parts[-1])
    except (ValueError, IndexError):
        return (0, 0)
