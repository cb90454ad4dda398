"""Stopping and crashing mid-campaign, for real: SIGTERM and kill -9 of `ivr run` (a real
process running the dialogue runner), and an Asterisk restart under a running dialer."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from ivr.campaigns.conversation import play_prompt_factory
from ivr.campaigns.scheduler import Dialer
from ivr.daemon import settings_env
from ivr.db.models import Attempt, AttemptState, Campaign, CampaignState, Task, TaskState
from ivr.pbx import EmbeddedPbx
from ivr.residents.simulator import read_truth
from tests.campaigns import world

pytestmark = [pytest.mark.pbx]
REPO = Path(__file__).resolve().parents[2]
HELLO = str(REPO / "tests" / "campaigns" / "scripts" / "hello.yaml")
OPEN = tuple(s for s in AttemptState if not s.final)


def start_ivr_run(settings, log: Path) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    env.update(settings_env(settings))
    env["IVR_PROMPT_CACHE_DIR"] = str(REPO / "voice_prompts" / "cache")
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ivr", "run"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=out,
            stdin=subprocess.DEVNULL,
        )


def attempts(db, campaign_id):  # type: ignore[no-untyped-def]
    with db.session() as session:
        return list(
            session.scalars(
                select(Attempt).where(Attempt.campaign_id == campaign_id).order_by(Attempt.id)
            )
        )


def task_states(db, campaign_id) -> Counter:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return Counter(session.scalars(select(Task.state).where(Task.campaign_id == campaign_id)))


def campaign_state(db, campaign_id) -> CampaignState:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return session.get(Campaign, campaign_id).state


async def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    try:
        async with asyncio.timeout(timeout):
            while not predicate():  # noqa: ASYNC110 - another process changes the database
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for: {what}") from None


async def exited(process: subprocess.Popen, timeout: float) -> int:  # type: ignore[type-arg]
    return await asyncio.wait_for(asyncio.to_thread(process.wait), timeout)


async def test_sigterm_lets_calls_in_progress_finish(
    dial_engine, campaign_settings, campaign_db, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    homes = world.households(campaign_db, 8)
    await world.give_personas(dial_engine.ami, [(n, world.QUICK) for h in homes for n in h.phones])
    cid = world.campaign(
        campaign_db,
        campaign_settings,
        "sigterm",
        world.spec([h.id for h in homes], script=HELLO, max_channels=2),
    )
    process = start_ivr_run(campaign_settings, tmp_path / "run.log")
    try:
        await wait_for(
            lambda: any(
                a.state is AttemptState.IN_CONVERSATION for a in attempts(campaign_db, cid)
            ),
            60,
            "a call in progress",
        )
        snapshot = attempts(campaign_db, cid)
        talking = {a.id for a in snapshot if a.state is AttemptState.IN_CONVERSATION}
        prepared = {a.id for a in snapshot if a.state is AttemptState.QUEUED}
        process.send_signal(signal.SIGTERM)
        assert await exited(process, 60) == 0, (tmp_path / "run.log").read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
    after = {a.id: a for a in attempts(campaign_db, cid)}
    assert not [a for a in after.values() if a.state in OPEN], "nothing left in flight"
    assert all(after[i].state is AttemptState.COMPLETED for i in talking), [
        (after[i].state, after[i].reason) for i in talking
    ]
    # attempts committed ahead but never sent are gone, or were sent before the signal
    assert all(after[i].originated_at is not None for i in prepared if i in after)
    states = task_states(campaign_db, cid)
    assert states[TaskState.ACTIVE] == 0 and states[TaskState.PENDING] > 0  # the rest wait


async def test_kill_9_mid_campaign_then_restart(
    dial_engine, campaign_settings, campaign_db, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    homes = world.households(campaign_db, 12)
    await world.give_personas(dial_engine.ami, [(n, world.QUICK) for h in homes for n in h.phones])
    retry = {"failed": {"delay_s": 1, "max_attempts": 3}}
    cid = world.campaign(
        campaign_db,
        campaign_settings,
        "kill9",
        world.spec([h.id for h in homes], script=HELLO, max_channels=4, retry=retry),
    )
    truth = campaign_settings.data_dir / "residents" / "truth.jsonl"
    truth_before = len(read_truth(truth))
    log = tmp_path / "run.log"
    first = start_ivr_run(campaign_settings, log)
    try:
        await wait_for(
            lambda: (
                sum(a.state is AttemptState.COMPLETED for a in attempts(campaign_db, cid)) >= 3
                and any(a.state in OPEN for a in attempts(campaign_db, cid))
            ),
            90,
            "three calls done and more in flight",
        )
        first.send_signal(signal.SIGKILL)
        await exited(first, 10)
    finally:
        if first.poll() is None:
            first.kill()
    before = {a.id: a for a in attempts(campaign_db, cid)}
    completed_before = {i for i, a in before.items() if a.state is AttemptState.COMPLETED}
    in_flight = {i for i, a in before.items() if a.state in OPEN}
    assert in_flight, "the kill fell mid-campaign"

    second = start_ivr_run(campaign_settings, log)
    try:
        await wait_for(
            lambda: campaign_state(campaign_db, cid) is CampaignState.COMPLETED,
            120,
            "the campaign completed after the restart",
        )
        second.send_signal(signal.SIGTERM)
        assert await exited(second, 60) == 0, log.read_text()[-3000:]
    finally:
        if second.poll() is None:
            second.kill()
    after = attempts(campaign_db, cid)
    by_id = {a.id: a for a in after}
    # every result reported before the crash is still there
    assert all(by_id[i].state is AttemptState.COMPLETED for i in completed_before)
    # what was in flight was finished: unsent attempts gone, the others ended with a reason
    for i in in_flight:
        if i in by_id:
            assert by_id[i].state.final and by_id[i].reason, (by_id[i].state, by_id[i].reason)
    assert not [a for a in after if a.state in OPEN]
    per_household = Counter(a.household_id for a in after)
    completed = Counter(a.household_id for a in after if a.state is AttemptState.COMPLETED)
    assert set(completed.values()) == {1}, "nobody reached twice"
    assert max(per_household.values()) <= 1 + retry["failed"]["max_attempts"]
    # every call a resident answered had its attempt committed first
    answered = Counter(r["number"] for r in read_truth(truth)[truth_before:])
    dialled = Counter(world.dial_number(a.number) for a in after if a.answered_at is not None)
    dialled_any = Counter(world.dial_number(a.number) for a in after)
    for number, calls in answered.items():
        assert calls <= dialled_any[number], (number, calls, dialled[number])
    assert task_states(campaign_db, cid)[TaskState.DONE] == len(homes)


async def test_asterisk_restart_mid_campaign(
    dial_engine, campaign_settings, campaign_db, pbx: EmbeddedPbx
) -> None:  # type: ignore[no-untyped-def]
    homes = world.households(campaign_db, 8)
    await world.give_personas(dial_engine.ami, [(n, world.QUICK) for h in homes for n in h.phones])
    retry = {
        name: {"delay_s": 1, "max_attempts": 3}
        for name in ("failed", "hung_up_early", "no_answer", "busy", "machine")
    }
    cid = world.campaign(
        campaign_db,
        campaign_settings,
        "restart",
        world.spec([h.id for h in homes], max_channels=3, retry=retry),
    )
    dialer = Dialer(
        campaign_settings,
        dial_engine,
        poll_s=0.2,
        conversations=play_prompt_factory(bytes(16000 * 4), listen_s=0.5),
    )
    stop = asyncio.Event()
    runner = asyncio.create_task(dialer.run(stop))
    try:
        await wait_for(
            lambda: (
                sum(a.state is AttemptState.IN_CONVERSATION for a in attempts(campaign_db, cid))
                >= 2
            ),
            60,
            "two calls in conversation",
        )
        await asyncio.to_thread(pbx.cli, "core restart now", 10.0, False)
        await wait_for(
            lambda: dialer.states.get(cid) is CampaignState.COMPLETED,
            150,
            "the campaign completed after the restart",
        )
    finally:
        stop.set()
        await asyncio.wait_for(runner, 60)
        await asyncio.to_thread(pbx._wait_booted)
    after = attempts(campaign_db, cid)
    cut = [a for a in after if a.state is AttemptState.FAILED]
    assert cut and all("Asterisk" in a.reason or "interrupted" in a.reason for a in cut), [
        a.reason for a in cut
    ]
    assert task_states(campaign_db, cid)[TaskState.DONE] == len(homes), [
        (a.household_id, a.state, a.reason, a.script_outcome) for a in after
    ]
    per_household = Counter(a.household_id for a in after)
    assert max(per_household.values()) <= 1 + 2 * 3  # one call, and retries by policy
    assert Counter(
        a.household_id for a in after if a.state is AttemptState.COMPLETED
    ) == dict.fromkeys((h.id for h in homes), 1)
