"""``ivr demo``: the main job end to end, on the embedded Asterisk with simulated residents.

A generated neighbourhood the size of the story's (93 buildings, 2,046 households) goes into a
database of its own (``data_dir/demo/ivr.db``: a staff database is never touched), every
number gets a resident persona, and two campaigns run to completion with the real dialer: the
mask pick-up notice to every household, and a temperature check-in of the orange (home health
management) households — one occurrence, now, so the demo ends. Then a summary, and the
report view on that database with a staff login made for the demo.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from ivr.cli._common import console, emit_json, state

REPO = Path(__file__).resolve().parents[2]
SEED = 2020
DEMO_USER = "demo"


def _campaign_specs(settings: Any, channels: int) -> list[tuple[str, Any]]:
    from ivr.campaigns.spec import CampaignSpec

    zone = CampaignSpec(script="x").zone(settings.campaign_timezone)
    now = datetime.now(zone)
    quick = {"delay_s": 60, "max_attempts": 2}  # the demo retries within minutes, not hours
    common = {
        "windows": [{"start": "00:00", "end": "00:00"}],  # the demo runs whenever it is started
        "max_channels": channels,
        "max_cps": 10,
        "ring_timeout_s": 20,
        "retry": {k: quick for k in ("busy", "no_answer", "failed", "machine", "hung_up_early")},
    }
    masks = CampaignSpec.model_validate(
        {
            **common,
            "script": str(REPO / "scripts" / "mask_notice.yaml"),
            "target": {},
            "variables": {"pickup_place": "the committee office, building 1"},
        }
    )
    checkin = CampaignSpec.model_validate(
        {
            **common,
            "script": str(REPO / "scripts" / "temperature_checkin.yaml"),
            "target": {"statuses": ["orange"]},
            "priority": 10,  # health first
            "schedule": {"times": [f"{now:%H:%M}"], "days": 1, "start": now.date().isoformat()},
        }
    )
    if now + timedelta(minutes=1) > now.replace(hour=23, minute=59):
        checkin = checkin.model_copy(update={"schedule": None})  # at midnight: a one-off
    return [("Mask pick-up notice", masks), ("Daily health check-in", checkin)]


def demo(
    ctx: typer.Context,
    households: Annotated[int, typer.Option(min=10, help="Households to generate.")] = 2046,
    buildings: Annotated[int, typer.Option(min=1, help="Buildings to spread them over.")] = 93,
    channels: Annotated[int, typer.Option(min=1, help="Calls at once.")] = 60,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the report view at the end.")
    ] = True,
    port: Annotated[int, typer.Option(help="Report view port.")] = 8080,
    json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Generate a neighbourhood, run the mask notice and a health check-in to completion over
    the embedded Asterisk, print a summary, then serve the report view."""
    from ivr.ami import AmiClient
    from ivr.campaigns.manage import create_campaign
    from ivr.campaigns.targets import resolve_target
    from ivr.db import Database
    from ivr.households.staff import create_staff_user
    from ivr.pbx import EmbeddedPbx
    from ivr.residents import world

    base = state(ctx).settings
    settings = base.model_copy(
        update={
            "database_url": world.fresh_database(base.data_dir / "demo" / "ivr.db"),
            "dialer_max_channels": max(channels, base.dialer_max_channels),
        }
    )
    started = time.monotonic()
    status, note = EmbeddedPbx(settings).up()
    console.print(f"Asterisk {status.state} on AMI {status.ami} ({note.splitlines()[-1]})")
    db = Database(settings.database)
    hood, residents = world.populate(
        db, households=households, buildings=min(buildings, households), seed=SEED
    )
    console.print(
        f"neighbourhood: {len(hood.households)} households in "
        f"{len(hood.building_ids)} buildings, {len(residents)} numbers"
    )

    async def install() -> None:
        async with AmiClient.from_settings(settings) as ami:
            await world.install(ami, residents, settings.default_country)

    asyncio.run(install())
    console.print(
        "residents: "
        + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in world.mix_counts(residents).items())
    )
    ids = []
    with db.session() as session:
        for name, spec in _campaign_specs(settings, channels):
            if spec.target.statuses and not resolve_target(session, spec.target):
                console.print(
                    f"{name}: no household of this neighbourhood is "
                    f"{', '.join(spec.target.statuses)}; skipped"
                )
                continue
            ids.append(
                create_campaign(
                    session, settings, name=name, spec=spec, start=True, created_by="demo"
                ).id
            )
        password = secrets.token_urlsafe(9)
        create_staff_user(session, DEMO_USER, password, role="admin")
    dialer = asyncio.run(_run(settings, db, ids, channels, live=not json))
    summary = _summary(settings, db, ids, time.monotonic() - started, dialer)
    summary["report_login"] = {
        "user": DEMO_USER,
        "password": password,
        "url": f"http://127.0.0.1:{port}/",
    }
    db.dispose()
    if json:
        emit_json(summary)
    else:
        _print_summary(summary)
    if serve:
        from ivr.web.server import serve as serve_report

        console.print(
            f"report view: http://127.0.0.1:{port}/ — log in as {DEMO_USER!r} with "
            f"password {password!r} (Ctrl-C to stop)",
            highlight=False,
        )
        serve_report(settings, "127.0.0.1", port)
    if not json:
        # the embedded Asterisk is a service like the report view: it stays up for more calls
        console.print(
            "the embedded Asterisk and the resident simulator are still running: "
            "`.venv/bin/ivr pbx down` stops them",
            highlight=False,
        )


