"""Asterisk restarts in the middle of a call: the client reconnects, the interrupted attempt
ends as failed with a reason, and the next call works."""

from __future__ import annotations

import asyncio

import pytest

from ivr.calls.engine import CallEngine
from ivr.calls.oneshot import PlayAndRecord
from ivr.db.models import AttemptState
from ivr.pbx import EmbeddedPbx
from ivr.residents.persona import Persona

pytestmark = [pytest.mark.pbx]


async def _wait_for(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - the states change in another task
            await asyncio.sleep(0.05)


async def test_asterisk_restart_mid_call(  # type: ignore[no-untyped-def]
    engine: CallEngine, resident, pbx: EmbeddedPbx, call_db
) -> None:
    number = await resident(Persona(kind="silent"))
    long_prompt = bytes(16000 * 30)
    call = await engine.place(number, conversation=PlayAndRecord(long_prompt, None, 2.0))
    await _wait_for(lambda: call.state is AttemptState.IN_CONVERSATION, 20)
    connects = engine.ami.stats.connects

    await asyncio.to_thread(pbx.cli, "core restart now", 10.0, False)

    final = await asyncio.wait_for(asyncio.shield(call.ended), 30)
    assert final is AttemptState.FAILED, (call.reason, call.causes)
    assert "Asterisk" in call.reason, call.reason
    await _wait_for(lambda: engine.ami.stats.connects > connects, 30)
    assert engine.ami.connected.is_set()
    await asyncio.to_thread(pbx._wait_booted)

    # the resident simulator reconnected too; a new call goes through end to end
    again = await resident(Persona(kind="talk", reply="Yes, I can hear you."))
    second = await engine.place(again, conversation=PlayAndRecord(bytes(8000), None, 3.0))
    assert await asyncio.wait_for(asyncio.shield(second.ended), 60) is AttemptState.COMPLETED
    await engine.writer.flush()
    from sqlalchemy import select

    from ivr.db.models import Attempt

    with call_db.session() as session:
        row = session.scalars(select(Attempt).where(Attempt.uuid == call.uuid)).one()
        assert row.state is AttemptState.FAILED and "Asterisk" in row.reason
