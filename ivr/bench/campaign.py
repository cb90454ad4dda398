"""``ivr bench campaign``: the mask notice to a whole generated neighbourhood through the
embedded Asterisk, simulated residents answering, the real dialer and dialogue runner.

Figures for the first round (every household's first attempt), retries apart:

- ``wall_s``: from the first Originate until every household's first attempt ended
- ``ideal_s``: the first attempts' channel time (Originate → end) divided by ``channels``
- ``utilization``: busy channel-seconds in that span over ``channels`` × ``wall_s``
- ``slot_errors``: answers stored that differ from what the resident said (truth log)
- ``turn_ms_p95``: the robot's reply latency over every turn (end of speech → reply)
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ivr.bench.stats import percentile, rss_mb
from ivr.config import Settings
from ivr.db import Database
from ivr.db.models import Answer, Attempt, AttemptState, Turn
from ivr.residents.simulator import read_truth

SEED = 5
# the residents' truth for the notice's one question, by the slot the simulator logs
TRUTH_FIELDS = {"heard": "notice_heard"}
PERSONA_FAILURES = {
    AttemptState.BUSY,
    AttemptState.NO_ANSWER,
    AttemptState.MACHINE,
    AttemptState.HUNG_UP_EARLY,
}


async def run(
    settings: Settings, households: int, channels: int, buildings: int = 93
) -> dict[str, Any]:
    from ivr.ami import AmiClient
    from ivr.campaigns.complete import run_to_completion
    from ivr.campaigns.manage import create_campaign
    from ivr.campaigns.spec import CampaignSpec
    from ivr.pbx import EmbeddedPbx
    from ivr.residents import world

    settings = settings.model_copy(
        update={
            "database_url": world.fresh_database(settings.data_dir / "bench" / "campaign.db"),
            "dialer_max_channels": channels,
        }
    )
    EmbeddedPbx(settings).up()
    db = Database(settings.database)
    _, residents = world.populate(
        db, households=households, buildings=min(buildings, households), seed=SEED
    )
    async with AmiClient.from_settings(settings) as ami:
        await world.install(ami, residents, settings.default_country)
    truth_path = settings.data_dir / "residents" / "truth.jsonl"
    truth_start = len(read_truth(truth_path))
    spec = CampaignSpec.model_validate(
        {
            "script": "scripts/mask_notice.yaml",
            "windows": [{"start": "00:00", "end": "00:00"}],
            "max_channels": channels,
            "max_cps": 20,
            "ring_timeout_s": 20,
            "retry": {
                k: {"delay_s": 30, "max_attempts": 2}
                for k in ("busy", "no_answer", "failed", "machine", "hung_up_early")
            },
        }
    )
    with db.session() as session:
        cid = create_campaign(session, settings, name="bench mask notice", spec=spec, start=True).id
    started = time.perf_counter()
    dialer = await run_to_completion(settings, db, [cid], max_channels=channels)
    total_wall = time.perf_counter() - started
    await asyncio.sleep(1.0)  # the simulator writes a call's truth when it hangs up
    figures = _figures(db, cid, households, channels, read_truth(truth_path)[truth_start:])
    figures["amd"] = amd_review(db, cid, residents)
    figures["opt_outs"] = opt_out_review(db, residents)
    figures.update(
        total_wall_s=round(total_wall, 1),
        rss_mb=rss_mb(),
        max_in_flight=dialer.stats.max_in_flight,
        refill_ms_p50=round(percentile(dialer.stats.refill_ms, 0.5), 2),
        refill_ms_p95=round(percentile(dialer.stats.refill_ms, 0.95), 2),
        refill_missed=dialer.stats.refill_missed,
        prepare_ms_p50=round(percentile(dialer.stats.prepare_ms, 0.5), 1),
        prepare_ms_p95=round(percentile(dialer.stats.prepare_ms, 0.95), 1),
        residents=world.mix_counts(residents),
    )
    db.dispose()
    return figures


def _figures(
    db: Database, cid: int, households: int, channels: int, truth: list[dict[str, Any]]
) -> dict[str, Any]:
    with db.session() as session:
        attempts = list(
            session.scalars(select(Attempt).where(Attempt.campaign_id == cid).order_by(Attempt.id))
        )
        turn_ms = [
            t
            for t in session.scalars(
                select(Turn.turn_ms)
                .join(Attempt)
                .where(Attempt.campaign_id == cid, Turn.turn_ms.is_not(None))
            )
        ]
        answers = session.execute(
            select(Answer.household_id, Answer.field, Answer.value, Answer.unclear)
            .where(Answer.campaign_id == cid)
            .order_by(Answer.at)
        ).all()
    # the latest understood answer per household and field; "unclear" is the robot admitting
    # it did not understand, counted apart, never an error
    stored = {(hid, field): value for hid, field, value, unclear in answers if not unclear}
    unclear = {(hid, field) for hid, field, _, unclear in answers if unclear} - set(stored)
    first: dict[int, Attempt] = {}
    for attempt in attempts:
        first.setdefault(attempt.household_id, attempt)  # type: ignore[arg-type]
    starts = [a.originated_at for a in first.values() if a.originated_at]
    ends = [a.ended_at for a in first.values() if a.ended_at]
    begin: datetime = min(starts)
    end: datetime = max(ends)
    wall = (end - begin).total_seconds()
    # every call's channel time inside the span (retries started before its end included)
    busy = sum(
        max(0.0, (min(a.ended_at, end) - max(a.originated_at, begin)).total_seconds())
        for a in attempts
        if a.originated_at and a.ended_at
    )
    busy_first = sum(
        (a.ended_at - a.originated_at).total_seconds()
        for a in first.values()
        if a.originated_at and a.ended_at
    )
    states = Counter(a.state for a in first.values())
    first_ids = {f.id for f in first.values()}
    retries = [a for a in attempts if a.id not in first_ids]
    return {
        "households": households,
        "called": len(first),  # vacant (grey) flats are never called
        "channels": channels,
        "wall_s": round(wall, 1),
        "ideal_s": round(busy_first / channels, 1),
        "utilization": round(busy / (channels * wall), 3) if wall else 0.0,
        "calls_per_min": round(len(first) / wall * 60, 1) if wall else 0.0,
        "completed": states[AttemptState.COMPLETED],
        "failed": states[AttemptState.FAILED] + states[AttemptState.CONGESTION],
        "failed_reasons": dict(
            Counter(a.reason for a in first.values() if a.state is AttemptState.FAILED).most_common(
                5
            )
        ),
        "persona_outcomes": {s.value: states[s] for s in PERSONA_FAILURES if states[s]},
        "slot_errors": _slot_errors(first, stored, truth),
        "slots_stored": len(stored),
        "slots_unclear": len(unclear),
        "turn_ms_p50": round(percentile(turn_ms, 0.5), 1),
        "turn_ms_p95": round(percentile(turn_ms, 0.95), 1),
        "turns": len(turn_ms),
        "retries": len(retries),
        "retries_completed": sum(a.state is AttemptState.COMPLETED for a in retries),
        "first_round_done_s": round(wall, 1),
    }


def _slot_errors(
    first: dict[int, Attempt], stored: dict[tuple[int, str], Any], truth: list[dict[str, Any]]
) -> int:
    """Households whose stored answer differs from what their resident said (a stored
    "unclear" is not an error: it is the robot admitting it did not understand)."""
    from ivr.residents.world import national_form

    household_of = {national_form(a.number): a.household_id for a in first.values()}
    said: dict[tuple[int, str], Any] = {}
    for record in truth:
        hid = household_of.get(record.get("number", ""))
        for line in record.get("said", []):
            field = TRUTH_FIELDS.get(line.get("slot") or line.get("question") or "")
            if hid is not None and field and line.get("value") is not None:
                said[(hid, field)] = line["value"]
    return sum(1 for key, value in said.items() if key in stored and stored[key] != value)


def opt_out_review(db: Database, residents: list[Any]) -> dict[str, Any]:
    """Households the robot opted out, by what the resident on that call was: anyone but an
    opt-out persona is a household wrongly never called again (not a slot, so counted here)."""
    from ivr.db.models import Household
    from ivr.residents.world import national_form

    kind_of = {national_form(r.number): r.kind for r in residents}
    with db.session() as session:
        by = session.scalars(select(Household.opted_out_by).where(Household.opted_out.is_(True)))
        ids = [int(b.split()[1]) for b in by if b.startswith("attempt ")]
        numbers = session.scalars(select(Attempt.number).where(Attempt.id.in_(ids))).all()
    kinds = Counter(kind_of.get(national_form(n), "?") for n in numbers)
    return {
        "households": sum(kinds.values()),
        "not_asked_by_resident": sum(n for kind, n in kinds.items() if kind != "opt_out"),
        "by_kind": dict(kinds),
    }


def amd_review(db: Database, cid: int, residents: list[Any]) -> dict[str, Any]:
    """Asterisk's AMD verdicts on answered calls against who really answered, by kind of
    resident: answering machines (voicemail personas) should be MACHINE, people HUMAN."""
    from ivr.residents.world import national_form

    kind_of = {national_form(r.number): r.kind for r in residents}
    by_kind: dict[str, Counter[str]] = {}
    with db.session() as session:
        for number, status in session.execute(
            select(Attempt.number, Attempt.amd_status).where(
                Attempt.campaign_id == cid, Attempt.amd_status.is_not(None)
            )
        ):
            by_kind.setdefault(kind_of.get(national_form(number), "?"), Counter())[status] += 1
    machines = by_kind.get("voicemail", Counter())
    people = Counter()
    for kind, counts in by_kind.items():
        if kind != "voicemail":
            people.update(counts)
    found: dict[str, Any] = {"by_kind": {k: dict(v) for k, v in sorted(by_kind.items())}}
    if machines.total():
        found["machines_detected"] = round(machines["MACHINE"] / machines.total(), 3)
    if people.total():
        found["people_taken_for_machines"] = round(people["MACHINE"] / people.total(), 3)
    return found
