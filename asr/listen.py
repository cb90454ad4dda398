"""Listen for one answer on a call: endpointing and recognition together, latency-aware.

Recognition starts speculatively at the first ``Pause`` (the speaker went quiet for
``vad_speculative_ms``) on the audio so far; if the pause turns out to be the end of the
answer, that result is used and the trailing silence has hidden most of the recognition time.
If the speaker goes on, the speculative result is dropped and the whole utterance is
recognised when it ends. A temperature that may be half said ("thirty six ...") is held:
listening goes on until ``vad_incomplete_silence_ms`` of silence, and if they say more, the
whole answer is recognised again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace

from asr.endpointer import (
    Endpointer,
    EndpointEvent,
    NoInput,
    Pause,
    SpeechResumed,
    SpeechStarted,
    Utterance,
)
from asr.recognizer import Hypothesis, Recognition, Recognizer
from ivr.understanding import Asked, Expect
from ivr.understanding.temperature import may_go_on, parse_temperature


@dataclass(frozen=True)
class Answer:
    outcome: str  # "answer" | "no_input" | "max_length" | "hangup"
    recognition: Recognition | None
    speech_start_ms: int | None  # stream times, ms since listening began
    speech_end_ms: int | None
    speech_end_at: float | None  # time.monotonic() when the speech ended
    result_at: float | None  # time.monotonic() when the recognition was ready
    asr_ms: float  # recognition time that was not hidden by the trailing silence
    speculative: bool  # the result came from the speculative recognition
    audio: bytes = b""

    @property
    def text(self) -> str:
        return self.recognition.text if self.recognition else ""

    @property
    def value(self) -> object:
        return self.recognition.value if self.recognition else None

    @property
    def confidence(self) -> float:
        return self.recognition.confidence if self.recognition else 0.0

    @property
    def hypotheses(self) -> tuple[Hypothesis, ...]:
        return self.recognition.hypotheses if self.recognition else ()

    @property
    def latency_ms(self) -> float | None:
        """From the end of speech to the result: trailing silence plus unhidden recognition."""
        if self.speech_end_at is None or self.result_at is None:
            return None
        return 1000.0 * (self.result_at - self.speech_end_at)


async def listen(
    frames: AsyncIterator[bytes],
    recognizer: Recognizer,
    endpointer: Endpointer,
    expect: Expect = "free",
    *,
    asked: Asked | None = None,
    on_event: Callable[[EndpointEvent], None] | None = None,
    no_input_ms: int | None = None,
) -> Answer:
    """Feed the call's 20 ms frames to ``endpointer`` until an answer ends; recognise it.

    ``on_event`` sees every endpointing event as it happens: stop the prompt on
    ``SpeechStarted`` for barge-in. The endpointer is reset first; ``no_input_ms`` replaces
    its no-input timeout for this answer.
    """
    endpointer.reset(no_input_ms)
    speculative: asyncio.Task[Recognition] | None = None
    start_ms: int | None = None
    held: Answer | None = None  # an answer that may be half said, while we listen on
    try:
        async for frame in frames:
            for event in endpointer.push(frame):
                if on_event is not None:
                    on_event(event)
                if isinstance(event, SpeechStarted):
                    start_ms = event.at_ms
                elif isinstance(event, Pause):
                    speculative = asyncio.create_task(
                        recognizer.recognize(event.audio, expect, asked)
                    )
                elif isinstance(event, SpeechResumed):
                    held = None  # they went on: the whole of it is recognised when it ends
                    if speculative is not None:
                        speculative.cancel()  # the worker finishes its decode; result dropped
                        speculative = None
                elif isinstance(event, NoInput):
                    return Answer("no_input", None, None, None, None, None, 0.0, False)
                elif isinstance(event, Utterance):
                    if held is not None and event.same_as_pause:
                        return replace(held, result_at=time.monotonic())  # nothing more said
                    answer = await _recognised(event, speculative, recognizer, expect, asked)
                    speculative = None
                    if _may_go_on(answer, expect) and endpointer.hold():
                        held = answer  # "thirty six ...": listen on for the rest
                        continue
                    return answer
        if held is not None:
            return held  # they said it and hung up: it stands
        return Answer("hangup", None, start_ms, None, None, None, 0.0, False)
    finally:
        if speculative is not None and not speculative.done():
            speculative.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await speculative


def _may_go_on(answer: Answer, expect: Expect) -> bool:
    """A temperature that may be half said ("thirty six", "thirty six point"): people read
    the thermometer as they speak, and a pause longer than the trailing silence cut off the
    tenth (stored as a sure 36.0, with "point five" heard as the answer to the next question)."""
    recognition = answer.recognition
    if expect != "temperature" or answer.outcome != "answer" or recognition is None:
        return False
    # Whisper's own words first ("37 degrees." is whole, "37 point." is not): the head's
    # reading keeps no unit word. Where they hold no reading ("Already big." for an espeak
    # "thirty six"), the reading chosen decides.
    plain = [h for h in recognition.hypotheses if not h.prompted]
    if plain:
        words = max(plain, key=lambda h: h.log_prob).text
        if may_go_on(words):
            return True
        if parse_temperature(words) is not None:
            return False
    return may_go_on(recognition.text)


async def _recognised(
    utterance: Utterance,
    speculative: asyncio.Task[Recognition] | None,
    recognizer: Recognizer,
    expect: Expect,
    asked: Asked | None,
) -> Answer:
    now = time.monotonic()
    # The speech ended (detected_ms - speech_end_ms) of stream time ago.
    speech_end_at = now - (utterance.detected_ms - utterance.speech_end_ms) / 1000.0
    used_speculative = utterance.same_as_pause and speculative is not None
    waited = time.perf_counter()
    if used_speculative and speculative is not None:
        recognition = await speculative
    else:
        recognition = await recognizer.recognize(utterance.audio, expect, asked)
    unhidden_ms = 1000.0 * (time.perf_counter() - waited)
    outcome = "answer" if utterance.reason == "silence" else "max_length"
    return Answer(
        outcome,
        recognition,
        utterance.speech_start_ms,
        utterance.speech_end_ms,
        speech_end_at,
        time.monotonic(),
        unhidden_ms,
        used_speculative,
        utterance.audio,
    )
