"""Asterisk AudioSocket: the frame format and an asyncio server, one session per call.

Wire format (both directions): 1 byte kind, 2 bytes payload length (big-endian), payload.
Kinds: 0x00 hangup, 0x01 the call's UUID (16 bytes, always first), 0x03 one DTMF digit
(ASCII), 0x10 audio (8 kHz signed 16-bit little-endian mono), 0xff error.

Asterisk hangs up when our side sends nothing for 2 s, so every session sends a frame every
20 ms for its whole life: what is playing, or silence. Asterisk, the other way, sends nothing
while the far end sends no audio (a trunk or phone that suppresses silence): a gap of more
than ``SILENCE_GAP_S`` is handed to the application as the silence frames it stands for,
since endpointing and answering-machine detection count time in frames. One shared media
clock paces all sessions (one timer wake-up per 20 ms for the whole server, not one per call).
A malformed, oversized or truncated frame ends only the session it came on.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import struct
import uuid as uuidlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from ivr.audio import FRAME_MS, SILENCE_FRAME, frames
from ivr.errors import AudioSocketError

log = logging.getLogger(__name__)

HEADER = struct.Struct(">BH")
FRAME_S = FRAME_MS / 1000
MAX_CATCH_UP_FRAMES = 5  # a loop stall longer than this is not made up with a burst
SILENCE_GAP_S = 0.1  # no audio from Asterisk this long: the far end is silent, not late


class Kind(enum.IntEnum):
    HANGUP = 0x00
    UUID = 0x01
    DTMF = 0x03
    AUDIO = 0x10
    ERROR = 0xFF


@dataclass(frozen=True, slots=True)
class Frame:
    kind: Kind
    payload: bytes = b""

    def encode(self) -> bytes:
        if len(self.payload) > 0xFFFF:
            raise AudioSocketError(
                f"{self.kind.name} payload of {len(self.payload)} bytes too long"
            )
        return HEADER.pack(self.kind, len(self.payload)) + self.payload

    @classmethod
    def decode(
        cls, data: bytes | bytearray, max_payload: int, offset: int = 0
    ) -> tuple[Frame | None, int]:
        """Decode one frame at ``offset`` of ``data``: (frame, bytes used), or (None, 0) if
        ``data`` holds only part of a frame. Raises AudioSocketError on a malformed frame."""
        if len(data) - offset < HEADER.size:
            return None, 0
        kind_byte, length = HEADER.unpack_from(data, offset)
        try:
            kind = Kind(kind_byte)
        except ValueError as exc:
            raise AudioSocketError(f"unknown frame kind 0x{kind_byte:02x}") from exc
        if length > max_payload:
            raise AudioSocketError(f"{kind.name} frame of {length} bytes exceeds {max_payload}")
        if kind is Kind.UUID and length != 16:
            raise AudioSocketError(f"UUID frame of {length} bytes (16 expected)")
        if kind is Kind.DTMF and length != 1:
            raise AudioSocketError(f"DTMF frame of {length} bytes (1 expected)")
        start = offset + HEADER.size
        if len(data) < start + length:
            return None, 0
        return cls(kind, bytes(data[start : start + length])), HEADER.size + length

    @staticmethod
    def audio(pcm: bytes) -> bytes:
        return HEADER.pack(Kind.AUDIO, len(pcm)) + pcm

    @staticmethod
    def uuid(value: str) -> bytes:
        return Frame(Kind.UUID, uuidlib.UUID(value).bytes).encode()


HANGUP_FRAME = Frame(Kind.HANGUP).encode()
SILENCE_AUDIO_FRAME = Frame.audio(SILENCE_FRAME)


# -- what a session hands to the application ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Audio:
    pcm: bytes  # one 20 ms frame
    at: float  # loop time of arrival


@dataclass(frozen=True, slots=True)
class Dtmf:
    digit: str
    at: float


@dataclass(frozen=True, slots=True)
class Hangup:
    reason: str  # "hangup" (Asterisk hung up), "closed", "error: ...", "idle"
    at: float


MediaEvent = Audio | Dtmf | Hangup


class Playback:
    """One piece of audio being played on a session; ``stop()`` cuts it at the next frame."""

    def __init__(self, pcm: bytes, interruptible: bool = True) -> None:
        self._frames = deque(frames(pcm))
        self.total_frames = len(self._frames)
        self.interruptible = interruptible
        self.done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.first_frame_at: float | None = None  # loop time the first frame was written
        self.stopped_at: float | None = None
        self.sent_frames = 0

    @property
    def position_ms(self) -> int:
        return self.sent_frames * FRAME_MS

    def stop(self) -> bool:
        """Stop now (barge-in). Returns False if the prompt may not be interrupted."""
        if not self.interruptible:
            return False
        self._finish(completed=False)
        return True

    def _next(self, now: float) -> bytes | None:
        if self.done.done() or not self._frames:
            if not self.done.done():
                self._finish(completed=True)
            return None
        if self.first_frame_at is None:
            self.first_frame_at = now
        self.sent_frames += 1
        return self._frames.popleft()

    def _finish(self, completed: bool) -> None:
        self._frames.clear()
        self.stopped_at = asyncio.get_running_loop().time()
        if not self.done.done():
            self.done.set_result(completed)


class AudioSocketSession(asyncio.Protocol):
    """One call's media stream. The application reads ``events()`` and calls ``play()``."""

    def __init__(self, server: AudioSocketServer) -> None:
        self.server = server
        self.uuid: str | None = None
        self.peer: str = ""
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._queue: asyncio.Queue[MediaEvent] = asyncio.Queue()
        self._playing: deque[Playback] = deque()
        self._last_in = 0.0
        self.closed = asyncio.Event()
        self.close_reason = ""
        self.frames_in = 0
        self.frames_out = 0
        self.frames_filled = 0  # silence frames standing for a gap in Asterisk's audio
        self._audio_at = 0.0  # loop time of the last audio frame in (or of the UUID)
        self._gap_filled = 0  # frames of the current gap handed on so far
        self.started_at = 0.0
        self._task: asyncio.Task[None] | None = None
        # what the line carries when nothing plays (None: digital silence); the resident
        # simulator gives a noisy line its noise here
        self.idle_frame: Callable[[], bytes] | None = None

    # -- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self._last_in = self.started_at = self.server.loop.time()
        # a connection that never says which call it is must not stay open forever
        self.server.loop.call_later(self.server.idle_timeout, self._check_identified)

    def _check_identified(self) -> None:
        if self.uuid is None and not self.closed.is_set():
            self._end("error: no UUID frame")

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._last_in = now = self.server.loop.time()
        offset = 0
        try:
            while True:
                frame, used = Frame.decode(self._buffer, self.server.max_payload, offset)
                if frame is None:
                    break
                offset += used
                self._on_frame(frame, now)
                if self.closed.is_set():
                    return
        except AudioSocketError as exc:
            log.warning(
                "AudioSocket session %s from %s: %s; ending this call", self.uuid, self.peer, exc
            )
            self._end(f"error: {exc}")
            return
        finally:
            if offset:
                del self._buffer[:offset]
        if len(self._buffer) > HEADER.size + self.server.max_payload:
            self._end("error: frame buffer overflow")

    def connection_lost(self, exc: Exception | None) -> None:
        if self._buffer and not self.closed.is_set():
            self._end("error: connection closed in the middle of a frame")
        else:
            self._end("hangup" if exc is None else f"error: {exc}")

    # -- frames in ------------------------------------------------------------------------

    def _on_frame(self, frame: Frame, now: float) -> None:
        if self.uuid is None:
            if frame.kind is not Kind.UUID:
                raise AudioSocketError(f"first frame is {frame.kind.name}, not UUID")
            self.uuid = str(uuidlib.UUID(bytes=frame.payload))
            self._audio_at = now
            self.server._session_started(self)
            return
        if frame.kind is Kind.AUDIO:
            self.frames_in += 1
            self._audio_at, self._gap_filled = now, 0
            self._queue.put_nowait(Audio(frame.payload, now))
        elif frame.kind is Kind.DTMF:
            digit = frame.payload.decode("ascii", errors="replace")
            if digit not in "0123456789*#ABCD":
                raise AudioSocketError(f"DTMF frame with {frame.payload!r}")
            self._queue.put_nowait(Dtmf(digit, now))
        elif frame.kind is Kind.HANGUP:
            self._end("hangup")
        elif frame.kind is Kind.ERROR:
            self._end(f"error: Asterisk reported error {frame.payload.hex() or '(no code)'}")
        elif frame.kind is Kind.UUID:
            raise AudioSocketError("second UUID frame")

    # -- frames out: called by the media clock every 20 ms ----------------------------------

    def _tick(self, now: float) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        pcm = None
        while self._playing and pcm is None:
            pcm = self._playing[0]._next(now)
            if pcm is None:
                self._playing.popleft()
        if pcm is None and self.idle_frame is not None:
            pcm = self.idle_frame()
        self.transport.write(Frame.audio(pcm) if pcm is not None else SILENCE_AUDIO_FRAME)
        self.frames_out += 1
        self._fill_gap(now)
        if now - self._last_in > self.server.idle_timeout:
            self._end("idle")

    def _fill_gap(self, now: float) -> None:
        """Hand on the silence a gap in Asterisk's audio stands for, one frame for each 20 ms
        of it (the first ``SILENCE_GAP_S`` at once, once the gap is that long)."""
        if self.uuid is None or self.closed.is_set():
            return
        gap = now - self._audio_at
        if gap < SILENCE_GAP_S:
            return
        owed = int(gap / FRAME_S) - self._gap_filled
        for _ in range(owed):
            self._queue.put_nowait(Audio(SILENCE_FRAME, now))
        self._gap_filled += max(owed, 0)
        self.frames_filled += max(owed, 0)
        self.server.stats["gap_ms_filled"] += max(owed, 0) * FRAME_MS

    # -- the application's side -----------------------------------------------------------

    def play(self, pcm: bytes, interruptible: bool = True) -> Playback:
        """Queue ``pcm`` (8 kHz slin) after whatever is playing; returns its Playback."""
        playback = Playback(pcm, interruptible)
        if self.closed.is_set():
            playback._finish(completed=False)
        else:
            self._playing.append(playback)
        return playback

    def stop_playing(self) -> None:
        """Barge-in: stop every interruptible prompt now."""
        for playback in list(self._playing):
            playback.stop()

    @property
    def playing(self) -> bool:
        return any(not p.done.done() for p in self._playing)

    async def next_event(self, timeout: float | None = None) -> MediaEvent:
        if timeout is None:
            return await self._queue.get()
        return await asyncio.wait_for(self._queue.get(), timeout)

    def pending_events(self) -> int:
        return self._queue.qsize()

    async def events(self) -> AsyncIterator[MediaEvent]:
        """Audio and DTMF as they arrive; ends after the Hangup event."""
        while True:
            event = await self._queue.get()
            yield event
            if isinstance(event, Hangup):
                return

    def hangup(self) -> None:
        """End the call from our side (Asterisk hangs up the channel)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(HANGUP_FRAME)
        self._end("closed")

    def _end(self, reason: str) -> None:
        if self.closed.is_set():
            return
        self.close_reason = reason
        self.closed.set()
        if self.frames_filled:
            log.info(
                "AudioSocket session %s: %d ms of gaps in Asterisk's audio taken for silence",
                self.uuid, self.frames_filled * FRAME_MS,
            )  # fmt: skip
        for playback in self._playing:
            playback._finish(completed=False)
        self._playing.clear()
        self._queue.put_nowait(Hangup(reason, self.server.loop.time()))
        if self.transport is not None:
            self.transport.close()
        self.server._session_ended(self)


SessionHandler = Callable[[AudioSocketSession], Awaitable[None]]


class AudioSocketServer:
    """Accepts Asterisk's AudioSocket connections and runs ``handler(session)`` for each call."""

    def __init__(
        self,
        handler: SessionHandler,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_payload: int = 4096,
        idle_timeout: float = 10.0,
    ) -> None:
        self.handler = handler
        self.host, self.port = host, port
        self.max_payload = max_payload
        self.idle_timeout = idle_timeout
        self.sessions: dict[str, AudioSocketSession] = {}
        self._connections: set[AudioSocketSession] = set()
        self._server: asyncio.Server | None = None
        self._clock: asyncio.Task[None] | None = None
        self.loop = asyncio.get_event_loop()
        self.stats = {"sessions": 0, "errors": 0, "late_ticks": 0, "max_tick_lag_ms": 0.0,
                      "gap_ms_filled": 0}  # fmt: skip

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._server = await self.loop.create_server(
            lambda: AudioSocketSession(self), self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._clock = asyncio.create_task(self._media_clock(), name="audiosocket-clock")
        log.debug("AudioSocket server on %s:%s", self.host, self.port)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for session in list(self._connections):
            session.hangup()
        if self._clock is not None:
            self._clock.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._clock
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)

    async def __aenter__(self) -> AudioSocketServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _session_started(self, session: AudioSocketSession) -> None:
        assert session.uuid is not None
        self._connections.add(session)
        self.sessions[session.uuid] = session
        self.stats["sessions"] += 1
        session._task = asyncio.create_task(self._run_handler(session), name=f"call-{session.uuid}")

    def _session_ended(self, session: AudioSocketSession) -> None:
        if session.close_reason.startswith("error"):
            self.stats["errors"] += 1
        self._connections.discard(session)
        if session.uuid is not None and self.sessions.get(session.uuid) is session:
            del self.sessions[session.uuid]

    async def _run_handler(self, session: AudioSocketSession) -> None:
        try:
            await self.handler(session)
        except Exception:
            log.exception("call handler failed for session %s", session.uuid)
        finally:
            session.hangup()

    async def _media_clock(self) -> None:
        """Every 20 ms, one frame out on every session, on an absolute schedule (no drift)."""
        loop = self.loop
        start = loop.time()
        tick = 0
        while True:
            tick += 1
            due = start + tick * FRAME_S
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            now = loop.time()
            lag = now - due
            if lag > FRAME_S:
                self.stats["late_ticks"] += 1
                self.stats["max_tick_lag_ms"] = max(self.stats["max_tick_lag_ms"], lag * 1000)
                behind = int(lag / FRAME_S)
                if behind > MAX_CATCH_UP_FRAMES:  # resynchronise instead of bursting
                    start, tick = now, 0
                    behind = 0
            else:
                behind = 0
            for _ in range(behind + 1):
                for session in tuple(self._connections):
                    session._tick(now)
            if behind:
                tick += behind
