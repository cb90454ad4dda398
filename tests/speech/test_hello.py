"""The robot lets a resident's "Hello?" end before it speaks (calls without AMD, or where AMD
was not sure): over a real AudioSocket connection, a line streamed in real time.

A voice is what Silero calls one. The level threshold this replaced (-40 dBFS) took a line
with noise over it for a hello that never ended, so the robot stayed silent for 4 s, and it
did not hear a quiet hello at all."""

from __future__ import annotations

import asyncio
import uuid

import numpy as np
import pytest

from ivr.audio import FRAME_MS, SAMPLE_RATE, frames, from_float, scaled, to_float
from ivr.audiosocket import AudioSocketServer, AudioSocketSession, Frame
from ivr.dialogue.runner import HELLO_END_SILENCE_MS, HELLO_WAIT_S, _let_them_say_hello
from ivr.residents.simulator import GREETING, LineNoise
from ivr.speech import Synthesizer

HELLO_AT_S = 0.5


async def hello_wait(line: bytes) -> tuple[int, float | None]:
    """Stream ``line`` to the robot's side in real time; when it would start speaking (stream
    ms heard by then) and the level it heard the hello at."""
    done: asyncio.Future[tuple[int, float | None]] = asyncio.get_running_loop().create_future()

    async def robot(session: AudioSocketSession) -> None:
        level = await _let_them_say_hello(session)
        done.set_result((session.frames_in * FRAME_MS, level))

    async with AudioSocketServer(robot) as server:
        _, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(Frame.uuid(str(uuid.uuid4())))
        for frame in frames(line):
            if done.done():
                break
            writer.write(Frame.audio(frame))
            await writer.drain()
            await asyncio.sleep(FRAME_MS / 1000)
        result = await asyncio.wait_for(done, 5.0)
        writer.close()
    return result


def answered(hello: bytes, level_db: float = 0.0, line_dbfs: float | None = None) -> bytes:
    line = np.zeros(6 * SAMPLE_RATE, dtype=np.float32)
    said = to_float(scaled(hello, level_db) if level_db else hello)
    start = int(HELLO_AT_S * SAMPLE_RATE)
    line[start : start + len(said)] += said
    if line_dbfs is not None:
        line += LineNoise(line_dbfs, seed=5).take(len(line))
    return from_float(line)


@pytest.fixture(scope="module")
def hello(bot_voice: Synthesizer) -> bytes:
    return bot_voice.synthesize(GREETING).pcm


@pytest.mark.parametrize(("level_db", "line_dbfs"), [(0.0, -38.0), (-30.0, None)])
async def test_the_robot_speaks_once_the_hello_is_over(
    hello: bytes, level_db: float, line_dbfs: float | None
) -> None:
    ended_ms = 1000 * HELLO_AT_S + 1000 * len(hello) / 2 / SAMPLE_RATE
    started_ms, level = await hello_wait(answered(hello, level_db, line_dbfs))
    # not over the hello, and not long after it (the -40 dBFS threshold: 4,000 ms on the
    # noisy line; the quiet hello unheard, so no level)
    assert ended_ms <= started_ms <= ended_ms + HELLO_END_SILENCE_MS + 500
    assert level is not None and level < -15.0 + level_db + 5.0


async def test_nobody_saying_hello_on_a_noisy_line(hello: bytes) -> None:
    started_ms, level = await hello_wait(answered(b"", line_dbfs=-38.0))
    assert started_ms <= 1000 * HELLO_WAIT_S + 300
    assert level is None
