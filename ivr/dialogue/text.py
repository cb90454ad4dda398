"""A channel of typed text: ``ivr script try`` and dialogue tests.

What the robot says is printed (and, with audio, played); what the resident types is
understood by the same parsers a real call uses. A line of only digits, ``*`` and ``#`` is
keys pressed on the phone; an empty line is silence; ``/hangup`` hangs up.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable

from ivr.dialogue.channel import Heard, Prompt, SayResult
from ivr.understanding import Asked, IntentMatch, understand, understand_keys

KEYS = re.compile(r"[0-9*#]+")
HANGUP = "/hangup"


def understand_typed(text: str, expect: str, asked: Asked | None = None) -> Heard:
    """What a typed (or transcribed) answer means for ``expect`` (and what the question
    ``asked`` says of its answers), with any intent in it."""
    asked = asked or Asked()
    stripped = text.strip()
    if not stripped:
        return Heard("no_input")
    if KEYS.fullmatch(stripped.replace(" ", "")):
        keys = stripped.replace(" ", "")
        result = understand_keys(expect if expect != "intent" else "free", keys)  # type: ignore[arg-type]
        intent = result if isinstance(result, IntentMatch) else None
        value = None if intent else (result.value if result is not None else None)
        confidence = result.confidence if result is not None else 0.0
        return Heard("keys", keys, value, None if intent else result, confidence, intent, keys)
    intent = understand("intent", stripped)
    intent = intent if isinstance(intent, IntentMatch) else None
    if expect == "intent":
        return Heard("speech", stripped, None, None, 0.0, intent)
    result = understand(
        expect,  # type: ignore[arg-type]
        stripped,
        options=asked.options,
        affirm=asked.affirm,
        deny=asked.deny,
    )
    value = result.value if result is not None else None
    confidence = result.confidence if result is not None else 0.0
    return Heard("speech", stripped, value, result, confidence, intent)


class TextChannel:
    def __init__(
        self,
        ask: Callable[[str], Awaitable[str | None]],
        show: Callable[[str], None] = print,
        play: Callable[[Prompt], Awaitable[None]] | None = None,
        *,
        staff_available: bool = False,
    ) -> None:
        self._ask = ask  # returns the next typed line, or None at end of input
        self._show = show
        self._play = play
        self.staff_available = staff_available
        self._hung_up = False

    @property
    def hung_up(self) -> bool:
        return self._hung_up

    async def say(self, prompt: Prompt, *, interruptible: bool = True) -> SayResult:
        started = time.monotonic()
        self._show(f"robot: {prompt.text}")
        if self._play is not None:
            await self._play(prompt)
        return SayResult(True, first_frame_at=started)

    async def listen(
        self, expect: str, asked: Asked | None = None, *, patience_s: float | None = None
    ) -> Heard:
        line = await self._ask(expect)
        if line is None or line.strip() == HANGUP:
            self._hung_up = True
            return Heard("hangup")
        heard = understand_typed(line, expect, asked)
        heard.speech_end_at = time.monotonic()
        return heard

    async def hang_up(self) -> None:
        if not self._hung_up:
            self._show("robot hangs up")
        self._hung_up = True

    async def staff_free(self) -> bool:
        return self.staff_available

    async def transfer(self) -> bool:
        self._show("robot transfers the call to a staff phone")
        self._hung_up = True
        return self.staff_available
