"""Campaign figures for the dashboard, counted over the households the viewer may see:
progress by task state, answer and completion rates, outcomes over time, answers stored."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Integer, and_, func, select
from sqlalchemy.orm import Session

from ivr.db.models import Answer, Attempt, AttemptState, Campaign, CampaignState, Task, TaskState
from ivr.web.viewer import Viewer

# what a finished call came to, as the chart's series (in stacking order)
OUTCOMES: dict[AttemptState, str] = {
    AttemptState.COMPLETED: "completed",
    AttemptState.HUNG_UP_EARLY: "hung_up",
    AttemptState.MACHINE: "machine",
    AttemptState.NO_ANSWER: "no_answer",
    AttemptState.BUSY: "busy",
    AttemptState.CONGESTION: "failed",
    AttemptState.FAILED: "failed",
}
IN_PROGRESS = "in_progress"
SERIES = [*dict.fromkeys(OUTCOMES.values()), IN_PROGRESS]
HOURLY_SPAN = timedelta(days=2)  # longer campaigns are charted by day


@dataclass
class CampaignRow:
    id: int
    name: str
    state: CampaignState
    created_at: datetime
    tasks: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.tasks.values())

    @property
    def finished(self) -> int:
        return sum(
            self.tasks[s.value] for s in (TaskState.DONE, TaskState.EXHAUSTED, TaskState.SKIPPED)
        )


@dataclass
class CampaignFigures:
    row: CampaignRow
    attempts: int
    answered: int
    completed_calls: int
    outcome_counts: Counter[str]
    buckets: list[str]
    series: list[tuple[str, list[int]]]
    answers: list[tuple[str, int, int]]  # field, values stored, unclear

    @property
    def answer_rate(self) -> float | None:
        finished = self.attempts - self.outcome_counts[IN_PROGRESS]
        return self.answered / finished if finished else None

    @property
    def completion_rate(self) -> float | None:
        total = self.row.total
        return self.row.tasks[TaskState.DONE.value] / total if total else None


def campaign_rows(
    session: Session, viewer: Viewer, campaign_id: int | None = None
) -> list[CampaignRow]:
    """Campaigns with their task counts by state, newest first. Committee staff see only those
    with households of their committee, counted over those households alone."""
    scoped_tasks = and_(Task.campaign_id == Campaign.id, viewer.household_clause(Task.household_id))
    query = (
        select(
            Campaign.id,
            Campaign.name,
            Campaign.state,
            Campaign.created_at,
            Task.state,
            func.count(Task.id),
        )
        .outerjoin(Task, scoped_tasks)
        .group_by(Campaign.id, Campaign.name, Campaign.state, Campaign.created_at, Task.state)
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
    )
    if campaign_id is not None:
        query = query.where(Campaign.id == campaign_id)
    rows: dict[int, CampaignRow] = {}
    for cid, name, state, created_at, task_state, count in session.execute(query):
        row = rows.setdefault(cid, CampaignRow(cid, name, state, created_at))
        if task_state is not None:
            row.tasks[task_state.value] += count
    return [r for r in rows.values() if viewer.is_admin or r.total]


def campaign_names(session: Session, viewer: Viewer) -> list[tuple[int, str]]:
    """(id, name) of the campaigns the viewer may see, newest first: for filter menus."""
    has_tasks = (
        select(Task.id)
        .where(Task.campaign_id == Campaign.id, viewer.household_clause(Task.household_id))
        .exists()
    )
    query = select(Campaign.id, Campaign.name).order_by(Campaign.created_at.desc())
    if not viewer.is_admin:
        query = query.where(has_tasks)
    return [(cid, name) for cid, name in session.execute(query)]


def campaign_figures(session: Session, viewer: Viewer, row: CampaignRow) -> CampaignFigures:
    calls = session.execute(
        select(Attempt.state, Attempt.queued_at, Attempt.answered_at).where(
            Attempt.campaign_id == row.id, viewer.household_clause(Attempt.household_id)
        )
    ).all()
    outcomes = [(queued_at, OUTCOMES.get(state, IN_PROGRESS)) for state, queued_at, _ in calls]
    outcome_counts: Counter[str] = Counter(outcome for _, outcome in outcomes)
    buckets, series = _over_time(outcomes)
    answers = session.execute(
        select(Answer.field, func.count(Answer.id), func.sum(Answer.unclear.cast(Integer)))
        .where(Answer.campaign_id == row.id, viewer.household_clause(Answer.household_id))
        .group_by(Answer.field)
        .order_by(Answer.field)
    ).all()
    return CampaignFigures(
        row=row,
        attempts=len(calls),
        answered=sum(1 for _, _, answered_at in calls if answered_at is not None),
        completed_calls=outcome_counts["completed"],
        outcome_counts=outcome_counts,
        buckets=buckets,
        series=series,
        answers=[(name, n, int(unclear or 0)) for name, n, unclear in answers],
    )


def _over_time(calls: list[tuple[datetime, str]]) -> tuple[list[str], list[tuple[str, list[int]]]]:
    """Calls per hour (per day for long campaigns) and outcome, in local time, gaps included."""
    if not calls:
        return [], []
    times = [when.astimezone() for when, _ in calls]
    hourly = max(times) - min(times) <= HOURLY_SPAN
    step = timedelta(hours=1) if hourly else timedelta(days=1)

    def bucket(moment: datetime) -> datetime:
        start = moment.replace(minute=0, second=0, microsecond=0)
        return start if hourly else start.replace(hour=0)

    first, last = bucket(min(times)), bucket(max(times))
    slots: list[datetime] = []
    while first <= last:
        slots.append(first)
        first += step
    index = {slot: i for i, slot in enumerate(slots)}
    counts = {name: [0] * len(slots) for name in SERIES}
    for moment, (_, outcome) in zip(times, calls, strict=True):
        counts[outcome][index[bucket(moment)]] += 1
    fmt = "%d %H:00" if hourly else "%m-%d"
    return [s.strftime(fmt) for s in slots], [(n, counts[n]) for n in SERIES if any(counts[n])]
