"""Originate to every persona through the real embedded Asterisk; outcome and hangup cause."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from ivr.calls.engine import CallEngine
from ivr.calls.oneshot import PlayAndRecord
from ivr.calls.tracker import MEDIA_SETTLE_S
from ivr.db.models import Attempt, AttemptState
from ivr.residents.persona import Persona

pytestmark = [pytest.mark.pbx]
SILENCE_1S = bytes(16000)


@pytest.mark.parametrize(
    ("persona", "amd", "state", "cause"),  # amd: the verdict expected (None: AMD off)
    [
        (Persona(kind="busy"), None, AttemptState.BUSY, 17),
        (Persona(kind="congestion"), None, AttemptState.CONGESTION, 34),
        (Persona(kind="noanswer"), None, AttemptState.NO_ANSWER, 19),
        (Persona(kind="unallocated"), None, AttemptState.FAILED, 1),
        (Persona(kind="talk", reply="Hello, I am here."), None, AttemptState.COMPLETED, 16),
        (Persona(kind="voicemail"), "MACHINE", AttemptState.MACHINE, 16),
        (Persona(kind="talk", hangup_after_s=2.0), None, AttemptState.HUNG_UP_EARLY, 16),
        # hangs up right after "Hello?", while AMD still listens for the silence after it
        (Persona(kind="talk", hangup_after_s=1.0), "HANGUP", AttemptState.HUNG_UP_EARLY, 16),
        (Persona(kind="silent"), None, AttemptState.COMPLETED, 16),
    ],
    ids=[
        "busy",
        "congestion",
        "noanswer",
        "unallocated",
        "talk",
        "voicemail",
        "hangup",
        "hangup_during_amd",
        "silent",
    ],
)
async def test_persona_outcome(
    engine: CallEngine, resident, call_db, persona, amd, state, cause
) -> None:  # type: ignore[no-untyped-def]
    number = await resident(persona)
    # the hang-up persona leaves mid-way through a long prompt; the others hear one second
    prompt = bytes(16000 * 8) if persona.hangup_after_s else SILENCE_1S
    conversation = PlayAndRecord(prompt, None, listen_s=2.0)
    call = await engine.place(
        number, conversation=conversation, amd=amd is not None, ring_timeout_s=3
    )
    final = await asyncio.wait_for(asyncio.shield(call.ended), 40)
    assert final is state, call.reason
    assert call.hangup_cause == cause
    await engine.writer.flush()
    with call_db.session() as session:
        row = session.scalars(select(Attempt).where(Attempt.uuid == call.uuid)).one()
        assert row.state is state
        assert row.hangup_cause == cause
        assert row.hangup_cause_text
        assert row.reason == call.reason
        assert row.queued_at <= row.originated_at <= row.ended_at
        if state in (AttemptState.COMPLETED, AttemptState.MACHINE, AttemptState.HUNG_UP_EARLY):
            assert row.answered_at is not None and row.duration_s > 0
        else:
            assert row.answered_at is None
        if state is AttemptState.NO_ANSWER:
            assert row.ringing_at is not None
        if amd is not None:
            assert row.amd_status == amd, row.amd_cause


async def test_hangup_cause_kept_when_the_loop_stalls(engine: CallEngine, resident) -> None:  # type: ignore[no-untyped-def]
    """The event loop stalls (a busy machine) just as the conversation ends: Asterisk's
    Hangup is already on the AMI socket when the loop wakes, but the wait for it is over. The
    call still ends with the cause Asterisk gave, not with none."""
    number = await resident(Persona(kind="silent"))
    talk = PlayAndRecord(SILENCE_1S, None, listen_s=0.5)

    async def stalls_at_the_end(call, session):  # type: ignore[no-untyped-def]
        result = await talk(call, session)
        # runs once the engine has closed the media stream and begun waiting for the Hangup
        asyncio.get_running_loop().call_soon(time.sleep, MEDIA_SETTLE_S + 1.0)
        return result

    call = await engine.place(number, conversation=stalls_at_the_end, ring_timeout_s=3)
    final = await asyncio.wait_for(asyncio.shield(call.ended), 40)
    assert final is AttemptState.COMPLETED, call.reason
    assert call.hangup_cause == 16


async def test_attempt_is_committed_before_originate(engine: CallEngine, resident, call_db) -> None:  # type: ignore[no-untyped-def]
    """Crash safety starts here: the row exists before Asterisk hears of the call, and says
    that the call is being sent (a row still *queued* after a crash is deleted as unsent)."""
    number = await resident(Persona(kind="noanswer"))
    sent: list[str] = []
    original = engine.ami.originate

    async def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        with call_db.session() as session:
            sent.append(
                session.scalars(select(Attempt.state).where(Attempt.number == number)).one()
            )
        return await original(*args, **kwargs)

    engine.ami.originate = spy  # type: ignore[method-assign]
    call = await engine.place(
        number, conversation=PlayAndRecord(SILENCE_1S, None, 1), ring_timeout_s=1
    )
    await asyncio.wait_for(asyncio.shield(call.ended), 20)
    assert sent == [AttemptState.ORIGINATING]
