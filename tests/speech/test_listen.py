"""listen(): endpointing and recognition together, driven by frames like a call's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from asr import Endpointer, Recognizer, SpeechStarted, listen
from asr.endpointer import EndpointerConfig
from ivr.audio import SILENCE_FRAME, frames
from ivr.speech import Synthesizer


async def call_frames(pcm: bytes, then_silence_ms: int = 3000) -> AsyncIterator[bytes]:
    for frame in frames(pcm) + [SILENCE_FRAME] * (then_silence_ms // 20):
        yield frame
        await asyncio.sleep(0)  # let the recognition tasks run, as a real stream would


async def test_one_answer_with_speculative_recognition(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    pcm = bytes(8000) + bot_voice.synthesize("No, I stayed home.").pcm
    seen = []
    answer = await asyncio.wait_for(
        listen(call_frames(pcm), recognizer, Endpointer(), "yes_no", on_event=seen.append),
        timeout=60,
    )
    assert answer.outcome == "answer" and answer.value is False
    assert answer.speculative and answer.hypotheses
    assert isinstance(seen[0], SpeechStarted)
    assert answer.speech_end_ms is not None and answer.speech_end_ms > answer.speech_start_ms


async def test_no_input(recognizer: Recognizer) -> None:
    endpointer = Endpointer(EndpointerConfig(no_input_timeout_ms=1000))
    answer = await asyncio.wait_for(
        listen(call_frames(b"", 2000), recognizer, endpointer, "temperature"), timeout=30
    )
    assert answer.outcome == "no_input" and answer.value is None and answer.text == ""


async def test_hangup_mid_answer(recognizer: Recognizer) -> None:
    answer = await asyncio.wait_for(
        listen(call_frames(b"", 200), recognizer, Endpointer(), "yes_no"), timeout=30
    )
    assert answer.outcome == "hangup"
