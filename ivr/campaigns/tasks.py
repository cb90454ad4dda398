"""The work queue: one task per household per campaign occurrence, claimed under a lease,
finished or rescheduled by the retry policy when its attempt ends.

Every function works inside the caller's transaction (the dialer runs them on its database
writer thread), so a claim, or an outcome with its flag, is committed whole or not at all.

Claiming uses ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so dialer nodes sharing one
database never claim the same household; SQLite has a single writer, which serialises claims
by itself (one dialer node per SQLite file). A claimed task is ``active`` with
``lease_owner``/``lease_until``: a node that dies leaves leases that run out, and the tasks go
back to the queue through :mod:`ivr.campaigns.reconcile`.

Several numbers: a household's numbers are tried in order, the next one at once when one
fails; the retry delay applies when every number has been tried (a *round*). A retry rule's
``max_attempts`` counts the household's attempts that ended that way, on any number, and is
judged at the end of a round, so one busy number never keeps the second from being tried.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from ivr.campaigns.spec import CampaignSpec, Schedule, retry_outcome
from ivr.db.models import (
    AttemptState,
    Campaign,
    CampaignState,
    FlagKind,
    Household,
    Phone,
    Task,
    TaskState,
    utcnow,
)
from ivr.households.dnc import blocked_numbers
from ivr.households.flags import raise_flag
from ivr.script.model import OUTCOMES

ONCE = "once"
OPEN_STATES = (TaskState.PENDING, TaskState.ACTIVE)
FINISHED_STATES = (TaskState.DONE, TaskState.EXHAUSTED, TaskState.SKIPPED)
MISSED = "missed"


# -- creating tasks ------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    key: str  # "2026-11-25T09:00" (local), or "once"
    due: datetime  # UTC
    deadline: datetime | None  # UTC; not reached by then: missed


def occurrences(schedule: Schedule, zone: ZoneInfo, first_day: date) -> list[Occurrence]:
    """Every occurrence of a schedule from ``first_day``: each time, each day."""
    moments = []
    for offset in range(schedule.days):
        day = first_day + timedelta(days=offset)
        for at in schedule.times:
            moments.append((day, at, datetime.combine(day, at, tzinfo=zone)))
    found = []
    for i, (day, at, local) in enumerate(moments):
        if i + 1 < len(moments):
            deadline = moments[i + 1][2]
        else:
            deadline = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        found.append(
            Occurrence(
                f"{day:%Y-%m-%d}T{at:%H:%M}",
                local.astimezone(ZoneInfo("UTC")),
                deadline.astimezone(ZoneInfo("UTC")),
            )
        )
    return found


def create_tasks(
    session: Session,
    campaign: Campaign,
    spec: CampaignSpec,
    household_ids: list[int],
    *,
    zone: ZoneInfo,
    now: datetime,
) -> int:
    """Add the campaign's tasks: one per household, or one per household per occurrence still
    to come. Households that opted out are added as skipped, so the results say why."""
    from ivr.households.bulk import insert_rows

    opted_out: set[int] = set()
    starts: dict[int, date | None] = {}
    for start in range(0, len(household_ids), 2000):
        chunk = household_ids[start : start + 2000]
        for hid, out, quarantine in session.execute(
            select(Household.id, Household.opted_out, Household.quarantine_start).where(
                Household.id.in_(chunk)
            )
        ):
            if out:
                opted_out.add(hid)
            starts[hid] = quarantine
    today = now.astimezone(zone).date()
    rows: list[dict[str, Any]] = []

    def row(hid: int, key: str, due: datetime, deadline: datetime | None) -> dict[str, Any]:
        skipped = hid in opted_out
        return {
            "campaign_id": campaign.id,
            "household_id": hid,
            "occurrence": key,
            "state": TaskState.SKIPPED if skipped else TaskState.PENDING,
            "next_attempt_at": due,
            "deadline_at": deadline,
            "attempts_made": 0,
            "attempts_by_outcome": {},
            "phone_index": 0,
            "lease_owner": None,
            "lease_until": None,
            "last_outcome": "opted_out" if skipped else None,
            "finished_at": now if skipped else None,
        }

    for hid in household_ids:
        if spec.schedule is None:
            rows.append(row(hid, ONCE, now, None))
            continue
        first = spec.schedule.start
        if first == "household":
            first = starts.get(hid) or today
        for occurrence in occurrences(spec.schedule, zone, first):  # type: ignore[arg-type]
            if occurrence.deadline is not None and occurrence.deadline <= now:
                continue  # already over before the campaign existed
            rows.append(row(hid, occurrence.key, occurrence.due, occurrence.deadline))
    insert_rows(session, Task, rows)
    return len(rows)


# -- claiming ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A task this node may now call: which household, on which of its numbers."""

    task_id: int
    campaign_id: int
    household_id: int
    number: str  # canonical
    phone_index: int
    occurrence: str
    attempts_made: int