async def _run(settings: Any, db: Any, ids: list[int], channels: int, live: bool) -> Any:
    from ivr.campaigns.complete import run_to_completion

    if not live:
        return await run_to_completion(settings, db, ids, max_channels=channels)
    from rich.live import Live

    from ivr.campaigns.results import progress
    from ivr.cli.campaign import status_view
    from ivr.db.models import Campaign, utcnow

    def view() -> Any:
        with db.session() as session:
            return status_view(
                [
                    progress(
                        session, session.get(Campaign, c), utcnow(), settings.campaign_timezone
                    )
                    for c in ids
                ]
            )

    with Live(view(), console=console, refresh_per_second=1) as screen:
        return await run_to_completion(
            settings, db, ids, max_channels=channels, on_progress=lambda _: screen.update(view())
        )


def _summary(settings: Any, db: Any, ids: list[int], seconds: float, dialer: Any) -> dict[str, Any]:
    from sqlalchemy import func, select

    from ivr.campaigns.results import progress
    from ivr.db.models import Campaign, Flag, Household, utcnow

    with db.session() as session:
        campaigns = [
            progress(
                session, session.get(Campaign, c), utcnow(), settings.campaign_timezone
            ).as_dict()
            for c in ids
        ]
        flags = dict(
            session.execute(
                select(Flag.kind, func.count())
                .where(Flag.resolved_at.is_(None))
                .group_by(Flag.kind)
            ).all()
        )
        colours = dict(
            session.execute(select(Household.status, func.count()).group_by(Household.status)).all()
        )
    return {
        "seconds": round(seconds, 1),
        "calls": dialer.stats.started,
        "campaigns": [
            {
                k: c[k]
                for k in (
                    "name",
                    "state",
                    "total",
                    "outcomes",
                    "attempts",
                    "attempt_states",
                    "flags",
                )
            }
            for c in campaigns
        ],
        "open_flags": {k.value: v for k, v in flags.items()},
        "colours": {k.value: v for k, v in colours.items()},
    }


def _print_summary(summary: dict[str, Any]) -> None:
    def counts(values: dict[str, int]) -> str:
        return (
            ", ".join(
                f"{k.replace('_', ' ')} {v}"
                for k, v in sorted(values.items(), key=lambda kv: -kv[1])
            )
            or "none"
        )

    console.print(
        f"\n[bold]demo finished[/] in {summary['seconds'] / 60:.1f} min, {summary['calls']} calls"
    )
    for c in summary["campaigns"]:
        console.print(
            f"[bold]{c['name']}[/] ({c['state']}): {c['total']} households", highlight=False
        )
        console.print(f"  how they ended: {counts(c['outcomes'])}", highlight=False)
        console.print(f"  calls: {counts(c['attempt_states'])}", highlight=False)
    console.print(f"worklist (open flags): {counts(summary['open_flags'])}", highlight=False)
    console.print(f"status colours: {counts(summary['colours'])}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
