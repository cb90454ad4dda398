"""What staff read about a campaign: progress, outcome counts, and one row per household
(per occurrence) with the answers its calls stored. Numbers are never part of it."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.campaigns import tasks
from ivr.campaigns.spec import CampaignSpec
from ivr.campaigns.windows import CallingWindows
from ivr.db.models import (
    FINAL_ATTEMPT_STATES,
    Answer,
    Attempt,
    Building,
    Campaign,
    Committee,
    Flag,
    Household,
    Task,
    TaskState,
    Unit,
)


@dataclass
class Progress:
    id: int
    name: str
    state: str
    script: str
    priority: int
    total: int
    tasks: dict[str, int]
    finished: int
    outcomes: dict[str, int]  # how finished tasks ended (completed, opted_out, busy, missed …)
    attempts: int
    in_flight: int
    attempt_states: dict[str, int]
    flags: dict[str, int]
    next_due: datetime | None
    windows: list[str] = field(default_factory=list)
    window_opens: datetime | None = None

    @property
    def fraction(self) -> float:
        return self.finished / self.total if self.total else 1.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("next_due", "window_opens"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def progress(session: Session, campaign: Campaign, now: datetime, default_zone: str) -> Progress:
    counts = tasks.task_counts(session, campaign.id)
    outcomes = Counter(
        {
            outcome or "none": n
            for outcome, n in session.execute(
                select(Task.last_outcome, func.count())
                .where(Task.campaign_id == campaign.id, Task.state.in_(tasks.FINISHED_STATES))
                .group_by(Task.last_outcome)
            )
        }
    )
    attempt_states = {
        state.value: n
        for state, n in session.execute(
            select(Attempt.state, func.count())
            .where(Attempt.campaign_id == campaign.id)
            .group_by(Attempt.state)
        )
    }
    flags = {
        kind.value: n
        for kind, n in session.execute(
            select(Flag.kind, func.count())
            .where(Flag.campaign_id == campaign.id)
            .group_by(Flag.kind)
        )
    }
    next_due = session.scalar(
        select(func.min(Task.next_attempt_at)).where(
            Task.campaign_id == campaign.id, Task.state == TaskState.PENDING
        )
    )
    spec = CampaignSpec.model_validate(campaign.spec)
    windows = CallingWindows(spec.windows, spec.zone(default_zone))
    return Progress(
        id=campaign.id,
        name=campaign.name,
        state=campaign.state.value,
        script=campaign.script_name,
        priority=campaign.priority,
        total=sum(counts.values()),
        tasks=counts,
        finished=sum(counts[s.value] for s in tasks.FINISHED_STATES),
        outcomes=dict(outcomes),
        attempts=sum(attempt_states.values()),
        # calls Asterisk has; attempts committed ahead of a free channel are not calls yet
        in_flight=sum(n for s, n in attempt_states.items() if s not in _FINAL and s != "queued"),
        attempt_states=attempt_states,
        flags=flags,
        next_due=next_due,
        windows=[f"{w.describe()} ({windows.zone.key})" for w in spec.windows],
        window_opens=windows.next_open(now),
    )


_FINAL = {s.value for s in FINAL_ATTEMPT_STATES}


def result_rows(session: Session, campaign: Campaign) -> list[dict[str, Any]]:
    """One row per task: where the household is, its colour now, how the task ended, and the
    answers its calls stored (the latest per field)."""
    rows = session.execute(
        select(
            Task.id,
            Task.household_id,
            Task.occurrence,
            Task.state,
            Task.attempts_made,
            Task.attempts_by_outcome,
            Task.last_outcome,
            Task.finished_at,
            Committee.name,
            Building.name,
            Unit.name,
            Household.room,
            Household.status,
        )
        .join(Household, Household.id == Task.household_id)
        .join(Unit, Unit.id == Household.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .join(Committee, Committee.id == Building.committee_id)
        .where(Task.campaign_id == campaign.id)
        .order_by(
            Committee.name,
            Building.sort_key,
            Building.name,
            Unit.name,
            Household.room,
            Task.occurrence,
        )
    ).all()
    answers: dict[int, dict[str, Any]] = {}
    for task_id, name, value, unclear in session.execute(
        select(Attempt.task_id, Answer.field, Answer.value, Answer.unclear)
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .where(Attempt.campaign_id == campaign.id)
        .order_by(Answer.at, Answer.id)
    ):
        answers.setdefault(task_id, {})[name] = "unclear" if unclear else value
    found = []
    for (
        task_id,
        household_id,
        occurrence,
        state,
        made,
        by_outcome,
        last,
        finished_at,
        committee,
        building,
        unit,
        room,
        colour,
    ) in rows:
        found.append(
            {
                "task": task_id,
                "household_id": household_id,
                "committee": committee,
                "household": "-".join(p for p in (building, unit, room) if p),
                "status": colour.value,
                "occurrence": occurrence,
                "state": state.value,
                "outcome": last or "",
                "attempts": made,
                "attempts_by_outcome": by_outcome or {},
                "finished_at": finished_at.isoformat() if finished_at else None,
                "answers": answers.get(task_id, {}),
            }
        )
    return found


def as_csv(rows: list[dict[str, Any]]) -> str:
    """CSV with a byte-order mark (Excel shows Chinese names right only then); one column per
    answer field."""
    fields = sorted({name for row in rows for name in row["answers"]})
    columns = [
        "household_id",
        "committee",
        "household",
        "status",
        "occurrence",
        "state",
        "outcome",
        "attempts",
        "attempts_by_outcome",
        "finished_at",
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns + fields)
    for row in rows:
        cells = [row[c] for c in columns]
        cells[columns.index("attempts_by_outcome")] = " ".join(
            f"{k}={v}" for k, v in sorted(row["attempts_by_outcome"].items())
        )
        answers = row["answers"]
        cells += [_cell(answers.get(name)) for name in fields]
        writer.writerow(["" if c is None else _safe(str(c)) for c in cells])
    return "\ufeff" + out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _safe(text: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading quote."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def list_campaigns(session: Session) -> list[dict[str, Any]]:
    counts: dict[int, Counter[str]] = {}
    for cid, state, n in session.execute(
        select(Task.campaign_id, Task.state, func.count()).group_by(Task.campaign_id, Task.state)
    ):
        counts.setdefault(cid, Counter())[state.value] += n
    found = []
    for campaign in session.scalars(select(Campaign).order_by(Campaign.created_at, Campaign.id)):
        c = counts.get(campaign.id, Counter())
        total = sum(c.values())
        finished = sum(c[s.value] for s in tasks.FINISHED_STATES)
        found.append(
            {
                "id": campaign.id,
                "name": campaign.name,
                "state": campaign.state.value,
                "script": campaign.script_name,
                "priority": campaign.priority,
                "tasks": total,
                "finished": finished,
                "created_at": campaign.created_at.isoformat(),
            }
        )
    return found
