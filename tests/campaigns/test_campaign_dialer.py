"""The dialer placing real calls through the embedded Asterisk: windows on a shifted clock,
pacing, channel limits, priority, pause/resume/cancel picked up while running, recurring
check-ins with missed ones flagged."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ivr.campaigns.conversation import play_prompt_factory
from ivr.campaigns.manage import change_state, find_campaign
from ivr.campaigns.scheduler import Dialer
from ivr.db.models import (
    Attempt,
    AttemptState,
    Campaign,
    CampaignState,
    Colour,
    Flag,
    FlagKind,
    TaskState,
)
from ivr.residents.persona import Persona
from tests.campaigns import world

pytestmark = [pytest.mark.pbx]
SHANGHAI = ZoneInfo("Asia/Shanghai")


class ShiftedClock:
    """Real time moved by an offset the test can change: windows and schedules are decided on
    it while the calls themselves are real."""

    def __init__(self, at: datetime) -> None:
        self.offset = at - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def jump_to(self, at: datetime) -> None:
        self.offset = at - datetime.now(UTC)


def _originated(db, campaign_id):  # type: ignore[no-untyped-def]
    with db.session() as session:
        return list(
            session.scalars(
                select(Attempt)
                .where(Attempt.campaign_id == campaign_id, Attempt.originated_at.is_not(None))
                .order_by(Attempt.originated_at)
            )
        )


def _set_state(db, campaign_id, move):  # type: ignore[no-untyped-def]
    with db.session() as session:
        change_state(session, find_campaign(session, str(campaign_id)), move)


async def _wait(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - the dialer changes it in other tasks
            await asyncio.sleep(0.05)


async def test_no_call_starts_after_the_window_closes(
    dial_engine, campaign_settings, campaign_db
) -> None:  # type: ignore[no-untyped-def]
    homes = world.households(campaign_db, 8)
    await world.give_personas(dial_engine.ami, [(n, world.QUICK) for h in homes for n in h.phones])
    # 21:59:57 local; the window closes at 22:00 (and opens again at 08:00)
    closing = datetime(2026, 11, 25, 22, 0, tzinfo=SHANGHAI)
    clock = ShiftedClock(closing - timedelta(seconds=3))
    spec = world.spec(
        [h.id for h in homes],
        windows=[{"start": "08:00", "end": "22:00"}],
        max_channels=2,
        max_cps=5,
    )
    cid = world.campaign(campaign_db, campaign_settings, "window", spec, now=clock())
    dialer = Dialer(
        campaign_settings,
        dial_engine,
        clock=clock,
        poll_s=0.2,
        conversations=play_prompt_factory(bytes(16000 * 2), listen_s=0.5),
    )
    await world.run_until(dialer, lambda: clock() > closing + timedelta(seconds=6), timeout=30)
    placed = _originated(campaign_db, cid)
    assert placed, "calls start while the window is open"
    shift = clock.offset
    assert all(a.originated_at + shift < closing for a in placed), [
        (a.originated_at + shift).isoformat() for a in placed
    ]
    tasks = world.tasks_of(campaign_db, cid)
    assert any(t.state is TaskState.PENDING for t in tasks)  # the rest wait for tomorrow
    assert not any(t.state is TaskState.ACTIVE for t in tasks)  # prepared ones given back
    with campaign_db.session() as session:
        assert session.scalar(select(Attempt.id).where(Attempt.originated_at.is_(None))) is None


async def test_pacing_channels_and_priority(dial_engine, campaign_settings, campaign_db) -> None:  # type: ignore[no-untyped-def]
    homes = world.households(campaign_db, 12)
    hold = Persona(kind="brief", ring_s=0, hold_s=2)
    await world.give_personas(dial_engine.ami, [(n, hold) for h in homes for n in h.phones])
    low = world.spec([h.id for h in homes[:6]], max_channels=3, max_cps=2, priority=0)
    high = world.spec([h.id for h in homes[6:]], max_channels=3, max_cps=2, priority=5)
    low_id = world.campaign(campaign_db, campaign_settings, "low", low)
    high_id = world.campaign(campaign_db, campaign_settings, "high", high)
    dialer = Dialer(
        campaign_settings,
        dial_engine,
        max_channels=3,
        poll_s=0.2,
        conversations=play_prompt_factory(bytes(1600), listen_s=0.1),
    )
    await world.run_until(
        dialer,
        lambda: all(dialer.states.get(c) is CampaignState.COMPLETED for c in (low_id, high_id)),
        timeout=90,
    )
    assert dialer.stats.max_in_flight == 3  # the global cap, reached and never passed
    high_calls, low_calls = _originated(campaign_db, high_id), _originated(campaign_db, low_id)
    assert len(high_calls) == len(low_calls) == 6, [
        (a.household_id, a.state, a.reason, a.number) for a in high_calls
    ]
    # the higher priority campaign had the channels first
    assert max(a.originated_at for a in high_calls) <= min(
        a.originated_at for a in low_calls
    ) + timedelta(seconds=1)
    for calls in (high_calls, low_calls):
        # 2 calls a second with a burst of 2: six calls take at least two seconds
        assert calls[-1].originated_at - calls[0].originated_at >= timedelta(seconds=1.9)
        for i in range(len(calls) - 4):  # never more than burst + rate in any second
            assert calls[i + 4].originated_at - calls[i].originated_at >= timedelta(seconds=0.9)


async def test_pause_resume_cancel_and_new_campaign_while_running(
    dial_engine, campaign_settings, campaign_db
) -> None:  # type: ignore[no-untyped-def]
    homes = world.households(campaign_db, 10)
    await world.give_personas(dial_engine.ami, [(n, world.QUICK) for h in homes for n in h.phones])
    dialer = Dialer(
        campaign_settings,
        dial_engine,
        poll_s=0.2,
        conversations=play_prompt_factory(bytes(16000 * 2), listen_s=0.5),
    )
    stop = asyncio.Event()
    runner = asyncio.create_task(dialer.run(stop))
    try:
        await asyncio.sleep(0.5)  # running with nothing to do
        cid = world.campaign(
            campaign_db,
            campaign_settings,
            "paused",
            world.spec([h.id for h in homes[:7]], max_channels=2, max_cps=10),
        )
        await _wait(lambda: len(_originated(campaign_db, cid)) >= 2, 20)  # picked up
        _set_state(campaign_db, cid, "pause")
        paused_at = datetime.now(UTC)
        await _wait(lambda: dialer.runs.get(cid) is None or dialer.runs[cid].active == 0, 30)
        await asyncio.sleep(1.0)
        placed = _originated(campaign_db, cid)
        late = [a for a in placed if a.originated_at > paused_at + timedelta(seconds=0.5)]
        assert not late, "no call starts once the pause is seen"
        assert all(a.state is AttemptState.COMPLETED for a in placed)  # in-flight calls finished
        assert len(placed) < 7
        _set_state(campaign_db, cid, "resume")
        with campaign_db.session() as session:  # a changed spec applies without a restart
            campaign = session.get(Campaign, cid)
            campaign.spec = {**campaign.spec, "max_channels": 1}
        await _wait(lambda: cid in dialer.runs and dialer.runs[cid].spec.max_channels == 1, 10)
        other = world.campaign(
            campaign_db,
            campaign_settings,
            "cancelled",
            world.spec([h.id for h in homes[7:]], max_channels=1, max_cps=0.2),
        )
        await _wait(lambda: len(_originated(campaign_db, other)) >= 1, 20)
        _set_state(campaign_db, other, "cancel")
        await _wait(lambda: dialer.states.get(cid) is CampaignState.COMPLETED, 60)
    finally:
        stop.set()
        await asyncio.wait_for(runner, 60)
    assert len({a.household_id for a in _originated(campaign_db, cid)}) == 7
    assert len(_originated(campaign_db, cid)) == 7  # nobody twice
    cancelled = world.tasks_of(campaign_db, other)
    assert sum(t.last_outcome == "cancelled" for t in cancelled) >= 1
    assert all(t.state is not TaskState.PENDING for t in cancelled)


async def test_recurring_checkins_and_missed_ones(
    dial_engine, campaign_settings, campaign_db
) -> None:  # type: ignore[no-untyped-def]
    homes = world.households(campaign_db, 3, colour=Colour.ORANGE)
    await world.give_personas(
        dial_engine.ami,
        [
            *[(n, world.QUICK) for n in homes[0].phones],
            *[(n, world.QUICK) for n in homes[1].phones],
            *[(n, Persona(kind="noanswer")) for n in homes[2].phones],
        ],
    )
    day1 = datetime(2026, 11, 20, 8, 59, 59, tzinfo=SHANGHAI)
    clock = ShiftedClock(day1)
    spec = world.spec(
        [],
        target={"statuses": ["orange"], "households": [h.id for h in homes]},
        schedule={"times": ["09:00", "16:00"], "days": 2, "start": "2026-11-20"},
        windows=[{"start": "08:00", "end": "20:00"}],
        ring_timeout_s=3,
        retry={"no_answer": {"delay_s": 1, "max_attempts": 1}},
    )
    cid = world.campaign(campaign_db, campaign_settings, "checkin", spec, now=clock())
    assert len(world.tasks_of(campaign_db, cid)) == 3 * 4  # 2 times x 2 days per household
    dialer = Dialer(
        campaign_settings,
        dial_engine,
        clock=clock,
        poll_s=0.2,
        conversations=play_prompt_factory(bytes(8000), listen_s=0.3),
    )

    def finished(occurrence: str) -> bool:
        tasks = [t for t in world.tasks_of(campaign_db, cid) if t.occurrence == occurrence]
        return all(t.state in (TaskState.DONE, TaskState.EXHAUSTED) for t in tasks)

    stop = asyncio.Event()
    runner = asyncio.create_task(dialer.run(stop))
    try:
        await _wait(lambda: finished("2026-11-20T09:00"), 40)
        assert not _calls_for(campaign_db, cid, "2026-11-20T16:00")  # not due yet
        # the dialer is "down" over the afternoon and night: 16:00 is missed without a call
        clock.jump_to(datetime(2026, 11, 21, 9, 0, 1, tzinfo=SHANGHAI))
        await _wait(lambda: finished("2026-11-20T16:00") and finished("2026-11-21T09:00"), 40)
        clock.jump_to(datetime(2026, 11, 21, 16, 0, 0, tzinfo=SHANGHAI))
        await _wait(lambda: dialer.states.get(cid) is CampaignState.COMPLETED, 40)
    finally:
        stop.set()
        await asyncio.wait_for(runner, 60)
    tasks = world.tasks_of(campaign_db, cid)
    for home in homes[:2]:
        mine = {t.occurrence: t for t in tasks if t.household_id == home.id}
        assert mine["2026-11-20T16:00"].last_outcome == "missed"
        assert all(mine[o].state is TaskState.DONE for o in mine if o != "2026-11-20T16:00")
    unreached = [t for t in tasks if t.household_id == homes[2].id]
    assert all(t.state is TaskState.EXHAUSTED for t in unreached)
    with campaign_db.session() as session:
        flagged = {
            f.household_id: f
            for f in session.scalars(select(Flag).where(Flag.kind == FlagKind.MISSED_CHECKIN))
        }
        assert set(flagged) == {h.id for h in homes}  # one open flag each, details appended
        assert "2026-11-21T16:00" in flagged[homes[2].id].detail
        # one call per occurrence that was due while the dialer ran, none for the missed one
        for home in homes[:2]:
            occurrences = [
                a.task_id
                for a in session.scalars(select(Attempt).where(Attempt.household_id == home.id))
            ]
            assert len(occurrences) == len(set(occurrences)) == 3
        assert session.get(Campaign, cid).state is CampaignState.COMPLETED


def _calls_for(db, campaign_id, occurrence):  # type: ignore[no-untyped-def]
    ids = {t.id for t in world.tasks_of(db, campaign_id) if t.occurrence == occurrence}
    return [a for a in _originated(db, campaign_id) if a.task_id in ids]
