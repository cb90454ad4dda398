"""Everything the household page tells about one household besides its place: the timeline of
colour changes and worklist flags (who and why), and every call with its turns, stored answers
and recordings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ivr.db.models import Answer, Attempt, Campaign, Flag, Household, StaffUser
from ivr.web.notes import note_entries


@dataclass
class CallView:
    attempt: Attempt
    campaign: str
    answers: list[Answer] = field(default_factory=list)


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    what: str  # "status" | "flag raised" | "flag resolved" | "note"
    from_status: str | None
    to_status: str | None
    detail: str
    by: str  # "call #12", "staff alice", or ""
    attempt_id: int | None


@dataclass
class HouseholdRecord:
    calls: list[CallView]
    flags: list[Flag]  # open first, then resolved, newest first
    history: list[HistoryEntry]  # newest first


def load_household_record(session: Session, household: Household) -> HouseholdRecord:
    attempts = list(
        session.scalars(
            select(Attempt)
            .where(Attempt.household_id == household.id)
            .options(selectinload(Attempt.turns), selectinload(Attempt.recordings))
            .order_by(Attempt.queued_at.desc(), Attempt.id.desc())
        )
    )
    answers: dict[int | None, list[Answer]] = defaultdict(list)
    for answer in session.scalars(
        select(Answer).where(Answer.household_id == household.id).order_by(Answer.at)
    ):
        answers[answer.attempt_id].append(answer)
    flags = list(
        session.scalars(
            select(Flag)
            .where(Flag.household_id == household.id)
            .order_by(Flag.resolved_at.is_not(None), Flag.created_at.desc())
        )
    )
    campaign_ids = {a.campaign_id for a in attempts} | {f.campaign_id for f in flags}
    campaigns = _names(session, Campaign, campaign_ids - {None})
    staff_ids = {c.staff_user_id for c in household.status_changes} | {f.resolved_by for f in flags}
    staff = _names(session, StaffUser, staff_ids - {None})
    calls = [
        CallView(a, campaigns.get(a.campaign_id or 0, ""), answers.get(a.id, [])) for a in attempts
    ]
    return HouseholdRecord(calls, flags, _history(household, flags, staff))


def _names(
    session: Session, model: type[Campaign] | type[StaffUser], ids: set[int | None]
) -> dict[int, str]:
    if not ids:
        return {}
    label = model.name if model is Campaign else model.username  # type: ignore[union-attr]
    return dict(session.execute(select(model.id, label).where(model.id.in_(ids))).all())


def _history(household: Household, flags: list[Flag], staff: dict[int, str]) -> list[HistoryEntry]:
    def by(attempt_id: int | None, staff_id: int | None) -> str:
        if staff_id is not None:
            return f"staff {staff.get(staff_id, f'#{staff_id}')}"
        return f"call #{attempt_id}" if attempt_id is not None else ""

    entries = [
        HistoryEntry(
            c.at,
            "status",
            c.from_status.value if c.from_status else None,
            c.to_status.value,
            c.reason,
            by(c.attempt_id, c.staff_user_id),
            c.attempt_id,
        )
        for c in household.status_changes
    ]
    for flag in flags:
        entries.append(
            HistoryEntry(
                flag.created_at,
                "flag raised",
                None,
                None,
                f"{flag.kind.value}: {flag.detail}".rstrip(": "),
                by(flag.attempt_id, None),
                flag.attempt_id,
            )
        )
        if flag.resolved_at is not None:
            entries.append(
                HistoryEntry(
                    flag.resolved_at,
                    "flag resolved",
                    None,
                    None,
                    f"{flag.kind.value}: {flag.resolution}",
                    by(None, flag.resolved_by),
                    None,
                )
            )
    entries.extend(
        HistoryEntry(note.at, "note", None, None, note.text, f"staff {note.author}", None)
        for note in note_entries(household.notes)
        if note.at is not None
    )
    return sorted(entries, key=lambda e: e.at, reverse=True)
