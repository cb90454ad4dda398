"""Real calls through the embedded Asterisk: each outcome retried by its own rule, a
household's numbers tried in order, do-not-call and opt-outs honoured."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.campaigns.conversation import play_prompt_factory
from ivr.campaigns.scheduler import Dialer
from ivr.db.models import (
    AttemptState,
    CampaignState,
    Flag,
    FlagKind,
    Household,
    TaskState,
)
from ivr.households.dnc import add_number
from ivr.residents.persona import Persona
from tests.campaigns import world

pytestmark = [pytest.mark.pbx]


def _campaign_state(db, campaign_id):  # type: ignore[no-untyped-def]
    from ivr.db.models import Campaign

    with db.session() as session:
        return session.get(Campaign, campaign_id).state


async def test_outcomes_retried_by_policy(dial_engine, campaign_settings, campaign_db) -> None:  # type: ignore[no-untyped-def]
    homes = world.households(campaign_db, 6)
    personas = [
        Persona(kind="busy"),
        Persona(kind="noanswer"),
        Persona(kind="congestion"),
        world.QUICK,
        Persona(kind="talk", ring_s=0, hangup_after_s=4.0),
        Persona(kind="voicemail", ring_s=0),
    ]
    # every number of a household gets the household's persona
    await world.give_personas(
        dial_engine.ami, [(n, p) for h, p in zip(homes, personas, strict=True) for n in h.phones]
    )
    policy = {
        "busy": {"delay_s": 1, "max_attempts": 3},
        "no_answer": {"delay_s": 1, "max_attempts": 2},
        "failed": {"delay_s": 1, "max_attempts": 1},
        "machine": {"delay_s": 1, "max_attempts": 2},
        "hung_up_early": {"delay_s": 1, "max_attempts": 2},
    }
    spec = world.spec([h.id for h in homes], retry=policy, ring_timeout_s=3, amd=True)
    cid = world.campaign(campaign_db, campaign_settings, "retries", spec)
    dialer = Dialer(
        campaign_settings,
        dial_engine,
        conversations=play_prompt_factory(bytes(16000 * 3), listen_s=1.0),
        poll_s=0.2,
    )
    await world.run_until(
        dialer, lambda: dialer.states.get(cid) is CampaignState.COMPLETED, timeout=150
    )
    attempts = world.attempts_by_household(campaign_db, cid)
    by_id = {t.household_id: t for t in world.tasks_of(campaign_db, cid)}
    expected = {
        homes[0].id: (AttemptState.BUSY, 3, TaskState.EXHAUSTED),
        homes[1].id: (AttemptState.NO_ANSWER, 2, TaskState.EXHAUSTED),
        homes[2].id: (AttemptState.CONGESTION, 1, TaskState.EXHAUSTED),
        homes[3].id: (AttemptState.COMPLETED, 1, TaskState.DONE),
        homes[4].id: (AttemptState.HUNG_UP_EARLY, 2, TaskState.EXHAUSTED),
        homes[5].id: (AttemptState.MACHINE, 2, TaskState.EXHAUSTED),
    }
    for home in homes:
        state, per_outcome, task_state = expected[home.id]
        calls = attempts[home.id]
        phones = len(home.phones)
        # a round tries every number; the rule's count is judged when the round ends
        rounds = -(-per_outcome // phones)
        assert len(calls) == max(per_outcome, rounds * phones), (home, [c.state for c in calls])
        assert {c.state for c in calls} == {state}, [c.reason for c in calls]
        assert [c.number for c in calls[:phones]] == list(home.phones)  # numbers in order
        assert by_id[home.id].state is task_state
    with campaign_db.session() as session:
        unreachable = set(
            session.scalars(select(Flag.household_id).where(Flag.kind == FlagKind.UNREACHABLE))
        )
        machine = [c for c in attempts[homes[5].id]]
        assert all(c.amd_status == "MACHINE" for c in machine)
    assert unreachable == {h.id for h in homes} - {homes[3].id}


async def test_do_not_call_and_opt_out_never_dialled(
    dial_engine, campaign_settings, campaign_db
) -> None:  # type: ignore[no-untyped-def]
    homes = world.households(campaign_db, 4)
    await world.give_personas(dial_engine.ami, [(n, world.QUICK) for h in homes for n in h.phones])
    with campaign_db.session() as session:
        for number in homes[0].phones:  # every number of household 0 is blocked
            add_number(session, number, reason="test")
        session.get(Household, homes[1].id).opted_out = True
    spec = world.spec([h.id for h in homes])
    cid = world.campaign(campaign_db, campaign_settings, "dnc", spec, start=False)
    with campaign_db.session() as session:
        # blocked after the campaign was made: checked again when the call would be placed
        if len(homes[2].phones) > 1:
            add_number(session, homes[2].phones[0], reason="first number only")
        from ivr.campaigns.manage import change_state, find_campaign

        change_state(session, find_campaign(session, str(cid)), "start")
    dialer = Dialer(campaign_settings, dial_engine, conversations=play_prompt_factory(), poll_s=0.2)
    await world.run_until(
        dialer, lambda: dialer.states.get(cid) is CampaignState.COMPLETED, timeout=60
    )
    attempts = world.attempts_by_household(campaign_db, cid)
    tasks = {t.household_id: t for t in world.tasks_of(campaign_db, cid)}
    assert homes[0].id not in attempts and tasks[homes[0].id].last_outcome == "do_not_call"
    assert homes[1].id not in attempts and tasks[homes[1].id].last_outcome == "opted_out"
    assert tasks[homes[0].id].state is tasks[homes[1].id].state is TaskState.SKIPPED
    dialled = {a.number for calls in attempts.values() for a in calls}
    if len(homes[2].phones) > 1:
        assert homes[2].phones[0] not in dialled and homes[2].phones[1] in dialled
    assert tasks[homes[3].id].state is TaskState.DONE
