"""After a crash or an Asterisk restart: what the database says is in flight, checked against
what Asterisk has, and every such attempt finished so its task moves on by policy.

Run when ``ivr run`` starts (before it dials) and after the AMI connection comes back.

- An attempt still *queued* was committed but its Originate never left (the dialer commits
  attempts ahead of free channels): the row goes and the task returns to the queue uncounted.
  ``originating`` is committed before the Originate is sent, so a call that left is never
  taken for one that did not; a kill between that commit and the Originate makes an attempt
  that never rang look interrupted (counted, retried by policy), the safe side.
- An attempt *originating … in conversation* belongs to a process that can no longer carry its
  media. Channels Asterisk still has for it (Uniqueid or Linkedid = the attempt's uuid) are
  hung up. If every answer the script stores was written, the conversation had reached its end
  and the attempt is completed; otherwise it failed ("interrupted"), and the retry policy
  decides. Answers already written stay either way.
- A task still *active* whose attempt is final (the crash fell between the attempt's end and
  the task's update) gets that outcome applied now.
- Leases that ran out (a node that died and never came back) are treated the same way, without
  asking Asterisk: that node's Asterisk is not ours to ask.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from ivr.ami import AmiClient, action
from ivr.calls import outcome
from ivr.campaigns import tasks
from ivr.campaigns.spec import CampaignSpec
from ivr.db.models import (
    FINAL_ATTEMPT_STATES,
    Answer,
    Attempt,
    AttemptState,
    Campaign,
    Task,
    TaskState,
)
from ivr.errors import AmiError
from ivr.script import load_script_text

log = logging.getLogger(__name__)

OPEN_ATTEMPT_STATES = tuple(s for s in AttemptState if s not in FINAL_ATTEMPT_STATES)


@dataclass
class ReconcileReport:
    unsent: int = 0  # queued attempts deleted, tasks back in the queue
    interrupted: int = 0  # attempts finished as failed
    completed: int = 0  # attempts whose answers were all stored
    hung_up: int = 0  # channels Asterisk still had
    outcomes_applied: int = 0  # tasks moved on
    released: int = 0  # tasks given back without an attempt
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if k != "details"}


async def asterisk_channels(ami: AmiClient) -> dict[str, list[str]]:
    """Channel names by every id they carry (Uniqueid and Linkedid), from CoreShowChannels."""
    _, events = await ami.send_list(action("CoreShowChannels"))
    found: dict[str, list[str]] = {}
    for event in events:
        if event.event != "CoreShowChannel":
            continue
        name = event.get("Channel") or ""
        for key in ("Uniqueid", "Linkedid"):
            value = event.get(key)
            if value:
                found.setdefault(value, []).append(name)
    return found


@dataclass(frozen=True)
class _Open:
    attempt_id: int
    uuid: str
    state: AttemptState
    task_id: int | None
    campaign_id: int | None
    node: str


def _open_attempts(session: Session, node: str, skip: set[str], now: datetime) -> list[_Open]:
    """Unfinished attempts of this node, and those of tasks whose lease ran out."""
    expired_tasks = select(Task.id).where(
        Task.state == TaskState.ACTIVE, Task.lease_until.is_not(None), Task.lease_until < now
    )
    rows = session.execute(
        select(
            Attempt.id,
            Attempt.uuid,
            Attempt.state,
            Attempt.task_id,
            Attempt.campaign_id,
            Attempt.node,
        ).where(
            Attempt.state.in_(OPEN_ATTEMPT_STATES),
            or_(Attempt.node == node, Attempt.task_id.in_(expired_tasks)),
        )
    ).all()
    return [_Open(*row) for row in rows if row[1] not in skip]


def _answers_complete(session: Session, attempt_id: int, campaign: Campaign | None) -> bool:
    """Whether every field the campaign's script stores has an answer from this attempt."""
    if campaign is None or not campaign.script_source:
        return False
    try:
        script = load_script_text(campaign.script_source, campaign.script_name)
    except Exception:  # a script that no longer loads cannot vouch for anything
        return False
    wanted = set(script.stored_fields)
    if not wanted:
        return False
    stored = set(session.scalars(select(Answer.field).where(Answer.attempt_id == attempt_id)))
    return wanted <= stored


