"""What a conversation needs from the line it runs on, and what it gets back.

The dialogue never touches audio, Asterisk or a keyboard: it calls ``say`` and ``listen`` on a
Channel. ``AudioChannel`` (a real call: AudioSocket, endpointing, recognition, prompt cache)
and ``TextChannel`` (``ivr script try`` and tests: typed answers) are the two kinds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ivr.understanding import Asked, IntentMatch

HeardKind = Literal["speech", "keys", "no_input", "hangup"]


@dataclass(frozen=True)
class Prompt:
    """One thing the robot says: a stable id (for the turn record and the cache) and text."""

    id: str
    text: str


@dataclass
class SayResult:
    completed: bool  # played to the end (not cut by barge-in or hangup)
    barged_in: bool = False
    barge_in_ms: float | None = None  # speech onset → playback stopped
    first_frame_at: float | None = None  # monotonic time the first frame went out


@dataclass
class Heard:
    """One answer from the resident, as understood for what the question expects."""

    kind: HeardKind
    text: str = ""  # what was recognised (speech) or the keys pressed
    value: Any = None  # the understood answer (float °C, bool, option, text, digits)
    understood: Any = None  # the typed result (ivr.understanding) with its details
    confidence: float = 0.0
    intent: IntentMatch | None = None  # repeat / opt_out / human / who_is_calling
    keys: str = ""
    speech_end_at: float | None = None  # monotonic time the resident stopped speaking
    asr_ms: float | None = None
    hypotheses: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    @property
    def hung_up(self) -> bool: ...

    async def say(self, prompt: Prompt, *, interruptible: bool = True) -> SayResult: ...

    async def listen(
        self, expect: str, asked: Asked | None = None, *, patience_s: float | None = None
    ) -> Heard:
        """The resident's answer; ``patience_s``: how long to wait for it to start, when they
        asked the robot to wait (None: the usual no-input timeout)."""
        ...

    async def hang_up(self) -> None: ...

    async def staff_free(self) -> bool:
        """Is a staff phone configured, registered and not in a call?"""
        ...

    async def transfer(self) -> bool:
        """Hand the resident to a free staff phone; False when that failed."""
        ...
