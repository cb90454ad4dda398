"""Audio crosses Asterisk in both directions, and arrives with its content intact."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from ivr.audio import read_wav, to_float
from ivr.calls.engine import CallEngine
from ivr.calls.oneshot import PlayAndRecord
from ivr.config import Settings
from ivr.db.models import AttemptState
from ivr.residents.persona import Persona
from ivr.residents.simulator import read_truth
from ivr.speech import PromptCache, shared_synthesizer

pytestmark = [pytest.mark.pbx]


def best_correlation(haystack: np.ndarray, needle: np.ndarray) -> float:
    """Peak normalised cross-correlation of ``needle`` anywhere inside ``haystack``."""
    n = len(needle)
    size = 1 << int(np.ceil(np.log2(len(haystack) + n)))
    spectrum = np.fft.rfft(haystack, size) * np.conj(np.fft.rfft(needle, size))
    dots = np.fft.irfft(spectrum, size)[: len(haystack) - n + 1]
    energy = np.convolve(haystack**2, np.ones(n), "valid")
    needle_energy = float(np.sum(needle**2))
    scores = dots / np.sqrt(np.maximum(energy, 1e-3 * needle_energy) * needle_energy)
    return float(scores.max())  # at most 1 (Cauchy-Schwarz); near-silent windows score ~0


async def test_robot_speech_reaches_the_resident(
    engine: CallEngine,
    resident,
    pbx_settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    robot = PromptCache(pbx_settings.prompt_cache_dir, shared_synthesizer("en_US-joe-medium"))
    prompt = robot.get("Please tell me your temperature today.")
    number = await resident(Persona(kind="talk"))
    call = await engine.place(number, conversation=PlayAndRecord(prompt, None, listen_s=2.5))
    assert await asyncio.wait_for(asyncio.shield(call.ended), 60) is AttemptState.COMPLETED
    await asyncio.sleep(0.5)  # the simulator writes its line when its side hangs up
    records = [
        r
        for r in read_truth(pbx_settings.data_dir / "residents" / "truth.jsonl")
        if r["number"] == number
    ]
    assert records, "the simulator took no call for this number"
    heard = " ".join(records[-1]["heard"]).lower()
    assert "temperature" in heard, heard


async def test_resident_speech_reaches_the_robot(
    engine: CallEngine,
    resident,
    pbx_settings: Settings,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    reply = "My temperature is thirty six point five."
    persona = Persona(kind="talk", reply=reply, voice="espeak:en-us")
    number = await resident(persona)
    recording = tmp_path / "heard.wav"
    robot = PromptCache(pbx_settings.prompt_cache_dir, shared_synthesizer("en_US-joe-medium"))
    robot_says = robot.get("Hello, this is your neighbourhood committee.")
    call = await engine.place(number, conversation=PlayAndRecord(robot_says, recording, 4.0))
    assert await asyncio.wait_for(asyncio.shield(call.ended), 60) is AttemptState.COMPLETED
    heard = to_float(read_wav(recording))
    voices = pbx_settings.cache_dir / "resident-voices"
    voice = PromptCache(voices, shared_synthesizer(persona.voice))
    said = to_float(voice.get(reply))
    # a Local channel carries slin untouched: what the resident said is inside the recording
    assert best_correlation(heard, said) > 0.9
    # and what it said first ("Hello?") is not mistaken for the reply
    assert best_correlation(heard, to_float(voice.get("Hello?"))) > 0.9
    unrelated = to_float(voice.get("The weather is nice today."))
    assert best_correlation(heard, unrelated) < 0.6
