"""Attempts in the database, written off the event loop.

An attempt row is committed before its Originate is sent (so a crash never loses a call that
Asterisk placed); each later transition is an UPDATE queued to one writer thread, so the
asyncio loop that drives AMI and the media never waits on the database.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session

from ivr.db import Database
from ivr.db.models import Attempt

log = logging.getLogger(__name__)
T = TypeVar("T")


class DatabaseWriter:
    """Runs database work on one thread, in submission order, with group commit.

    Whatever is queued while a transaction runs goes into the next one together: during a busy
    campaign dozens of small updates share one commit, so the next attempt's insert (which an
    Originate waits for) never queues behind a long line of separate commits.
    """

    MAX_BATCH = 500

    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="db-writer", daemon=True)
        self._thread.start()
        self._outstanding: set[asyncio.Future[Any]] = set()
        self.batches = 0
        self.items = 0

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` in a transaction on the writer thread and return its result."""
        return await self._enqueue(work)

    def submit(self, work: Callable[[Session], Any]) -> None:
        """Queue ``work`` without waiting; errors are logged (used for state updates)."""
        future = self._enqueue(work)
        future.add_done_callback(_log_failure)

    def _enqueue(self, work: Callable[[Session], Any]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._outstanding.add(future)
        future.add_done_callback(self._outstanding.discard)
        self._queue.put(_Work(work, future, loop))
        return future

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._run_batch(batch)
            if stop:
                return

    def _run_batch(self, batch: list[_Work]) -> None:
        self.batches += 1
        self.items += len(batch)
        try:
            with self.db.session() as session:
                results = [item.work(session) for item in batch]
        except Exception:
            # one bad item must not lose the others: run each alone to find it
            for item in batch:
                try:
                    with self.db.session() as session:
                        item.resolve(item.work(session), None)
                except Exception as exc:
                    item.resolve(None, exc)
            return
        for item, result in zip(batch, results, strict=True):
            item.resolve(result, None)

    async def flush(self) -> None:
        """Wait until everything queued so far is written."""
        if self._outstanding:
            await asyncio.gather(*list(self._outstanding), return_exceptions=True)

    async def close(self) -> None:
        await self.flush()
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join, 10.0)


@dataclass
class _Work:
    work: Callable[[Session], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop

    def resolve(self, result: Any, error: BaseException | None) -> None:
        def settle() -> None:
            if self.future.done():
                return
            if error is not None:
                self.future.set_exception(error)
            else:
                self.future.set_result(result)

        try:
            self.loop.call_soon_threadsafe(settle)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass


def _log_failure(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("database write failed: %s", future.exception())


class AttemptStore:
    def __init__(self, writer: DatabaseWriter) -> None:
        self.writer = writer

    async def create(self, **fields: Any) -> int:
        """Insert and commit an attempt; returns its id."""

        def work(session: Session) -> int:
            attempt = Attempt(**fields)
            session.add(attempt)
            session.flush()
            return attempt.id

        return await self.writer.run(work)

    def update(self, attempt_id: int, changes: dict[str, Any]) -> None:
        values = {k: v for k, v in changes.items() if k in Attempt.__table__.columns}

        def work(session: Session) -> None:
            session.execute(update(Attempt).where(Attempt.id == attempt_id).values(**values))

        self.writer.submit(work)
