"""A real call as a dialogue channel: prompts out over AudioSocket, answers in through the
endpointer and the shared recognizer, keys in as DTMF frames.

Barge-in: while a prompt plays, every incoming frame also goes through an endpointer; when it
hears the resident start speaking (or a key), an interruptible prompt stops at the next 20 ms
frame and the audio from just before the onset is handed to the next ``listen``, so the first
syllable of the answer is not lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, Protocol

from asr.endpointer import NoInput, SpeechStarted, Utterance
from asr.listen import listen as asr_listen
from asr.recognizer import Recognizer
from ivr.audio import FRAME_MS
from ivr.audiosocket import Audio, AudioSocketSession, Dtmf, Hangup
from ivr.dialogue.channel import Heard, Prompt, SayResult
from ivr.dialogue.prompts import PromptBook
from ivr.understanding import Asked, IntentMatch, understand_keys

log = logging.getLogger(__name__)

PRE_ROLL_FRAMES = 15  # 300 ms kept from before a barge-in onset
KEY_GAP_S = 3.0  # a keyed answer ends this long after its last key (or at #)
WAIT_EVENT_S = 0.1


class StaffLine(Protocol):
    """What the channel needs to hand a call to a person (ivr.dialogue.transfer)."""

    async def free(self) -> bool: ...

    async def transfer(self) -> bool: ...


def keys_complete(expect: str, keys: str) -> bool:
    """Whether the keys pressed so far are a whole answer (no need to wait for more)."""
    if not keys:
        return False
    if keys[0] in "*0" or keys.endswith("#"):
        return True
    if expect in ("yes_no", "intent"):
        return True
    return len(keys) >= 4  # 36.5 → 365#; four digits without # is already 100.4 °F


class AudioChannel:
    def __init__(
        self,
        session: AudioSocketSession,
        prompts: PromptBook,
        recognizer: Recognizer,
        endpointer_factory: Any,
        staff: StaffLine | None = None,
    ) -> None:
        self.session = session
        self.prompts = prompts
        self.recognizer = recognizer
        self._barge = endpointer_factory()
        self._listen = endpointer_factory()
        self.staff = staff
        self._keys = ""
        self._carry: list[bytes] = []  # frames from a barge-in onset, for the next listen
        self._hung_up = False
        self.frames_heard = 0

    def heard_caller(self, speech_dbfs: float) -> None:
        """How loud the resident was heard (voiced audio, RMS dBFS): their "Hello?", their
        understood answers. A quiet caller's next answers are raised for the endpointer."""
        self._listen.heard_caller(speech_dbfs)

    @property
    def hung_up(self) -> bool:
        return self._hung_up or self.session.closed.is_set()

    # -- speaking -------------------------------------------------------------------------------

    async def say(self, prompt: Prompt, *, interruptible: bool = True) -> SayResult:
        pcm = await self.prompts.audio(prompt.text)
        if self.hung_up:
            return SayResult(False)
        loop = asyncio.get_running_loop()
        playback = self.session.play(pcm, interruptible=interruptible)
        self._barge.reset()
        recent: deque[bytes] = deque(maxlen=PRE_ROLL_FRAMES)
        barged = False
        barge_in_ms: float | None = None
        self._carry = []
        self._keys = ""
        while not playback.done.done():
            try:
                event = await self.session.next_event(timeout=WAIT_EVENT_S)
            except TimeoutError:
                continue
            if isinstance(event, Hangup):
                self._hung_up = True
                break
            if isinstance(event, Dtmf):
                self._keys += event.digit
                if interruptible and playback.stop():
                    barged, barge_in_ms = True, 1000.0 * (loop.time() - event.at)
                continue
            assert isinstance(event, Audio)
            recent.append(event.pcm)
            for happened in self._barge.push(event.pcm):
                if isinstance(happened, NoInput | Utterance):
                    self._barge.reset()  # a long prompt: keep watching for the next onset
                elif isinstance(happened, SpeechStarted):
                    self._carry = list(recent)  # the onset and a little before it
                    if interruptible and playback.stop():
                        onset = event.at - (happened.detected_ms - happened.at_ms) / 1000.0
                        barged, barge_in_ms = True, 1000.0 * (loop.time() - onset)
            if self._carry and not barged and self._carry[-1] is not event.pcm:
                self._carry.append(event.pcm)  # a non-interruptible prompt: keep the answer
        await asyncio.sleep(0)
        return SayResult(
            completed=bool(playback.done.done() and playback.done.result()),
            barged_in=barged,
            barge_in_ms=round(barge_in_ms + FRAME_MS, 1) if barge_in_ms is not None else None,
            first_frame_at=playback.first_frame_at,
        )

    # -- listening ------------------------------------------------------------------------------

    async def listen(
        self, expect: str, asked: Asked | None = None, *, patience_s: float | None = None
    ) -> Heard:
        if self.hung_up:
            return Heard("hangup")
        if keys_complete(expect, self._keys):
            return self._keyed(expect, self._keys)
        keyed: dict[str, str] = {}
        if self._keys:  # keys pressed during the prompt: carry on collecting them
            keyed["keys"] = self._keys
            self._keys = ""
            return await self._collect_keys(expect, keyed["keys"])
        answer = await asr_listen(
            self._frames(expect, keyed),
            self.recognizer,
            self._listen,
            expect,  # type: ignore[arg-type]
            asked=asked,
            no_input_ms=None if patience_s is None else round(1000 * patience_s),
        )
        if "keys" in keyed:
            return await self._collect_keys(expect, keyed["keys"])
        if answer.outcome == "hangup" or (self.hung_up and answer.outcome != "answer"):
            # an answer given before the hang-up stands: the dialogue stores it, then finds
            # the line gone ("thirty seven", then the phone put down while we listened on)
            return Heard("hangup")
        if answer.outcome == "no_input":
            return Heard("no_input")
        recognition = answer.recognition
        assert recognition is not None
        if recognition.understood is not None or recognition.intent is not None:
            # the resident's level, for a quiet caller's next answers; not for barge-in, where
            # the robot's own echo on the line must not be raised with them
            self.heard_caller(recognition.speech_dbfs)
        return Heard(
            "speech",
            recognition.text,
            recognition.value,
            recognition.understood,
            recognition.confidence if recognition.understood is not None else 0.0,
            recognition.intent,
            speech_end_at=answer.speech_end_at,
            asr_ms=round(answer.asr_ms, 1),
            hypotheses=tuple(h.text for h in recognition.hypotheses),
        )

    async def _frames(self, expect: str, keyed: dict[str, str]) -> AsyncIterator[bytes]:
        carry, self._carry = self._carry, []
        for frame in carry:
            yield frame
        while True:
            event = await self.session.next_event()
            if isinstance(event, Hangup):
                self._hung_up = True
                return
            if isinstance(event, Dtmf):
                keyed["keys"] = event.digit  # keys win over speech: stop listening for words
                return
            self.frames_heard += 1
            yield event.pcm

    async def _collect_keys(self, expect: str, keys: str) -> Heard:
        while not keys_complete(expect, keys):
            try:
                event = await self.session.next_event(timeout=KEY_GAP_S)
            except TimeoutError:
                break
            if isinstance(event, Hangup):
                self._hung_up = True
                return Heard("hangup")
            if isinstance(event, Dtmf):
                keys += event.digit
        return self._keyed(expect, keys)

    def _keyed(self, expect: str, keys: str) -> Heard:
        self._keys = ""
        loop_now = asyncio.get_running_loop().time()
        result = understand_keys(expect if expect != "intent" else "free", keys)  # type: ignore[arg-type]
        intent = result if isinstance(result, IntentMatch) else None
        value = None if intent is not None or result is None else result.value
        confidence = 0.0 if result is None else result.confidence
        return Heard("keys", keys, value, None if intent else result, confidence, intent, keys,
                     speech_end_at=loop_now)  # fmt: skip

    # -- ending ---------------------------------------------------------------------------------

    async def hang_up(self) -> None:
        self._hung_up = True
        self.session.hangup()

    async def staff_free(self) -> bool:
        return self.staff is not None and await self.staff.free()

    async def transfer(self) -> bool:
        if self.staff is None:
            return False
        moved = await self.staff.transfer()
        if moved:
            self._hung_up = True  # the resident is now with the staff phone, not with us
        return moved
