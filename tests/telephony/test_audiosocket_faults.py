"""Malformed AudioSocket traffic from a raw socket ends only that session; real calls go on."""

from __future__ import annotations

import asyncio
import struct
import uuid

import pytest

from ivr.audiosocket import Frame, Kind
from ivr.calls.engine import CallEngine
from ivr.calls.oneshot import PlayAndRecord
from ivr.db.models import AttemptState
from ivr.errors import AudioSocketError
from ivr.residents.persona import Persona

pytestmark = [pytest.mark.pbx]


def frame(kind: int, payload: bytes, length: int | None = None) -> bytes:
    return struct.pack(">BH", kind, len(payload) if length is None else length) + payload


HELLO = Frame.uuid(str(uuid.uuid4()))
MALFORMED = {
    "unknown kind": HELLO + frame(0x42, b"xx"),
    "oversized": HELLO + frame(0x10, b"", length=60000),
    "audio before uuid": frame(0x10, bytes(320)),
    "short uuid": frame(0x01, b"1234"),
    "bad dtmf": HELLO + frame(0x03, b"Z"),
    "two uuids": HELLO + HELLO,
}


async def _closed_by_server(port: int, data: bytes, then_close: bool = False) -> bool:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    if then_close:
        writer.close()
        return True
    try:
        while True:  # the server may send a few frames (silence) before it ends the session
            chunk = await asyncio.wait_for(reader.read(4096), 5.0)
            if not chunk:
                return True
    except (ConnectionError, TimeoutError):
        return False
    finally:
        writer.close()


async def test_malformed_frames_end_only_their_session(engine: CallEngine, resident) -> None:  # type: ignore[no-untyped-def]
    number = await resident(Persona(kind="talk", reply="I am still here."))
    call = await engine.place(number, conversation=PlayAndRecord(bytes(16000 * 3), None, 4.0))
    await asyncio.wait_for(call.answered.wait(), 20)
    port = engine.audiosocket.port
    errors_before = engine.audiosocket.stats["errors"]
    for name, data in MALFORMED.items():
        assert await _closed_by_server(port, data), f"{name}: the server kept the session open"
    # a frame cut off by the peer closing mid-way
    await _closed_by_server(port, HELLO + frame(0x10, bytes(100), length=320), then_close=True)
    await asyncio.sleep(0.2)
    assert engine.audiosocket.stats["errors"] - errors_before >= len(MALFORMED)
    # the real call was never disturbed
    assert await asyncio.wait_for(asyncio.shield(call.ended), 60) is AttemptState.COMPLETED
    stats = engine.audiosocket.stats
    assert stats["late_ticks"] == 0 or stats["max_tick_lag_ms"] < 200


@pytest.mark.parametrize(
    "data",
    [frame(0x42, b""), frame(0x10, b"", length=5000), frame(0x01, b"12"), frame(0x03, b"12")],
)
def test_frame_decode_refuses(data: bytes) -> None:
    with pytest.raises(AudioSocketError):
        Frame.decode(data, max_payload=4096)


def test_frame_round_trip_and_partial() -> None:
    encoded = Frame(Kind.AUDIO, bytes(range(256)) + bytes(64)).encode()
    assert Frame.decode(encoded[:-1], 4096) == (None, 0)
    decoded, used = Frame.decode(encoded + b"extra", 4096)
    assert used == len(encoded) and decoded == Frame(Kind.AUDIO, bytes(range(256)) + bytes(64))
