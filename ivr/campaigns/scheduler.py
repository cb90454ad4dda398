"""The dialer: keeps channels full with the due households of running campaigns.

One asyncio loop with the call engine (AMI + AudioSocket). For every running campaign whose
calling window is open, in order of priority, the dialer starts calls while the campaign has
fewer than ``max_channels`` in flight, all campaigns together fewer than
``dialer_max_channels``, and the campaign's token bucket allows (``max_cps``).

Attempts are committed ahead (:meth:`CallEngine.prepare`): a few due tasks are claimed and
their attempts prepared while channels are busy, so a freed channel is refilled by an Originate
alone, from the call's end callback. What is decided by the time of day (windows, due tasks,
deadlines) reads an injectable ``clock``; pacing reads the loop's monotonic clock.

Campaign changes (start, pause, resume, cancel, an edited spec) are read from the database every
``dialer_poll_s``. Pausing or stopping (SIGTERM) stops new calls and lets calls in flight finish;
prepared attempts that were never sent are deleted and their tasks go back to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.calls.engine import CallEngine
from ivr.calls.tracker import Call
from ivr.campaigns import tasks
from ivr.campaigns.conversation import CampaignConversation, ConversationFactory, script_runner
from ivr.campaigns.pacing import TokenBucket
from ivr.campaigns.reconcile import ReconcileReport, reconcile
from ivr.campaigns.spec import CampaignSpec
from ivr.campaigns.windows import CallingWindows
from ivr.config import Settings
from ivr.db.models import AttemptState, Campaign, CampaignState, utcnow
from ivr.errors import InputError
from ivr.phone import mask
from ivr.script import load_script_text

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
IDLE_CLAIM_S = 1.0  # a campaign with nothing due is asked again after this long


@dataclass
class CampaignRun:
    """A running campaign as the dialer holds it."""

    id: int
    name: str
    state: CampaignState
    spec: CampaignSpec
    updated_at: datetime
    windows: CallingWindows
    bucket: TokenBucket
    amd: bool
    talk: CampaignConversation | None = None
    ready: deque[Call] = field(default_factory=deque)
    preparing: int = 0
    active: int = 0
    nothing_due_until: float = 0.0  # loop time
    open_until: datetime | None = None  # cached: the window is open until then
    closed_until: datetime | None = None  # cached: the window is closed until then
    starting: bool = False  # its conversation is being prepared

    @property
    def dialing(self) -> bool:
        return self.state is CampaignState.RUNNING and self.talk is not None

    def window_open(self, now: datetime) -> bool:
        if self.open_until is not None and now < self.open_until:
            return True
        if self.closed_until is not None and now < self.closed_until:
            return False
        self.open_until = self.windows.open_until(now)
        if self.open_until is not None:
            self.closed_until = None
            return True
        self.closed_until = self.windows.next_open(now)
        return False


@dataclass
class DialerStats:
    started: int = 0
    ended: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    busy_channel_s: float = 0.0  # sum over calls of Originate → end
    max_in_flight: int = 0
    originate_refused: int = 0
    # a freed channel refilled from the end callback: ms from the end to the Originate written
    refill_ms: list[float] = field(default_factory=list)
    refill_missed: int = 0  # a channel freed with no prepared attempt ready for it
    prepare_ms: list[float] = field(default_factory=list)  # household context + attempt row
    reconciled: list[dict[str, int]] = field(default_factory=list)


class Dialer:
    def __init__(
        self,
        settings: Settings,
        engine: CallEngine,
        *,
        clock: Clock = utcnow,
        conversations: ConversationFactory = script_runner,
        max_channels: int | None = None,
        poll_s: float | None = None,
        campaign_ids: set[int] | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.writer = engine.writer
        self.node = engine.node  # attempts carry the engine's node name; reconcile matches it
        self.clock = clock
        self.conversations = conversations
        self.max_channels = max_channels or settings.dialer_max_channels
        self.poll_s = poll_s or settings.dialer_poll_s
        self.only = campaign_ids  # None: every running campaign
        self.runs: dict[int, CampaignRun] = {}
        self.states: dict[int, CampaignState] = {}  # every campaign seen, as last read
        self.in_flight = 0
        self.stats = DialerStats()
        self.stopping = False
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._background: set[asyncio.Task[Any]] = set()
        self._writes: set[asyncio.Future[Any]] = set()
        self._ami_was_down = False
        self._refused: dict[int, datetime] = {}  # campaigns that cannot run, as of updated_at
        self._freed_at: float | None = None  # loop time a call just ended, for refill_ms
        # Asterisk refuses Originates while it shuts down and before its dialplan is loaded:
        # dial only between FullyBooted (sent on every AMI login once booted) and Shutdown
        self._pbx_ready = engine.ami.connected.is_set()

    # -- running ------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Dial until ``stop`` is set, then stop starting calls and let those in flight end."""
        self.engine.ami.add_connection_listener(self._on_ami_connection)
        self.engine.ami.add_listener(self._on_ami_event)
        await self.reconcile()
        poller = asyncio.create_task(self._poll_loop(), name="dialer-poll")
        try:
            while not stop.is_set():
                self._fill()
                waiter = asyncio.create_task(self._wake.wait())
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait(
                    {waiter, stopper},
                    timeout=self._next_wake(),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                waiter.cancel()
                stopper.cancel()
                self._wake.clear()
                if poller.done():
                    poller.result()  # a failed poll loop is a failed dialer
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
            await self.drain()

    async def reconcile(self) -> ReconcileReport:
        tracked = set(self.engine.tracker.calls)
        prepared = {c.uuid for run in self.runs.values() for c in run.ready}
        busy_tasks = {
            c.task_id for run in self.runs.values() for c in run.ready if c.task_id is not None
        } | {c.task_id for c in self.engine.tracker.calls.values() if c.task_id is not None}
        report = await reconcile(
            self.writer,
            self.engine.ami if self.engine.ami.connected.is_set() else None,
            node=self.node,
            now=self.clock(),
            skip_uuids=tracked | prepared,
            skip_tasks=busy_tasks,
        )
        self.stats.reconciled.append(report.as_dict())
        return report

    async def drain(self) -> None:
        """Stop starting calls; give back prepared attempts; wait for calls in flight."""
        self.stopping = True
        for run in self.runs.values():
            await self._release_ready(run)
        try:
            await asyncio.wait_for(self._idle.wait(), self.settings.dialer_drain_timeout_s)
        except TimeoutError:
            log.warning(
                "%d call(s) still in flight after %.0f s; the next start reconciles them",
                self.in_flight,
                self.settings.dialer_drain_timeout_s,
            )
        # attempts being prepared right now are given back as they land (stopping is set)
        while any(run.preparing for run in self.runs.values()):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        for run in self.runs.values():
            await self._release_ready(run)
        if self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)
        await self.writer.flush()

    def _next_wake(self) -> float:
        wait = self.poll_s
        now = asyncio.get_running_loop().time()
        for run in self.runs.values():
            if run.dialing and run.ready and run.active < run.spec.max_channels:
                wait = min(wait, max(0.005, run.bucket.wait_s(now)))
        return wait

    def _spawn(self, coroutine: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(_log_task_failure)

    def _track_write(self, work: Any) -> None:
        """Run a writer coroutine in the background; drain waits for it."""
        future = asyncio.ensure_future(work)
        self._writes.add(future)
        future.add_done_callback(self._writes.discard)
        future.add_done_callback(_log_task_failure)

    # -- filling channels ---------------------------------------------------------------------

    def _fill(self) -> None:
        """Start every call that channels, pacing and windows allow, and prepare more."""
        if self.stopping or not self._pbx_ready or not self.engine.ami.connected.is_set():
            return
        loop_now = asyncio.get_running_loop().time()
        now = self.clock()
        waiting_priority: int | None = None  # a campaign above is owed the free channels
        for run in sorted(self.runs.values(), key=lambda r: (-r.spec.priority, r.id)):
            if not run.dialing or not run.window_open(now):
                continue
            if waiting_priority is not None and run.spec.priority < waiting_priority:
                self._prepare_more(run, loop_now)
                continue
            while (
                run.ready
                and self.in_flight < self.max_channels
                and run.active < run.spec.max_channels
                and run.bucket.take(loop_now)
            ):
                call = run.ready.popleft()
                run.active += 1
                self.in_flight += 1
                self._idle.clear()
                self.stats.max_in_flight = max(self.stats.max_in_flight, self.in_flight)
                call.ended.add_done_callback(partial(self._ended, run, call))
                self._spawn(self._originate(call, self._freed_at), f"originate-{call.uuid}")
                self._freed_at = None
                self.stats.started += 1
            self._prepare_more(run, loop_now)
            if (run.ready or run.preparing) and run.active < run.spec.max_channels:
                # it waits for its pacing or its next attempts: lower priorities wait behind it
                waiting_priority = run.spec.priority

    async def _originate(self, call: Call, freed_at: float | None) -> None:
        await self.engine.originate(call)
        if freed_at is not None and call.originate_sent_at is not None:
            self.stats.refill_ms.append(1000.0 * (call.originate_sent_at - freed_at))

    def _prepare_more(self, run: CampaignRun, loop_now: float) -> None:
        cap = min(self.settings.dialer_prepare_ahead, run.spec.max_channels, self.max_channels)
        wanted = cap - len(run.ready) - run.preparing
        if wanted <= 0 or loop_now < run.nothing_due_until:
            return
        run.preparing += wanted
        self._spawn(self._prepare_batch(run, wanted), f"prepare-{run.id}")

    async def _prepare_batch(self, run: CampaignRun, count: int) -> None:
        try:
            now = self.clock()
            claims = await self.writer.run(
                lambda s: tasks.claim_due(
                    s,
                    run.id,
                    node=self.node,
                    now=now,
                    limit=count,
                    lease_s=self.settings.dialer_lease_s,
                )
            )
            if len(claims) < count:
                run.nothing_due_until = asyncio.get_running_loop().time() + IDLE_CLAIM_S
            # concurrently, so their attempt rows share one commit
            await asyncio.gather(*(self._prepare_one(run, claim) for claim in claims))
        finally:
            run.preparing -= count
        self._wake.set()

    async def _prepare_one(self, run: CampaignRun, claim: tasks.Claim) -> None:
        assert run.talk is not None
        began = asyncio.get_running_loop().time()
        try:
            context = await run.talk.prepare_household(claim.household_id)
            call = await self.engine.prepare(
                claim.number,
                conversation=run.talk.conversation,
                context=context,
                household_id=claim.household_id,
                campaign_id=run.id,
                task_id=claim.task_id,
                amd=run.amd,
                record=run.spec.record,
                dial_template=run.spec.dial_template or None,
                ring_timeout_s=run.spec.ring_timeout_s,
            )
        except InputError as exc:  # a number or template Asterisk must never see
            log.error("campaign %s: %s cannot be dialled: %s", run.name, mask(claim.number), exc)
            self._track_write(
                self.writer.run(
                    partial(
                        tasks.apply_outcome,
                        task_id=claim.task_id,
                        attempt_id=None,
                        state=AttemptState.FAILED,
                        script_outcome=None,
                        spec=run.spec,
                        now=self.clock(),
                    )
                )
            )
            return
        except Exception:
            log.exception(
                "campaign %s: preparing household %d failed", run.name, claim.household_id
            )
            run.nothing_due_until = asyncio.get_running_loop().time() + IDLE_CLAIM_S
            self._track_write(self.writer.run(lambda s: tasks.release(s, [claim.task_id])))
            return
        self.stats.prepare_ms.append(1000.0 * (asyncio.get_running_loop().time() - began))
        if self.stopping or not run.dialing:
            await self._give_back(call)
            return
        run.ready.append(call)

    async def _give_back(self, call: Call) -> None:
        """A prepared attempt that will not be sent: its row goes, its task is queued again."""
        await self.engine.discard(call)
        task_id = call.task_id
        if task_id is not None:
            await self.writer.run(lambda s: tasks.release(s, [task_id]))

    async def _release_ready(self, run: CampaignRun) -> None:
        while run.ready:
            await self._give_back(run.ready.popleft())

    def _ended(self, run: CampaignRun, call: Call, future: asyncio.Future[AttemptState]) -> None:
        run.active -= 1
        self.in_flight -= 1
        if self.in_flight == 0:
            self._idle.set()
        state = future.result()
        self.stats.ended += 1
        self.stats.outcomes[call.conversation_result or state.value] += 1
        if call.reason.startswith("Originate not accepted"):
            self.stats.originate_refused += 1
        if call.originate_sent_at is not None:
            self.stats.busy_channel_s += asyncio.get_running_loop().time() - call.originate_sent_at
        if call.task_id is not None:
            self._track_write(
                self.writer.run(
                    partial(
                        tasks.apply_outcome,
                        task_id=call.task_id,
                        attempt_id=call.attempt_id,
                        state=state,
                        script_outcome=call.conversation_result,
                        spec=run.spec,
                        now=self.clock(),
                    )
                )
            )
        self._freed_at = asyncio.get_running_loop().time()
        self._fill()
        if self._freed_at is not None:  # nothing was ready to take the channel
            self._freed_at = None
            if not self.stopping:
                self.stats.refill_missed += 1

    # -- campaign changes ---------------------------------------------------------------------

    async def _poll_loop(self) -> None:
        while True:
            try:
                await self.poll()
            except Exception:  # the database may be back next time; calls in flight go on
                log.exception("dialer: reading campaigns failed")
            self._wake.set()
            await asyncio.sleep(self.poll_s)

    async def poll(self) -> None:
        """Read campaign states and specs; start, change, pause or drop runs to match; mark
        missed occurrences and completed campaigns."""
        known = list(self.runs)
        only = self.only

        def read(session: Session) -> list[tuple[Any, ...]]:
            query = select(
                Campaign.id,
                Campaign.name,
                Campaign.state,
                Campaign.spec,
                Campaign.updated_at,
                Campaign.script_source,
                Campaign.script_name,
            ).where((Campaign.state == CampaignState.RUNNING) | Campaign.id.in_(known))
            if only is not None:
                query = query.where(Campaign.id.in_(only))
            return [tuple(row) for row in session.execute(query)]

        rows = await asyncio.to_thread(self._read, read)
        seen = set()
        for cid, name, state, spec_data, updated_at, source, script_name in rows:
            seen.add(cid)
            self.states[cid] = state
            run = self.runs.get(cid)
            if run is None:
                if state is CampaignState.RUNNING and self._refused.get(cid) != updated_at:
                    self._start_run(cid, name, spec_data, updated_at, source, script_name)
                continue
            run.state = state
            if updated_at != run.updated_at:
                self._update_spec(run, spec_data, updated_at)
            if not run.dialing or not run.window_open(self.clock()):
                await self._release_ready(run)
        for cid in [c for c in self.runs if c not in seen]:
            self.runs[cid].state = CampaignState.CANCELLED  # deleted under our feet
            await self._release_ready(self.runs[cid])
        for cid, run in list(self.runs.items()):
            idle = not run.active and not run.preparing and not run.ready
            if not run.dialing and not run.starting and idle:
                del self.runs[cid]
        await self._housekeeping()

    def _read(self, work: Callable[[Session], Any]) -> Any:
        with self.engine.db.session() as session:
            return work(session)

    def _start_run(
        self,
        cid: int,
        name: str,
        spec_data: dict[str, Any],
        updated_at: datetime,
        source: str,
        script_name: str,
    ) -> None:
        """Hold the campaign and prepare its conversation in the background (rendering its
        fixed prompts can take a while the first time; other campaigns go on meanwhile)."""
        try:
            spec = CampaignSpec.model_validate(spec_data)
            script = load_script_text(source, script_name)
        except Exception as exc:
            self._refused[cid] = updated_at  # said once, until the campaign is changed
            log.error("campaign %s cannot run: %s", name, exc)
            return
        zone = spec.zone(self.settings.campaign_timezone)
        run = CampaignRun(
            id=cid,
            name=name,
            state=CampaignState.RUNNING,
            spec=spec,
            updated_at=updated_at,
            windows=CallingWindows(spec.windows, zone),
            bucket=TokenBucket(spec.max_cps, asyncio.get_running_loop().time()),
            amd=script.amd if spec.amd is None else spec.amd,
            starting=True,
        )
        self.runs[cid] = run
        self._spawn(self._prepare_talk(run, script), f"campaign-{cid}-prepare")

    async def _prepare_talk(self, run: CampaignRun, script: Any) -> None:
        try:
            talk = self.conversations(
                self.settings,
                self.writer,
                script,
                run.id,
                dict(run.spec.variables),
                self.engine.ami,
            )
            await talk.prepare()  # fixed prompts rendered once, before the first call
        except Exception:
            log.exception("campaign %s: its conversation could not be prepared", run.name)
            self._refused[run.id] = run.updated_at
            run.state = CampaignState.CANCELLED  # not in the database: dropped from this run
            return
        finally:
            run.starting = False
        run.talk = talk
        log.info(
            "campaign %s running: up to %d channels, %.1f calls/s",
            run.name,
            run.spec.max_channels,
            run.spec.max_cps,
        )
        self._wake.set()

    def _update_spec(
        self, run: CampaignRun, spec_data: dict[str, Any], updated_at: datetime
    ) -> None:
        run.updated_at = updated_at
        try:
            spec = CampaignSpec.model_validate(spec_data)
        except ValueError as exc:
            log.error("campaign %s: changed spec refused, keeping the old one: %s", run.name, exc)
            return
        run.spec = spec
        run.windows = CallingWindows(spec.windows, spec.zone(self.settings.campaign_timezone))
        run.open_until = run.closed_until = None
        run.bucket.set_rate(spec.max_cps)

    async def _housekeeping(self) -> None:
        now = self.clock()
        runs = [(r.id, r.spec, r.active + r.preparing + len(r.ready)) for r in self.runs.values()]

        def work(session: Session) -> None:
            for cid, spec, busy in runs:
                if spec.recurring:
                    tasks.expire_overdue(session, cid, spec, now)
                campaign = session.get(Campaign, cid)
                if (
                    campaign is not None
                    and not busy
                    and tasks.finish_if_done(session, campaign, now)
                ):
                    log.info("campaign %s completed", campaign.name)

        await self.writer.run(work)

    # -- Asterisk coming and going ------------------------------------------------------------

    def _on_ami_event(self, event: Any) -> None:
        if event.event == "Shutdown":
            self._pbx_ready = False
        elif event.event == "FullyBooted":
            self._pbx_ready = True
            self._wake.set()

    def _on_ami_connection(self, up: bool) -> None:
        if not up:
            self._ami_was_down = True
            self._pbx_ready = False
            return
        if self._ami_was_down and not self.stopping:
            self._ami_was_down = False
            self._spawn(self._after_reconnect(), "dialer-reconcile")

    async def _after_reconnect(self) -> None:
        await asyncio.sleep(0.5)  # let the tracker settle what it can still see
        await self.reconcile()
        self._wake.set()


def _log_task_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("dialer task failed: %r", task.exception())
