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


def _said_with_a_pause(voice: Synthesizer, first: str, then: str, pause_ms: int) -> bytes:
    silence = bytes(pause_ms * 16)  # 8 kHz, 16-bit: 16 bytes a millisecond
    return bytes(8000) + voice.synthesize(first).pcm + silence + voice.synthesize(then).pcm


async def test_a_temperature_read_with_a_pause_is_heard_whole(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    """People read the thermometer as they speak: "thirty six ... point five". The pause is
    longer than the trailing silence (400 ms), so the answer ended at "thirty six", a sure
    36.0, and "point five" was heard as the answer to the next question."""
    pcm = _said_with_a_pause(bot_voice, "Thirty six.", "Point five.", 700)
    endpointer = Endpointer()
    answer = await asyncio.wait_for(
        listen(call_frames(pcm), recognizer, endpointer, "temperature"), timeout=60
    )
    assert answer.outcome == "answer" and answer.value == 36.5, answer.text


async def test_a_whole_reading_is_waited_on_and_then_taken(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    pcm = bytes(8000) + bot_voice.synthesize("Thirty seven.").pcm
    endpointer = Endpointer()
    answer = await asyncio.wait_for(
        listen(call_frames(pcm), recognizer, endpointer, "temperature"), timeout=60
    )
    assert answer.outcome == "answer" and answer.value == 37.0, answer.text
    assert answer.speech_end_ms is not None
    waited_ms = endpointer.now_ms - answer.speech_end_ms  # stream time, not the clock
    assert endpointer.config.incomplete_silence_ms <= waited_ms <= 1700, waited_ms


async def test_a_whole_answer_is_not_waited_on(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    endpointer = Endpointer()
    for text, value in (("Thirty six point five.", 36.5), ("Thirty seven degrees.", 37.0)):
        pcm = bytes(8000) + bot_voice.synthesize(text).pcm
        answer = await asyncio.wait_for(
            listen(call_frames(pcm), recognizer, endpointer, "temperature"), timeout=60
        )
        assert answer.value == value, answer.text
        assert answer.speech_end_ms is not None
        assert endpointer.now_ms - answer.speech_end_ms < 600, text
    # nor is anything but a temperature: "no ... I didn't" is two answers' worth of pause
    pcm = _said_with_a_pause(bot_voice, "No.", "I stayed home.", 700)
    answer = await asyncio.wait_for(
        listen(call_frames(pcm), recognizer, endpointer, "yes_no"), timeout=60
    )
    assert answer.value is False and "stayed" not in answer.text.lower(), answer.text


async def test_a_held_answer_stands_if_they_hang_up(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    pcm = bytes(8000) + bot_voice.synthesize("Thirty seven.").pcm
    answer = await asyncio.wait_for(
        listen(call_frames(pcm, then_silence_ms=900), recognizer, Endpointer(), "temperature"),
        timeout=60,
    )
    assert answer.outcome == "answer" and answer.value == 37.0, answer
