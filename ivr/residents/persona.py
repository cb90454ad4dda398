"""Personas of simulated residents, and how they are stored in Asterisk's AstDB.

A persona is kept as one AstDB value, ``ivr-persona/<number>``:

    <kind>|<ring seconds>|<hold seconds>|<details as compact JSON>

The ``[residents]`` dialplan context reads the first three fields (refusals and brief calls are
played by Asterisk itself); the resident simulator reads the whole persona when it answers.
``encode`` and ``decode`` sit side by side so the two cannot drift apart.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ivr.errors import InputError

ASTDB_FAMILY = "ivr-persona"

# kinds Asterisk plays itself, without the simulator
DIALPLAN_KINDS = ("busy", "congestion", "noanswer", "unallocated", "brief")
Kind = Literal[
    "talk",  # answers and converses according to the details below
    "voicemail",  # an answering machine: greeting, beep, then listens
    "silent",  # answers and never says anything
    "busy",
    "congestion",
    "noanswer",
    "unallocated",  # number not in service
    "brief",  # answers, stays hold_s seconds in silence, hangs up (load tests)
]
TemperatureStyle = Literal["words", "digits", "fahrenheit", "half", "short"]


class Persona(BaseModel):
    """Who answers a simulated number, what they know, and how they behave."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind = "talk"
    ring_s: int = Field(1, ge=0, le=120)
    hold_s: int = Field(2, ge=0, le=600)
    # what the resident knows: the truth the robot should store
    temperature: float = Field(36.6, ge=34.0, le=42.5)  # °C
    temperature_style: TemperatureStyle = "words"
    went_out: bool = False
    symptoms: tuple[str, ...] = ()  # e.g. ("cough",)
    # how they speak
    voice: str = "espeak:en-us"  # a voice spec of ivr.speech.load_voice
    noise_snr_db: float | None = None  # a noisy line
    level_db: float = Field(0.0, ge=-40.0, le=0.0)  # a quiet caller: their voice this far down
    # a noisy place (a street, a fan): noise of this level (dBFS) all call long, words or not
    line_noise_dbfs: float | None = Field(None, ge=-80.0, le=-20.0)
    # how they behave
    reply: str | None = None  # say exactly this after the robot speaks (line tests)
    # answers these questions in these words instead of the usual ones ("I went for a walk.")
    says: dict[Literal["went_out", "symptoms"], Annotated[str, Field(max_length=200)]] = {}
    dtmf_only: bool = False  # answers only with the keypad
    repeat_first: bool = False  # asks the robot to repeat its first question
    misspeak_c: float | None = None  # says this temperature first, corrects it when read back
    opt_out_at: int | None = None  # at this question (1-based) asks never to be called again
    human_at: int | None = None  # at this question asks for a person
    hangup_at: int | None = None  # hangs up instead of answering this question (1-based)
    hangup_after_s: float | None = None  # hangs up this long after answering
    silent_at: int | None = None  # says nothing at this question (and after)
    barges_in: bool = False  # says "yes" over the robot's read-back without waiting for its end
    # reads the thermometer as they speak: this long a pause before the tenth ("thirty six ...
    # point five")
    pauses_in_reading_s: float | None = Field(None, ge=0.1, le=3.0)
    # asked their temperature, says "hold on, let me get the thermometer" and is back this long
    # after (the first time)
    fetches_thermometer_s: float | None = Field(None, ge=1.0, le=60.0)

    @property
    def played_by_dialplan(self) -> bool:
        return self.kind in DIALPLAN_KINDS

    def encode(self) -> str:
        details = self.model_dump(
            exclude={"kind", "ring_s", "hold_s"}, exclude_defaults=True, mode="json"
        )
        text = (
            f"{self.kind}|{self.ring_s}|{self.hold_s}|{json.dumps(details, separators=(',', ':'))}"
        )
        if "\n" in text or "\r" in text or len(text) > 1000:
            raise InputError("persona too long or has a line break")
        return text

    @classmethod
    def decode(cls, value: str) -> Persona:
        kind, ring, hold, details = [*value.split("|", 3), "", "", ""][:4]
        try:
            fields = json.loads(details) if details else {}
            return cls(kind=kind, ring_s=int(ring or 1), hold_s=int(hold or 2), **fields)
        except (ValueError, ValidationError) as exc:
            raise InputError(f"persona {value!r} cannot be read: {exc}") from exc


def number_from_session(session_uuid: str) -> str:
    """The dialplan puts the called number, left-padded with 'f', in the session id's first
    16 hex digits (see dialplans/extensions.conf.j2, context [residents])."""
    return session_uuid.replace("-", "")[:16].lstrip("f")
