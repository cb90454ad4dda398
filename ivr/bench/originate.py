"""``ivr bench originate``: how fast the dialer refills free channels, and how many calls it
holds at once, against simulated residents who answer at once and hang up after 2 s.

overhead = time from a call ending (its channel free) to the next Originate being written,
including committing the next attempt to the database first.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ivr.audiosocket import AudioSocketSession
from ivr.bench.stats import percentile, process_cpu_s, rss_mb
from ivr.calls.engine import CallEngine
from ivr.calls.tracker import Call
from ivr.config import Settings
from ivr.db import Database
from ivr.db.models import AttemptState
from ivr.residents.persona import ASTDB_FAMILY, Persona

BENCH_NUMBER = "8999"


async def _hold_line(call: Call, session: AudioSocketSession) -> str:
    """The robot's side: keep the media flowing (silence) until the resident hangs up."""
    await session.closed.wait()
    return "completed"


async def run(
    settings: Settings, db: Database, calls: int, channels: int, hold_s: int = 2
) -> dict[str, Any]:
    from ivr.pbx import EmbeddedPbx

    pbx = EmbeddedPbx(settings)
    pbx.up()
    asterisk_pid = pbx.status().pid
    engine = CallEngine(settings, db, audiosocket_port=0)
    async with engine:
        await engine.ami.db_put(
            ASTDB_FAMILY, BENCH_NUMBER, Persona(kind="brief", ring_s=0, hold_s=hold_s).encode()
        )
        loop = asyncio.get_running_loop()
        overheads: list[float] = []
        outcomes: dict[str, int] = {}
        free_since: list[float] = []  # when each channel became free, oldest first
        max_concurrent = 0
        placed = 0
        done = asyncio.Event()
        finished = 0
        cpu_before = process_cpu_s(asterisk_pid) if asterisk_pid else 0.0

        def ended(call: Call, future: asyncio.Future[AttemptState]) -> None:
            nonlocal finished
            finished += 1
            state = future.result()
            outcomes[state.value] = outcomes.get(state.value, 0) + 1
            free_since.append(loop.time())
            if finished == calls:
                done.set()
            else:
                spawn(next_call())

        ready: asyncio.Queue[Call] = asyncio.Queue()
        # like the campaign dialer: attempts are committed while channels are busy, up to one
        # per channel ahead, several at once so they share a commit
        ahead = asyncio.Semaphore(channels)
        tasks: set[asyncio.Task[None]] = set()

        def spawn(coroutine: Any) -> None:
            task = loop.create_task(coroutine)
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        async def prepare_one() -> None:
            await ready.put(await engine.prepare(BENCH_NUMBER, conversation=_hold_line))

        async def prepare_ahead() -> None:
            for _ in range(calls):
                await ahead.acquire()
                spawn(prepare_one())

        spawn(prepare_ahead())

        async def next_call() -> None:
            nonlocal placed, max_concurrent
            if placed >= calls:
                return
            placed += 1
            freed = free_since.pop(0) if free_since else None
            call = await engine.originate(await ready.get())
            ahead.release()
            if freed is not None and call.originate_sent_at is not None:
                overheads.append(1000.0 * (call.originate_sent_at - freed))
            max_concurrent = max(max_concurrent, engine.active_calls)
            call.ended.add_done_callback(lambda f, c=call: ended(c, f))

        started = time.perf_counter()
        await asyncio.gather(*(next_call() for _ in range(min(channels, calls))))
        await asyncio.wait_for(done.wait(), timeout=calls * (hold_s + 30))
        wall = time.perf_counter() - started
        for task in list(tasks):
            task.cancel()
        cpu_asterisk = (process_cpu_s(asterisk_pid) - cpu_before) if asterisk_pid else 0.0
    answered = sum(v for k, v in outcomes.items() if k in ("completed", "hung_up_early"))
    return {
        "calls": calls,
        "channels": channels,
        "wall_s": round(wall, 2),
        "originate_per_s": round(calls / wall, 2),
        "answered": answered,
        "failed": calls - answered,
        "outcomes": outcomes,
        "overhead_ms_p50": round(percentile(overheads, 0.5), 2),
        "overhead_ms_p95": round(percentile(overheads, 0.95), 2),
        "max_concurrent": max_concurrent,
        "rss_mb": rss_mb(),
        "asterisk_cpu_s": round(cpu_asterisk, 2),
        "audiosocket_late_ticks": engine.audiosocket.stats["late_ticks"],
    }
