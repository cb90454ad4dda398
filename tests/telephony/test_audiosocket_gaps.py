"""A gap in Asterisk's audio is silence; a stall of our own event loop is not a gap.

Asterisk sends no audio while the far end sends none (a trunk that suppresses silence), and
the session hands on silence frames for such a gap, since endpointing and AMD count time in
frames. Under load, though, it is our loop that can stall (a recognition holding the GIL): the
frames Asterisk sent meanwhile wait in the socket, and they must be taken as they are, not
preceded by silence that never was. That holds because the loop, waking from a stall, reads
the socket before it runs the media clock that fills gaps (asyncio runs a wake-up's I/O
callbacks before its timers); a reader one hop behind the clock filled 15 frames of silence
into a 0.3 s stall. Over a real TCP connection, the sender in its own thread so that it goes
on in real time while the loop is blocked."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid

from ivr.audio import FRAME_MS, SILENCE_FRAME
from ivr.audiosocket import SILENCE_GAP_S, Audio, AudioSocketServer, AudioSocketSession, Frame

FRAME_S = FRAME_MS / 1000
TONE = bytes(range(64)) * 5  # 320 bytes that are not silence


def send_in_real_time(port: int, plan: list[bytes | float], stop: threading.Event) -> None:
    """Play ``plan`` into the server as Asterisk would: a frame every 20 ms; a float is a
    pause of that many seconds with nothing sent."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(Frame.uuid(str(uuid.uuid4())))
        due = time.monotonic()
        for step in plan:
            if stop.is_set():
                return
            if isinstance(step, float):
                due += step
                continue
            time.sleep(max(0.0, due - time.monotonic()))
            sock.sendall(Frame.audio(step))
            due += FRAME_S
        stop.wait(1.0)  # keep the line open while the server reads the last frames


async def heard(
    plan: list[bytes | float], stall_after: int | None = None
) -> tuple[list[bytes], int]:
    """What the application is handed for ``plan`` (frames, and how many were filled in);
    with ``stall_after``, the event loop is blocked for 0.3 s after that many frames."""
    expected = sum(1 for step in plan if isinstance(step, bytes))
    got: list[bytes] = []
    done = asyncio.get_running_loop().create_future()

    async def application(session: AudioSocketSession) -> None:
        real = 0
        while real < expected:
            event = await session.next_event(timeout=5.0)
            if isinstance(event, Audio):
                got.append(event.pcm)
                real += event.pcm is not SILENCE_FRAME
                if stall_after is not None and len(got) == stall_after:
                    time.sleep(0.3)  # noqa: ASYNC251 -- our own loop, blocked, as CPU-bound work would
        done.set_result(session.frames_filled)

    stop = threading.Event()
    async with AudioSocketServer(application) as server:
        sender = threading.Thread(target=send_in_real_time, args=(server.port, plan, stop))
        sender.start()
        try:
            filled = await asyncio.wait_for(done, 10.0)
        finally:
            stop.set()
            await asyncio.to_thread(sender.join)
    return got, filled


async def test_a_stall_of_our_own_loop_is_not_taken_for_silence() -> None:
    plan: list[bytes | float] = [TONE] * 40
    got, filled = await heard(plan, stall_after=10)
    assert filled == 0
    assert got == [TONE] * 40  # every frame, in order, nothing in between


async def test_a_pause_in_asterisk_audio_is_handed_on_as_silence() -> None:
    pause_s = 0.5
    plan: list[bytes | float] = [TONE] * 10 + [pause_s] + [TONE] * 10
    got, filled = await heard(plan)
    assert got[:10] == [TONE] * 10 and got[-10:] == [TONE] * 10
    middle = got[10:-10]
    assert all(frame is SILENCE_FRAME for frame in middle)
    assert filled == len(middle)
    # one frame per 20 ms of the pause, give or take the timers' slack
    assert abs(len(middle) - pause_s / FRAME_S) <= 3, len(middle)
    assert pause_s > SILENCE_GAP_S
