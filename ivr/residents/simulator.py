"""The resident simulator: people for the demo and the tests to call.

Asterisk's ``[residents]`` context answers a simulated number and connects its audio here by
AudioSocket. Each call gets the persona stored for its number in AstDB, listens to the robot
through Asterisk, waits until the robot stops talking, works out what it was asked (by speech
recognition, as a person would), and answers in its own voice, by keypad, or by hanging up.

What each resident said is written as one JSON line per call (the *truth log*), so tests and
benchmarks can check what the robot stored against what it was told.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ivr.ami import AmiClient, Message, action
from ivr.audio import (
    FRAME_SAMPLES,
    SAMPLE_RATE,
    duration_s,
    from_float,
    rms_dbfs,
    scaled,
    to_float,
)
from ivr.audiosocket import Audio, AudioSocketServer, AudioSocketSession, Dtmf, Hangup
from ivr.config import Settings
from ivr.errors import AmiError, InputError
from ivr.phone import mask
from ivr.residents import phrasing
from ivr.residents.listening import (
    SPEECH_DBFS,
    BotSpeechRecognizer,
    Question,
    TurnDetector,
    classify,
)
from ivr.residents.persona import ASTDB_FAMILY, Persona, number_from_session

log = logging.getLogger(__name__)

GREETING = "Hello?"
FETCHING = "Hold on, let me get the thermometer."
VOICEMAIL_GREETING = (
    "Hi, you have reached the Wang family. We cannot come to the phone right now. "
    "Please leave a message after the tone."
)
MAX_CALL_S = 300.0
REPLY_DELAY_S = 0.25  # a person takes a breath before answering
BARGE_IN_AFTER_MS = 1200
BARGE_IN_TEXT = "Yes, yes."


@dataclass
class CallRecord:
    """One call as the resident lived it: the truth log line."""

    session: str
    number: str
    persona: str
    started: float = field(default_factory=time.time)
    heard: list[str] = field(default_factory=list)
    said: list[dict[str, Any]] = field(default_factory=list)
    hung_up_by_resident: bool = False
    ended: float | None = None


class ResidentSimulator:
    def __init__(
        self,
        settings: Settings,
        *,
        port: int | None = None,
        truth_log: Path | None = None,
        ami: AmiClient | None = None,
    ) -> None:
        self.settings = settings
        self.server = AudioSocketServer(
            self._handle,
            "127.0.0.1",
            settings.simulation_port if port is None else port,
            max_payload=settings.audiosocket_max_payload,
            idle_timeout=settings.audiosocket_idle_timeout_s,
        )
        self.ami = ami or AmiClient.from_settings(settings, name="ivr-residents")
        self._owns_ami = ami is None
        self.truth_log = truth_log or settings.data_dir / "residents" / "truth.jsonl"
        self.channels: dict[str, str] = {}  # session uuid -> the resident's channel
        self._voices: dict[str, Any] = {}
        self._lines: dict[str, LineNoise] = {}  # by session: residents in noisy places
        self._synth_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sim-tts")
        self._recognizer: BotSpeechRecognizer | None = None
        self.records: list[CallRecord] = []
        self.active = 0

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self.ami.add_listener(self._on_event)
        if self._owns_ami:
            await self.ami.start()
        await self.server.start()
        self.truth_log.parent.mkdir(parents=True, exist_ok=True)

    async def close(self) -> None:
        await self.server.close()
        if self._owns_ami:
            await self.ami.close()
        self._synth_pool.shutdown(wait=False)

    async def __aenter__(self) -> ResidentSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def recognizer(self) -> BotSpeechRecognizer:
        if self._recognizer is None:
            from asr.model import resolve_model

            self._recognizer = BotSpeechRecognizer(
                resolve_model("tiny.en", self.settings.cache_dir)
            )
        return self._recognizer

    def _on_event(self, event: Message) -> None:
        if event.event == "UserEvent" and event.get("UserEvent") == "IvrSimCall":
            self.channels[event.get("Session") or ""] = event.get("Channel") or ""

    # -- personas ---------------------------------------------------------------------------

    async def set_persona(self, number: str, persona: Persona) -> None:
        await self.ami.db_put(ASTDB_FAMILY, number, persona.encode())

    async def persona_for(self, number: str) -> Persona:
        try:
            value = await self.ami.db_get(ASTDB_FAMILY, number)
        except AmiError as exc:
            log.warning("persona of %s unavailable (%s); a plain talker answers", mask(number), exc)
            value = None
        if not value:
            return Persona()
        try:
            return Persona.decode(value)
        except InputError as exc:
            log.warning("%s", exc)
            return Persona()

    # -- speaking ---------------------------------------------------------------------------

    def _cache_for(self, voice_spec: str) -> Any:
        from ivr.speech import PromptCache, shared_synthesizer

        if voice_spec not in self._voices:
            directory = self.settings.cache_dir / "resident-voices"
            self._voices[voice_spec] = PromptCache(directory, shared_synthesizer(voice_spec))
        return self._voices[voice_spec]

    async def render(self, persona: Persona, text: str) -> bytes:
        cache = self._cache_for(persona.voice)
        pcm = cache.cached(text)
        if pcm is None:
            loop = asyncio.get_running_loop()
            pcm = await loop.run_in_executor(self._synth_pool, cache.get, text)
        if persona.level_db:
            pcm = scaled(pcm, persona.level_db)
        if persona.noise_snr_db is not None:
            pcm = _add_noise(pcm, persona.noise_snr_db, seed=hash(text) & 0xFFFF)
        return pcm

    def _on_the_line(self, session: AudioSocketSession, pcm: bytes) -> bytes:
        """``pcm`` as the line carries it: under the noise of a resident in a noisy place."""
        line = self._lines.get(session.uuid or "")
        return pcm if line is None else line.under(pcm)

    async def _say(self, session: AudioSocketSession, persona: Persona, text: str) -> None:
        pcm = await self.render(persona, text)
        await session.play(self._on_the_line(session, pcm)).done

    async def _say_answer(
        self, session: AudioSocketSession, persona: Persona, answer: phrasing.Answer
    ) -> None:
        """Say an answer; one who reads the thermometer as they speak stops before its tenth."""
        before, marker, tenth = answer.text.partition(" point ")
        if answer.slot != "temperature" or persona.pauses_in_reading_s is None or not marker:
            await self._say(session, persona, answer.text)
            return
        await self._say(session, persona, before)
        await asyncio.sleep(persona.pauses_in_reading_s)
        await self._say(session, persona, f"point {tenth}")

    async def _press(self, session: AudioSocketSession, keys: str) -> None:
        channel = self.channels.get(session.uuid or "")
        if not channel:
            log.warning("no channel known for session %s: cannot send DTMF", session.uuid)
            return
        for key in keys:
            with contextlib.suppress(AmiError):
                await self.ami.send(action("PlayDTMF", Channel=channel, Digit=key, Duration=120))
            await asyncio.sleep(0.25)

    # -- one call ---------------------------------------------------------------------------

    async def _handle(self, session: AudioSocketSession) -> None:
        assert session.uuid is not None
        number = number_from_session(session.uuid)
        persona = await self.persona_for(number)
        record = CallRecord(session.uuid, number, persona.encode())
        self.records.append(record)
        if persona.line_noise_dbfs is not None:
            line = LineNoise(persona.line_noise_dbfs, seed=int(number[-4:] or 0))
            self._lines[session.uuid] = line
            session.idle_frame = line.frame
        self.active += 1
        try:
            async with asyncio.timeout(MAX_CALL_S):
                await self._converse(session, persona, record)
        except TimeoutError:
            log.warning("simulated call %s reached %s s; hanging up", session.uuid, MAX_CALL_S)
        finally:
            self.active -= 1
            record.ended = time.time()
            self.channels.pop(session.uuid, None)
            self._lines.pop(session.uuid, None)
            self._write_truth(record)

    async def _converse(
        self, session: AudioSocketSession, persona: Persona, record: CallRecord
    ) -> None:
        if persona.kind == "voicemail":
            await self._voicemail(session, persona, record)
            return
        if persona.kind == "silent":
            await _drain_until_hangup(session)
            return
        if persona.hangup_after_s is not None:
            asyncio.get_running_loop().call_later(
                persona.hangup_after_s, self._hang_up, session, record
            )
        # everyone who picks up says hello, even one who then answers by keypad
        await self._say(session, persona, GREETING)
        mind = phrasing.Mind(persona, random.Random(record.number))
        detector = TurnDetector()
        turn_index = 0
        interrupt_next = False
        fetched = False  # "hold on, let me get the thermometer" said
        while True:
            event = await session.next_event()
            if isinstance(event, Hangup):
                return
            if isinstance(event, Dtmf):
                continue
            assert isinstance(event, Audio)
            if session.playing:
                continue  # a person does not listen while talking; the robot may barge in
            turn = detector.push(event.pcm)
            if interrupt_next and detector.speech_ms >= BARGE_IN_AFTER_MS:
                # an impatient resident: "yes, yes" over the robot's read-back
                interrupt_next = False
                detector.reset()
                said = {"turn": turn_index + 1, "question": "confirm", "text": BARGE_IN_TEXT}
                record.said.append({**said, "slot": "barge_in", "value": True})
                await self._say(session, persona, BARGE_IN_TEXT)
                continue
            if turn is None:
                continue
            turn_index += 1
            if persona.reply is not None:
                record.heard.append("")
                await asyncio.sleep(REPLY_DELAY_S)
                record.said.append({"turn": turn_index, "text": persona.reply})
                await self._say(session, persona, persona.reply)
                continue
            turn_ended = asyncio.get_running_loop().time()
            heard = await self.recognizer.transcribe_turn(turn.pcm)
            record.heard.append(heard)
            question = classify(heard)
            answer = mind.answer(question)
            if answer is None:
                continue
            await asyncio.sleep(REPLY_DELAY_S)
            said = answer.log(turn_index, question)
            said["reply_after_s"] = round(asyncio.get_running_loop().time() - turn_ended, 2)
            record.said.append(said)
            if answer.hang_up:
                self._hang_up(session, record)
                return
            if answer.keys:
                await self._press(session, answer.keys)
            if answer.slot == "temperature" and persona.fetches_thermometer_s and not fetched:
                fetched = True
                record.said.append({"turn": turn_index, "text": FETCHING, "slot": "wait"})
                await self._say(session, persona, FETCHING)
                await asyncio.sleep(persona.fetches_thermometer_s)
            if answer.text:
                await self._say_answer(session, persona, answer)
            interrupt_next = persona.barges_in and answer.slot == "temperature"

    async def _voicemail(
        self, session: AudioSocketSession, persona: Persona, record: CallRecord
    ) -> None:
        """The greeting and its beep, then the tape runs: what the robot says is written down
        with when it began, from the beep's end (``message_after_beep_s``; below zero, the
        robot spoke over the greeting and the start of its message is not on the tape)."""
        tape = self._on_the_line(session, await self.render(persona, VOICEMAIL_GREETING) + _beep())
        playback = session.play(tape)
        beep_end = asyncio.get_running_loop().time() + duration_s(tape)  # until it has ended
        detector = TurnDetector()
        began: float | None = None
        async for event in session.events():
            if isinstance(event, Audio):
                if began is None and rms_dbfs(event.pcm) > SPEECH_DBFS:
                    began = event.at
                turn = detector.push(event.pcm)
            elif isinstance(event, Hangup):
                turn = detector.flush()  # the robot hangs up as its message ends
            else:
                continue
            if turn is not None and began is not None:
                record.heard.append(await self.recognizer.transcribe_turn(turn.pcm))
                beep_end = playback.stopped_at or beep_end
                record.said.append({
                    "turn": len(record.heard), "voicemail": True,
                    "message_after_beep_s": round(began - beep_end, 2),
                    "message_s": round(turn.speech_ms / 1000, 2),
                })  # fmt: skip
                began = None

    def _hang_up(self, session: AudioSocketSession, record: CallRecord) -> None:
        if not session.closed.is_set():
            record.hung_up_by_resident = True
            session.hangup()

    def _write_truth(self, record: CallRecord) -> None:
        line = json.dumps(record.__dict__, ensure_ascii=False)
        with self.truth_log.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


async def _drain_until_hangup(session: AudioSocketSession) -> None:
    async for _ in session.events():
        pass


def _beep() -> bytes:
    t = np.arange(int(0.4 * SAMPLE_RATE)) / SAMPLE_RATE
    return from_float(0.4 * np.sin(2 * np.pi * 1000 * t))


class LineNoise:
    """A noisy place heard down the line all call long: pink noise in the telephone band
    (300-3400 Hz) at ``level_dbfs`` (RMS), a 10 s loop."""

    LOOP_S = 10.0

    def __init__(self, level_dbfs: float, seed: int) -> None:
        rng = np.random.default_rng(seed)
        length = int(self.LOOP_S * SAMPLE_RATE)
        spectrum = np.fft.rfft(rng.standard_normal(length))
        freqs = np.fft.rfftfreq(length, 1 / SAMPLE_RATE)
        spectrum /= np.sqrt(np.maximum(freqs, 20.0))
        spectrum[(freqs < 300.0) | (freqs > 3400.0)] = 0.0
        loop = np.fft.irfft(spectrum, length)
        loop *= 10 ** (level_dbfs / 20) / float(np.sqrt(np.mean(loop**2)))
        self._loop = loop.astype(np.float32)
        self._at = 0

    def take(self, count: int) -> np.ndarray:
        index = (self._at + np.arange(count)) % len(self._loop)
        self._at = int(index[-1] + 1) if count else self._at
        return self._loop[index]

    def frame(self) -> bytes:
        """The next 20 ms of the line with nobody speaking."""
        return from_float(self.take(FRAME_SAMPLES))

    def under(self, pcm: bytes) -> bytes:
        """``pcm`` spoken in the noisy place."""
        samples = to_float(pcm)
        return from_float(samples + self.take(samples.size))


def _add_noise(pcm: bytes, snr_db: float, seed: int) -> bytes:
    samples = to_float(pcm)
    rng = np.random.default_rng(seed)
    power = float(np.mean(samples**2)) or 1e-6
    noise = rng.normal(0, np.sqrt(power / 10 ** (snr_db / 10)), samples.size)
    return from_float(samples + noise.astype(np.float32))


def read_truth(path: Path) -> list[dict[str, Any]]:
    """Every call the simulator took, oldest first."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def question_kinds(record: dict[str, Any]) -> list[str]:
    return [said.get("question", "") for said in record.get("said", [])]


__all__ = ["CallRecord", "Question", "ResidentSimulator", "read_truth"]
