"""A resident asks for a person while a staff phone is free: the robot says so and hands the
call over; the staff phone (SIPp registered as staff2) rings and answers."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from ivr.calls.engine import CallEngine
from ivr.config import Settings
from ivr.db import Database
from ivr.db.models import Attempt, AttemptState, Flag, FlagKind
from ivr.dialogue import ScriptRunner
from ivr.households.generate import generate_neighbourhood
from ivr.pbx import EmbeddedPbx
from ivr.phone import national_form
from ivr.residents.persona import ASTDB_FAMILY, Persona
from ivr.script import load_script
from tests.dialogue.test_dialogue_calls import SCRIPT
from tests.sip_phone import register_and_answer

pytestmark = [pytest.mark.pbx]


async def test_transfer_to_a_free_staff_phone(
    pbx: EmbeddedPbx, pbx_settings: Settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    phone = await asyncio.to_thread(
        register_and_answer, tmp_path, pbx_settings.pbx_sip_port, "staff2", pbx.staff_password()
    )
    db = Database(f"sqlite:///{tmp_path / 'calls.db'}")
    with db.session() as session:
        world = generate_neighbourhood(session, households=1, buildings=1, seed=5)
    household = world.households[0]
    settings = pbx_settings.model_copy(update={"transfer_endpoints": ["staff2"]})
    script = load_script(SCRIPT)
    try:
        async with CallEngine(settings, db, audiosocket_port=0) as engine:
            persona = Persona(human_at=1, voice="en_US-joe-medium", hangup_after_s=25.0)
            await engine.ami.db_put(ASTDB_FAMILY, national_form(household.phones[0]),
                                    persona.encode())  # fmt: skip
            runner = ScriptRunner(settings, engine.writer, script, ami=engine.ami)
            await runner.prepare()
            context = await runner.prepare_household(household.id)
            call = await engine.place(household.phones[0], conversation=runner.conversation,
                                      context=context, household_id=household.id)  # fmt: skip
            final = await asyncio.wait_for(asyncio.shield(call.ended), 90)
            await engine.writer.flush()
        assert call.conversation_result == "transferred", runner.results.get(call.uuid)
        assert final is AttemptState.COMPLETED
        assert await asyncio.to_thread(phone.wait, 30) == 0  # the staff phone took the call
        with db.session() as session:
            attempt = session.scalars(select(Attempt).where(Attempt.uuid == call.uuid)).one()
            assert attempt.script_outcome == "transferred"
            flags = session.scalars(select(Flag).where(Flag.household_id == household.id)).all()
            assert [f.kind for f in flags] == [FlagKind.HUMAN_REQUESTED]
            assert flags[0].detail == "transferred to staff"
    finally:
        if phone.poll() is None:
            phone.kill()
        db.dispose()
