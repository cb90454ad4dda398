"""One call end to end: play audio to a number, record what the other side says.

Used by ``ivr call`` (and by the README's first command before the demo campaign exists).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr.audio import write_wav
from ivr.audiosocket import Audio, AudioSocketSession, Hangup
from ivr.calls.engine import CallEngine
from ivr.calls.tracker import Call
from ivr.config import Settings
from ivr.db import Database
from ivr.residents.listening import TurnDetector

log = logging.getLogger(__name__)

ANSWER_GRACE_S = 0.8  # let "Hello?" end before speaking, as a person would


@dataclass
class OneShotResult:
    number: str
    outcome: str
    hangup_cause: int | None
    duration_s: float | None
    recording: str | None
    reason: str
    uuid: str
    heard_s: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class PlayAndRecord:
    """A conversation: wait briefly, play ``pcm``, then record the reply until the other side
    has spoken and fallen silent, or ``listen_s`` has passed; everything heard goes to a file."""

    def __init__(self, pcm: bytes, record_to: Path | None, listen_s: float) -> None:
        self.pcm = pcm
        self.record_to = record_to
        self.listen_s = listen_s
        self.heard: list[bytes] = []

    async def __call__(self, call: Call, session: AudioSocketSession) -> str:
        loop = asyncio.get_running_loop()
        grace_until = loop.time() + ANSWER_GRACE_S
        playback = None
        detector = TurnDetector(end_silence_ms=1200)
        listen_until: float | None = None
        try:
            while True:
                now = loop.time()
                if playback is None and now >= grace_until:
                    playback = session.play(self.pcm)
                if playback is not None and playback.done.done() and listen_until is None:
                    listen_until = now + self.listen_s
                    detector.reset()
                if listen_until is not None and now >= listen_until:
                    return "completed"
                try:
                    event = await session.next_event(timeout=0.1)
                except TimeoutError:
                    continue
                if isinstance(event, Hangup):
                    return "completed" if listen_until is not None else "incomplete"
                if isinstance(event, Audio):
                    self.heard.append(event.pcm)
                    if listen_until is not None and detector.push(event.pcm) is not None:
                        return "completed"  # they answered and stopped talking
        finally:
            if self.record_to is not None:
                write_wav(self.record_to, b"".join(self.heard))


async def call_once(
    settings: Settings,
    number: str,
    pcm: bytes,
    *,
    record_to: Path | None = None,
    listen_s: float = 8.0,
    db: Database | None = None,
) -> OneShotResult:
    from ivr.phone import normalize

    stored = normalize(number, settings.default_country)
    database = db or Database(settings.database)
    conversation = PlayAndRecord(pcm, record_to, listen_s)
    engine = CallEngine(settings, database, audiosocket_port=0)
    async with engine:
        call = await engine.place(stored, conversation=conversation)
        ring = settings.originate_timeout_s + 10
        await asyncio.wait_for(asyncio.shield(call.ended), ring + 120 + listen_s)
        await engine.writer.flush()
    heard_s = sum(len(f) for f in conversation.heard) / 16000
    return OneShotResult(
        number=stored,
        outcome=call.state.value,
        hangup_cause=call.hangup_cause,
        duration_s=call.duration_s,
        recording=str(record_to) if record_to else None,
        reason=call.reason,
        uuid=call.uuid,
        heard_s=round(heard_s, 2),
    )
