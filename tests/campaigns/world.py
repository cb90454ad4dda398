"""Small worlds for campaign tests: households with numbers, personas on those numbers, and
campaigns over them, all real (database rows, AstDB personas)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ivr.ami import AmiClient
from ivr.campaigns.manage import create_campaign
from ivr.campaigns.spec import CampaignSpec
from ivr.config import Settings
from ivr.db import Database
from ivr.db.models import Attempt, Colour, Household, Task
from ivr.households.generate import GeneratedHousehold, generate_neighbourhood
from ivr.phone import national_form
from ivr.residents.persona import ASTDB_FAMILY, Persona

MASK_NOTICE = "scripts/mask_notice.yaml"
_seeds = itertools.count(101)
QUICK = Persona(kind="talk", ring_s=0, reply="Yes, thank you.")


def households(
    db: Database, count: int, *, colour: Colour | None = None
) -> list[GeneratedHousehold]:
    """``count`` callable households (a fresh seed each time, so numbers never repeat between
    tests sharing the Asterisk), all of ``colour`` when given."""
    seed = next(_seeds)
    with db.session() as session:
        hood = generate_neighbourhood(
            session, households=count * 2 + 4, buildings=2, seed=seed, committee=f"C{seed}"
        )
        chosen = [h for h in hood.households if h.status is not Colour.GREY][:count]
        keep = {h.id for h in chosen}
        for household in session.scalars(select(Household)):
            if household.id not in keep:
                household.status = Colour.GREY  # out of every target
            elif colour is not None:
                household.status = colour
    assert len(chosen) == count
    if colour is not None:
        chosen = [_with(h, status=colour) for h in chosen]
    return chosen


def _with(household: GeneratedHousehold, **changes: Any) -> GeneratedHousehold:
    values = {name: getattr(household, name) for name in household.__slots__}
    values.update(changes)
    return GeneratedHousehold(**values)


def dial_number(number: str) -> str:
    """The key a persona is stored under: what the dialplan sees (the national form)."""
    return national_form(number, "CN")


async def give_personas(ami: AmiClient, pairs: Iterable[tuple[str, Persona]]) -> None:
    await asyncio.gather(*(ami.db_put(ASTDB_FAMILY, dial_number(n), p.encode()) for n, p in pairs))


def spec(household_ids: list[int], **changes: Any) -> CampaignSpec:
    data: dict[str, Any] = {
        "script": MASK_NOTICE,
        "target": {"households": household_ids},
        "windows": [{"start": "00:00", "end": "00:00"}],
        "max_channels": 4,
        "max_cps": 20,
        "ring_timeout_s": 4,
        "amd": False,  # tests about AMD ask for it
        "retry": {
            name: {"delay_s": 1, "max_attempts": 2}
            for name in ("busy", "no_answer", "failed", "machine", "hung_up_early")
        },
    }
    data.update(changes)
    return CampaignSpec.model_validate(data)


def campaign(
    db: Database,
    settings: Settings,
    name: str,
    the_spec: CampaignSpec,
    *,
    start: bool = True,
    now: datetime | None = None,
) -> int:
    with db.session() as session:
        return create_campaign(session, settings, name=name, spec=the_spec, start=start, now=now).id


def attempts_by_household(db: Database, campaign_id: int) -> dict[int, list[Attempt]]:
    with db.session() as session:
        rows = session.scalars(
            select(Attempt).where(Attempt.campaign_id == campaign_id).order_by(Attempt.id)
        ).all()
    found: dict[int, list[Attempt]] = {}
    for row in rows:
        found.setdefault(row.household_id, []).append(row)  # type: ignore[arg-type]
    return found


def tasks_of(db: Database, campaign_id: int) -> list[Task]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Task)
                .where(Task.campaign_id == campaign_id)
                .order_by(Task.household_id, Task.occurrence)
            )
        )


async def run_until(dialer: Any, done: Callable[[], bool], timeout: float) -> None:
    """Run the dialer until ``done()`` (checked after every poll), then stop it; bounded."""
    stop = asyncio.Event()
    runner = asyncio.create_task(dialer.run(stop))
    try:
        async with asyncio.timeout(timeout):
            while not done():
                if runner.done():
                    runner.result()
                    raise AssertionError("the dialer stopped by itself")
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(runner, 60)
