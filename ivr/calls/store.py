"""Attempts in the database, written off the event loop.

An attempt row is committed before its Originate is sent (so a crash never loses a call that
Asterisk placed); each later transition is an UPDATE queued to one writer thread, so the
asyncio loop that drives AMI and the media never waits on the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session

from ivr.db import Database
from ivr.db.models import Attempt

log = logging.getLogger(__name__)
T = TypeVar("T")


class DatabaseWriter:
    """Runs database work on one thread, in submission order."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")
        self._pending: set[asyncio.Future[Any]] = set()

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` in a transaction on the writer thread and return its result."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self._in_transaction, work)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        return await future

    def submit(self, work: Callable[[Session], Any]) -> None:
        """Queue ``work`` without waiting; errors are logged (used for state updates)."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self._in_transaction, work)
        self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: asyncio.Future[Any]) -> None:
        self._pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("database write failed: %s", future.exception())

    def _in_transaction(self, work: Callable[[Session], T]) -> T:
        with self.db.session() as session:
            return work(session)

    async def flush(self) -> None:
        """Wait until everything queued so far is written."""
        if self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def close(self) -> None:
        await self.flush()
        self._executor.shutdown(wait=True)


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
