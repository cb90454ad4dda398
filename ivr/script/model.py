"""What a dialogue script may say: the validated model of ``scripts/*.yaml``.

A script is a set of named steps. A step either *says* something and moves on, or *asks* a
question with an expected answer type (temperature, yes/no, choice, free text, digits) and
moves on according to the answer. Steps that end the call name the call's outcome. ``rules``
turn the answers into flags and status colours; ``messages`` hold what the robot says for
repeat, opt-out, a request for a person, "who is calling", reprompts and answering machines.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ivr.db.models import Colour, FlagKind
from ivr.understanding import Asked
from ivr.understanding.text import normalize

STEP_NAME = r"[a-z][a-z0-9_]{0,59}"
_STEP_NAME = re.compile(STEP_NAME)
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

# Household facts every script may use in its text, filled from the database.
HOUSEHOLD_PLACEHOLDERS = {
    "building": "the building name or number",
    "unit": "the unit (entrance) of the building",
    "room": "the room (door) number",
    "committee": "the neighbourhood committee's name",
    "street": "the street office's name",
    "name": "the first resident's name (empty when unknown)",
}
# Filled by the robot while it talks: only allowed where the step says so.
ANSWER_PLACEHOLDERS = {"value"}
# A question's 'on' key for where a request to repeat leads ("repeat": the notice), beside
# its answers.
REPEAT = "repeat"
# A question's own yes / no phrases: what one says in an answer, not a list of every answer.
MAX_PHRASES = 100
MAX_PHRASE_CHARS = 80

Expect = Literal["temperature", "yes_no", "choice", "free", "digits"]
Outcome = Literal[
    "completed",  # the script reached its end with the resident
    "opted_out",  # asked never to be called again
    "transferred",  # handed to a staff phone
    "callback",  # asked for a person; none free: a callback on the worklist
    "unclear",  # answers could not be understood; staff follow up
    "declined",  # the resident did not want to go on
]
OUTCOMES: tuple[str, ...] = Outcome.__args__  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Variable(_Strict):
    """A placeholder the campaign (or the household's own fields) must fill."""

    description: str = ""
    default: str | int | float | None = None

    @field_validator("default")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        return None if value is None else value


class Branch(_Strict):
    """``{when: "temperature >= 37.3", goto: advice}``; a branch without ``when`` always
    matches (the default, last)."""

    when: str | None = None
    goto: str


class Reprompts(_Strict):
    no_input: str | None = None  # nothing was said
    no_match: str | None = None  # something was said but not understood
    keypad: str | None = None  # the last try: ask for the keypad


class Step(_Strict):
    say: str | None = None
    ask: str | None = None
    expect: Expect | None = None
    options: tuple[str, ...] = ()  # for expect: choice
    # for expect: yes_no, what means yes or no to this question and not to every question:
    # to "any symptoms?" "I'm not well" is a yes; to "did you stay home?" "I stayed in" is one
    means_yes: tuple[str, ...] = ()
    means_no: tuple[str, ...] = ()
    store: Annotated[str, Field(pattern=STEP_NAME)] | None = None  # household field name
    confirm: str | bool | None = None  # read back the answer: True (default text) or a text
    reprompt: Reprompts = Reprompts()
    tries: int = Field(3, ge=1, le=6)  # how many times the question is asked before giving up
    interruptible: bool = True  # may the resident talk over it (barge-in)
    on: dict[str, str] = {}  # answer → step (yes/no, an option); "repeat": where a repeat goes
    next: str | list[Branch] | None = None
    on_fail: str | None = None  # not understood after every try (stored as "unclear")
    end: Outcome | None = None

    @model_validator(mode="after")
    def _shape(self) -> Step:
        if (self.say is None) == (self.ask is None):
            raise ValueError("a step has exactly one of 'say' or 'ask'")
        if self.ask is not None and self.expect is None:
            raise ValueError(
                "an 'ask' step needs 'expect' (temperature, yes_no, choice, free, digits)"
            )
        if self.say is not None:
            for name in ("expect", "store", "confirm", "on_fail"):
                if getattr(self, name) is not None:
                    raise ValueError(f"'{name}' belongs to 'ask' steps, not 'say' steps")
            if self.on or self.options:
                raise ValueError("'on' and 'options' belong to 'ask' steps")
        if self.expect == "choice" and not self.options:
            raise ValueError("expect: choice needs 'options'")
        if self.expect != "choice" and self.options:
            raise ValueError("'options' is only for expect: choice")
        if self.expect != "yes_no" and (self.means_yes or self.means_no):
            raise ValueError("'means_yes' and 'means_no' are only for expect: yes_no")
        if self.end is not None and (self.next is not None or self.on):
            raise ValueError("a step with 'end' has no 'next' or 'on'")
        if self.end is not None and self.ask is not None:
            raise ValueError("a question cannot end the call; end on a 'say' step")
        return self

    @field_validator("means_yes", "means_no")
    @classmethod
    def _phrases(cls, phrases: tuple[str, ...]) -> tuple[str, ...]:
        if len(phrases) > MAX_PHRASES:
            raise ValueError(f"at most {MAX_PHRASES} phrases")
        for phrase in phrases:
            if not normalize(phrase):
                raise ValueError(f"{phrase!r} has no words to listen for")
            if len(phrase) > MAX_PHRASE_CHARS:
                raise ValueError(f"{phrase[:20]!r}... is longer than {MAX_PHRASE_CHARS} characters")
        return phrases

    @field_validator("means_no")
    @classmethod
    def _not_both(cls, means_no: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        means_yes = info.data.get("means_yes", ())
        both = {normalize(p) for p in means_yes} & {normalize(p) for p in means_no}
        if both:
            raise ValueError(f"{sorted(both)[0]!r} is also in 'means_yes'")
        return means_no

    @property
    def asked(self) -> Asked:
        """What this question says of its answers, for the parsers."""
        return Asked(self.options, self.means_yes, self.means_no)

    @property
    def text(self) -> str:
        return self.say if self.say is not None else self.ask  # type: ignore[return-value]

    def targets(self) -> list[tuple[str, tuple[str | int, ...]]]:
        """Every step this one can go to, with where it is named in the step."""
        found: list[tuple[str, tuple[str | int, ...]]] = []
        if isinstance(self.next, str):
            found.append((self.next, ("next",)))
        elif isinstance(self.next, list):
            found += [(b.goto, ("next", i, "goto")) for i, b in enumerate(self.next)]
        found += [(target, ("on", answer)) for answer, target in self.on.items()]
        if self.on_fail is not None:
            found.append((self.on_fail, ("on_fail",)))
        return found


class Rule(_Strict):
    """After the call: when the condition holds on the stored answers, do what it says."""

    when: str
    flag: FlagKind | None = None
    detail: str = ""
    status: Colour | None = None
    reason: str = ""

    @model_validator(mode="after")
    def _does_something(self) -> Rule:
        if self.flag is None and self.status is None:
            raise ValueError("a rule sets a 'flag', a 'status', or both")
        return self


class Messages(_Strict):
    """What the robot says outside the steps; every text may use household placeholders."""

    machine: str = (
        "Hello, this is the {committee} neighbourhood committee. Please call the committee "
        "office when you can. Goodbye."
    )
    who_is_calling: str = "This is an automated call from the {committee} neighbourhood committee."
    no_input: str = "Sorry, I did not hear anything."
    no_match: str = "Sorry, I did not understand."
    wait: str = "Of course, take your time."  # "hold on, let me check": then it listens longer
    confirm: str = "I heard {value}. Is that right?"
    confirm_no: str = "Sorry about that. Let's try again."
    opt_out_confirm: str = (
        "You asked us not to call you again. Is that right? Please say yes or no."
    )
    opt_out: str = "We will not call you again. Goodbye."
    # asked only when the request for a person was read by learned word weights alone
    human_confirm: str = "Would you like to speak to a member of staff? Please say yes or no."
    human_transfer: str = "Please hold, I am connecting you to a member of staff."
    human_callback: str = "All our staff are busy. A member of staff will call you back. Goodbye."
    unclear: str = "Sorry, I could not understand. A member of staff may call you. Goodbye."
    keypad_yes_no: str = "Please press 1 for yes, or 2 for no."
    keypad_temperature: str = (
        "Please key in your temperature, for example 3 6 5, then the hash key."
    )
    keypad_digits: str = "Please key in the number, then the hash key."


class Script(_Strict):
    name: Annotated[str, Field(pattern=STEP_NAME)]
    description: str = ""
    language: Annotated[str, Field(pattern=r"[a-z]{2}(-[A-Za-z]{2,4})?")] = "en"
    voice: str = "en_US-joe-medium"
    version: int = 1
    variables: dict[Annotated[str, Field(pattern=STEP_NAME)], Variable] = {}
    start: str
    steps: dict[Annotated[str, Field(pattern=STEP_NAME)], Step]
    rules: tuple[Rule, ...] = ()
    messages: Messages = Messages()
    amd: bool = True  # detect answering machines and leave messages.machine

    def step(self, name: str) -> Step:
        return self.steps[name]

    @property
    def stored_fields(self) -> dict[str, str]:
        """field → expect, for every answer the script stores."""
        return {s.store: s.expect for s in self.steps.values() if s.store and s.expect}
