"""Run given campaigns to completion in this process (``ivr demo``, ``ivr bench campaign``):
the same dialer as ``ivr run``, stopped when every one of them is completed or cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ivr.calls.engine import CallEngine
from ivr.campaigns.conversation import ConversationFactory, script_runner
from ivr.campaigns.scheduler import Dialer
from ivr.config import Settings
from ivr.db import Database
from ivr.db.models import CampaignState

FINISHED = (CampaignState.COMPLETED, CampaignState.CANCELLED)


async def run_to_completion(
    settings: Settings,
    db: Database,
    campaign_ids: list[int],
    *,
    max_channels: int | None = None,
    conversations: ConversationFactory = script_runner,
    on_progress: Callable[[Dialer], Any] | None = None,
    timeout_s: float | None = None,
) -> Dialer:
    """Dial until every campaign in ``campaign_ids`` is finished; returns the dialer (its
    stats). ``on_progress`` is called about once a second while it runs."""
    engine = CallEngine(settings, db, audiosocket_port=0)
    async with engine:
        dialer = Dialer(
            settings,
            engine,
            max_channels=max_channels,
            conversations=conversations,
            campaign_ids=set(campaign_ids),
        )
        stop = asyncio.Event()
        runner = asyncio.create_task(dialer.run(stop), name="dialer")
        try:
            async with asyncio.timeout(timeout_s):
                while not all(dialer.states.get(c) in FINISHED for c in campaign_ids):
                    if runner.done():
                        runner.result()
                        break
                    if on_progress is not None:
                        on_progress(dialer)
                    await asyncio.sleep(1.0)
        finally:
            stop.set()
            await runner
        await engine.writer.flush()
    return dialer
