"""Fixtures for campaign tests: a real embedded Asterisk (the session's ``pbx``), a call engine
on a fresh database, and small generated neighbourhoods whose numbers have personas."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ivr.calls.engine import CallEngine
from ivr.config import Settings
from ivr.db import Database
from ivr.pbx import EmbeddedPbx


@pytest.fixture
def campaign_settings(pbx_settings: Settings, tmp_path: Path) -> Settings:
    """The test Asterisk's settings with a database of this test's own."""
    return pbx_settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'campaigns.db'}", "dialer_poll_s": 0.2}
    )


@pytest.fixture
def campaign_db(campaign_settings: Settings) -> Iterator[Database]:
    database = Database(campaign_settings.database)
    yield database
    database.dispose()


async def simulator_ready(settings: Settings, timeout: float = 30.0) -> None:
    """The resident simulator (started by ``pbx.up()`` as a daemon) takes a few seconds to
    import and log in; a call placed before it listens is refused by the residents' side."""
    async with asyncio.timeout(timeout):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", settings.simulation_port)
            except OSError:
                await asyncio.sleep(0.2)
                continue
            writer.close()
            return


@pytest.fixture
async def dial_engine(
    pbx: EmbeddedPbx, campaign_settings: Settings, campaign_db: Database
) -> AsyncIterator[CallEngine]:
    await simulator_ready(campaign_settings)
    async with CallEngine(campaign_settings, campaign_db, audiosocket_port=0) as running:
        await asyncio.wait_for(running.ami.connected.wait(), 10)
        yield running