def claim_due(
    session: Session,
    campaign_id: int,
    *,
    node: str,
    now: datetime,
    limit: int,
    lease_s: int,
) -> list[Claim]:
    """Lease up to ``limit`` due tasks of a campaign, oldest due first, and pick the number to
    call for each. Households that opted out since, or whose numbers are all on the
    do-not-call list, are skipped here: the list is checked at the moment of calling."""
    if limit <= 0:
        return []
    tasks = list(
        session.scalars(
            select(Task)
            .where(
                Task.campaign_id == campaign_id,
                Task.state == TaskState.PENDING,
                Task.next_attempt_at <= now,
                or_(Task.deadline_at.is_(None), Task.deadline_at > now),  # late: missed
            )
            .order_by(Task.next_attempt_at, Task.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not tasks:
        return []
    households = {
        h.id: h
        for h in session.scalars(
            select(Household)
            .where(Household.id.in_([t.household_id for t in tasks]))
            .options(selectinload(Household.phones))
        )
    }
    blocked = blocked_numbers(session, {p.number for h in households.values() for p in h.phones})
    claims = []
    for task in tasks:
        household = households[task.household_id]
        numbers = [p.number for p in household.phones]
        index = next(
            (i for i in range(task.phone_index, len(numbers)) if numbers[i] not in blocked), None
        )
        if index is None and task.phone_index:  # later numbers blocked: start a new round
            index = next((i for i, n in enumerate(numbers) if n not in blocked), None)
        reason = None
        if household.opted_out:
            reason = "opted_out"
        elif household.status.value == "grey":
            reason = "vacant"
        elif not numbers:
            reason = "no_phone"
        elif index is None:
            reason = "do_not_call"
        if reason is not None:
            _finish(task, TaskState.SKIPPED, reason, now)
            continue
        assert index is not None
        task.state = TaskState.ACTIVE
        task.phone_index = index
        task.lease_owner = node
        task.lease_until = now + timedelta(seconds=lease_s)
        claims.append(
            Claim(
                task.id,
                task.campaign_id,
                task.household_id,
                numbers[index],
                index,
                task.occurrence,
                task.attempts_made,
            )
        )
    session.flush()
    return claims


def release(session: Session, task_ids: Iterable[int]) -> None:
    """Give claimed tasks back to the queue unchanged (their calls were never placed)."""
    ids = list(task_ids)
    if not ids:
        return
    cancelled = select(Campaign.id).where(Campaign.state == CampaignState.CANCELLED)
    active = (Task.id.in_(ids), Task.state == TaskState.ACTIVE)
    session.execute(
        update(Task)
        .where(*active, Task.campaign_id.in_(cancelled))
        .values(
            state=TaskState.SKIPPED,
            last_outcome="cancelled",
            lease_owner=None,
            lease_until=None,
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Task)
        .where(*active)
        .values(state=TaskState.PENDING, lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


# -- outcomes ------------------------------------------------------------------------------


def attempt_outcome(state: AttemptState, script_outcome: str | None) -> tuple[bool, str]:
    """(reached, outcome): whether the attempt reached the resident, and the word for it —
    a script outcome when the script ended, else the retry rule it falls under."""
    if script_outcome == "machine_message" or state is AttemptState.MACHINE:
        return False, "machine"  # a message was left; the resident is still to be reached
    if script_outcome in OUTCOMES:
        return True, script_outcome  # type: ignore[return-value]
    if state is AttemptState.COMPLETED:
        return True, "completed"
    if script_outcome == "incomplete":
        return False, "hung_up_early"
    return False, retry_outcome(state)


def apply_outcome(
    session: Session,
    *,
    task_id: int,
    attempt_id: int | None,
    state: AttemptState,
    script_outcome: str | None,
    spec: CampaignSpec,
    now: datetime,
) -> TaskState | None:
    """Move a task on after its attempt ended: done, next number, retry later, or exhausted
    (flagged). None when the task was no longer active (already applied, or cancelled)."""
    task = session.scalars(select(Task).where(Task.id == task_id).with_for_update()).first()
    if task is None or task.state is not TaskState.ACTIVE:
        return None
    reached, outcome = attempt_outcome(state, script_outcome)
    counts = dict(task.attempts_by_outcome or {})
    counts[outcome] = counts.get(outcome, 0) + 1
    task.attempts_by_outcome = counts
    task.attempts_made += 1
    task.lease_owner = task.lease_until = None
    if reached:
        _finish(task, TaskState.DONE, outcome, now)
        return task.state
    task.last_outcome = outcome
    campaign_state = session.scalar(select(Campaign.state).where(Campaign.id == task.campaign_id))
    if campaign_state is CampaignState.CANCELLED:
        _finish(task, TaskState.SKIPPED, "cancelled", now)  # no retry for a cancelled campaign
        return task.state
    phones = (
        session.scalar(
            select(func.count()).select_from(Phone).where(Phone.household_id == task.household_id)
        )
        or 0
    )
    if task.phone_index + 1 < phones and task.attempts_made < spec.retry.max_total_attempts:
        task.phone_index += 1  # the household's next number, at once
        _reschedule(session, task, now, spec, attempt_id)
        return task.state
    rule = spec.retry.rule(outcome)
    if counts[outcome] >= rule.max_attempts or task.attempts_made >= spec.retry.max_total_attempts:
        _exhaust(session, task, spec, now, attempt_id, outcome)
        return task.state
    task.phone_index = 0
    _reschedule(session, task, now + timedelta(seconds=rule.delay_s), spec, attempt_id)
    return task.state


def _reschedule(
    session: Session, task: Task, at: datetime, spec: CampaignSpec, attempt_id: int | None
) -> None:
    if task.deadline_at is not None and at >= task.deadline_at:
        _exhaust(session, task, spec, at, attempt_id, MISSED)
        return
    task.state = TaskState.PENDING
    task.next_attempt_at = at


def _finish(task: Task, state: TaskState, outcome: str, now: datetime) -> None:
    task.state = state
    task.last_outcome = outcome
    task.finished_at = now
    task.lease_owner = task.lease_until = None


def _exhaust(
    session: Session,
    task: Task,
    spec: CampaignSpec,
    now: datetime,
    attempt_id: int | None,
    outcome: str,
) -> None:
    """All attempts used: a missed check-in or an unreachable household goes on the worklist
    (the household keeps its colour: blue stays blue, flagged)."""
    _finish(
        task,
        TaskState.EXHAUSTED,
        outcome if outcome == MISSED else task.last_outcome or outcome,
        now,
    )
    household = session.get(Household, task.household_id)
    if household is None:
        return
    tried = ", ".join(
        f"{k.replace('_', ' ')} {v}" for k, v in sorted(task.attempts_by_outcome.items())
    )
    if spec.recurring:
        detail = f"check-in {task.occurrence} missed after {task.attempts_made} attempt(s)"
        kind = FlagKind.MISSED_CHECKIN
    else:
        detail = f"not reached after {task.attempts_made} attempt(s)"
        kind = FlagKind.UNREACHABLE
    raise_flag(
        session,
        household,
        kind,
        f"{detail} ({tried})" if tried else detail,
        campaign_id=task.campaign_id,
        attempt_id=attempt_id,
        at=now,
    )


def expire_overdue(session: Session, campaign_id: int, spec: CampaignSpec, now: datetime) -> int:
    """Occurrences still waiting past their deadline (the dialer was down, or no window was
    open) are missed check-ins: exhausted and flagged."""
    overdue = list(
        session.scalars(
            select(Task)
            .where(
                Task.campaign_id == campaign_id,
                Task.state == TaskState.PENDING,
                Task.deadline_at.is_not(None),
                Task.deadline_at <= now,
            )
            .with_for_update(skip_locked=True)
        )
    )
    for task in overdue:
        _exhaust(session, task, spec, now, None, MISSED)
    return len(overdue)


# -- campaign state ------------------------------------------------------------------------


def task_counts(session: Session, campaign_id: int) -> dict[str, int]:
    counts = dict.fromkeys((s.value for s in TaskState), 0)
    for state, n in session.execute(
        select(Task.state, func.count()).where(Task.campaign_id == campaign_id).group_by(Task.state)
    ):
        counts[state.value] = n
    return counts


def finish_if_done(session: Session, campaign: Campaign, now: datetime) -> bool:
    """A running campaign with no task left to call or in flight is completed."""
    if campaign.state is not CampaignState.RUNNING:
        return False
    open_tasks = session.scalar(
        select(func.count())
        .select_from(Task)
        .where(Task.campaign_id == campaign.id, Task.state.in_(OPEN_STATES))
    )
    if open_tasks:
        return False
    campaign.state = CampaignState.COMPLETED
    campaign.updated_at = now
    return True


def cancel_pending(session: Session, campaign_id: int, now: datetime) -> int:
    """Every task not yet called is skipped as cancelled (calls in flight finish)."""
    result = session.execute(
        update(Task)
        .where(Task.campaign_id == campaign_id, Task.state == TaskState.PENDING)
        .values(state=TaskState.SKIPPED, last_outcome="cancelled", finished_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