def _finish_attempts(
    session: Session,
    found: list[_Open],
    hung_up: set[str],
    node: str,
    now: datetime,
    report: ReconcileReport,
) -> None:
    for item in found:
        attempt = session.get(Attempt, item.attempt_id)
        if attempt is None or attempt.state.final:
            continue
        if attempt.state is AttemptState.QUEUED:
            session.execute(delete(Attempt).where(Attempt.id == attempt.id))
            if item.task_id is not None:
                tasks.release(session, [item.task_id])
            report.unsent += 1
            continue
        campaign = session.get(Campaign, item.campaign_id) if item.campaign_id else None
        answered = attempt.state in (AttemptState.ANSWERED, AttemptState.IN_CONVERSATION)
        if answered and _answers_complete(session, attempt.id, campaign):
            attempt.state = AttemptState.COMPLETED
            attempt.script_outcome = attempt.script_outcome or "completed"
            attempt.reason = "completed: every answer was stored before the dialer stopped"
            report.completed += 1
        else:
            where = (
                "on this node" if item.node == node else f"on node {item.node!r} (lease ran out)"
            )
            was = attempt.state.value.replace("_", " ")
            attempt.reason = f"interrupted: the dialer {where} stopped while the call was {was}" + (
                "; Asterisk still had it and it was hung up" if item.uuid in hung_up else ""
            )
            attempt.state = AttemptState.FAILED
            report.interrupted += 1
        attempt.ended_at = now
        if attempt.hangup_cause is None:
            attempt.hangup_cause_text = outcome.cause_text(None)
        if attempt.answered_at is not None:
            attempt.duration_s = round((now - attempt.answered_at).total_seconds(), 3)
        report.details.append(f"attempt {attempt.id}: {attempt.reason}")
    session.flush()


def _apply_stuck_tasks(
    session: Session,
    node: str,
    now: datetime,
    spec_of: Callable[[int], CampaignSpec | None],
    report: ReconcileReport,
    skip_tasks: set[int],
) -> None:
    """Active tasks of this node (or with an expired lease) with no attempt in flight."""
    stuck = session.scalars(
        select(Task).where(
            Task.state == TaskState.ACTIVE,
            or_(Task.lease_owner == node, Task.lease_until < now),
        )
    ).all()
    for task in stuck:
        if task.id in skip_tasks:
            continue
        open_attempts = session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(Attempt.task_id == task.id, Attempt.state.in_(OPEN_ATTEMPT_STATES))
        )
        if open_attempts:
            continue  # in flight on another node whose lease is still good
        latest = session.scalars(
            select(Attempt).where(Attempt.task_id == task.id).order_by(Attempt.id.desc()).limit(1)
        ).first()
        spec = spec_of(task.campaign_id)
        if latest is None or spec is None or task.attempts_made >= _attempts_of(session, task.id):
            tasks.release(session, [task.id])
            report.released += 1
            continue
        tasks.apply_outcome(
            session,
            task_id=task.id,
            attempt_id=latest.id,
            state=latest.state,
            script_outcome=latest.script_outcome,
            spec=spec,
            now=now,
        )
        report.outcomes_applied += 1


def _attempts_of(session: Session, task_id: int) -> int:
    """Final attempts of a task: when the task already counts them all, its latest attempt's
    outcome was applied before (the task was claimed again and nothing was sent)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(Attempt.task_id == task_id, Attempt.state.in_(tuple(FINAL_ATTEMPT_STATES)))
        )
        or 0
    )


def spec_lookup(session: Session) -> Callable[[int], CampaignSpec | None]:
    """Campaign id → its spec, read once per reconciliation."""
    cache: dict[int, CampaignSpec | None] = {}

    def get(campaign_id: int) -> CampaignSpec | None:
        if campaign_id not in cache:
            campaign = session.get(Campaign, campaign_id)
            try:
                cache[campaign_id] = (
                    CampaignSpec.model_validate(campaign.spec) if campaign else None
                )
            except ValueError:
                cache[campaign_id] = None
        return cache[campaign_id]

    return get


async def reconcile(
    writer: object,
    ami: AmiClient | None,
    *,
    node: str,
    now: datetime,
    skip_uuids: Iterable[str] = (),
    skip_tasks: Iterable[int] = (),
) -> ReconcileReport:
    """Finish what a previous run of this node (or a dead node) left in flight.

    ``skip_uuids``/``skip_tasks``: attempts and tasks this process is handling right now
    (after an AMI reconnect, the calls it still follows and the attempts it prepared)."""
    report = ReconcileReport()
    skip, skip_t = set(skip_uuids), set(skip_tasks)
    found: list[_Open] = await writer.run(lambda s: _open_attempts(s, node, skip, now))  # type: ignore[attr-defined]
    hung_up: set[str] = set()
    mine = [f for f in found if f.node == node and f.state is not AttemptState.QUEUED]
    if mine and ami is not None:
        try:
            channels = await asterisk_channels(ami)
        except AmiError as exc:
            log.warning(
                "reconcile: Asterisk's channels unknown (%s); finishing from the database", exc
            )
            channels = {}
        for item in mine:
            for name in dict.fromkeys(channels.get(item.uuid, [])):
                with contextlib.suppress(AmiError):
                    await ami.hangup(name)
                report.hung_up += 1
                hung_up.add(item.uuid)

    def work(session: Session) -> None:
        _finish_attempts(session, found, hung_up, node, now, report)
        _apply_stuck_tasks(session, node, now, spec_lookup(session), report, skip_t)

    await writer.run(work)  # type: ignore[attr-defined]
    if any(report.as_dict().values()):
        log.warning("reconciled after restart: %s", report.as_dict())
    return report
