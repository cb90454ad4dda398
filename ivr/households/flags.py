"""The staff worklist: flags raised by calls or staff, resolved by staff.

``Household.flagged`` mirrors "has at least one open flag" so the map can colour a room without
a join; every function here keeps it true.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.db.models import Building, Flag, FlagKind, Household, Unit, utcnow
from ivr.errors import InputError


def _open_flag(session: Session, household_id: int, kind: FlagKind) -> Flag | None:
    return session.scalars(
        select(Flag)
        .where(Flag.household_id == household_id, Flag.kind == kind, Flag.resolved_at.is_(None))
        .with_for_update()
    ).first()


def raise_flag(
    session: Session,
    household: Household,
    kind: FlagKind | str,
    detail: str = "",
    *,
    campaign_id: int | None = None,
    attempt_id: int | None = None,
    at: datetime | None = None,
) -> Flag:
    """Put a household on the worklist for ``kind``; returns the open flag.

    A household has at most one open flag per kind (a partial unique index enforces it across
    dialer nodes): raising it again returns the open one, with the new detail appended, so a
    fever reported on three days is one visit on the list, not three.
    """
    kind = FlagKind(kind)
    if household.id is None:
        session.flush()
    flag = _open_flag(session, household.id, kind)
    if flag is None:
        try:
            with session.begin_nested():
                flag = Flag(
                    household_id=household.id,
                    kind=kind,
                    detail=detail,
                    campaign_id=campaign_id,
                    attempt_id=attempt_id,
                    created_at=at or utcnow(),
                )
                session.add(flag)
        except IntegrityError:  # another node raised the same flag a moment ago
            flag = _open_flag(session, household.id, kind)
            if flag is None:
                raise
    elif detail and detail not in flag.detail:
        flag.detail = f"{flag.detail}; {detail}" if flag.detail else detail
    household.flagged = True
    session.flush()
    return flag


def resolve_flag(
    session: Session,
    flag: Flag,
    resolution: str,
    *,
    staff_user_id: int | None = None,
    at: datetime | None = None,
) -> Flag:
    """Close a worklist item, saying how; resolving a closed flag again changes nothing."""
    if not resolution.strip():
        raise InputError("resolving a flag needs a resolution (what was done)")
    if flag.resolved_at is None:
        flag.resolved_at = at or utcnow()
        flag.resolved_by = staff_user_id
        flag.resolution = resolution.strip()
        session.flush()
        refresh_flagged(session, [flag.household_id])
    return flag


def resolve_flags(
    session: Session,
    household: Household,
    resolution: str,
    *,
    kind: FlagKind | str | None = None,
    staff_user_id: int | None = None,
) -> int:
    """Close every open flag of a household (of one kind when given); returns how many."""
    query = select(Flag).where(Flag.household_id == household.id, Flag.resolved_at.is_(None))
    if kind is not None:
        query = query.where(Flag.kind == FlagKind(kind))
    flags = list(session.scalars(query))
    for flag in flags:
        resolve_flag(session, flag, resolution, staff_user_id=staff_user_id)
    session.refresh(household, ["flagged"])
    return len(flags)


def open_flags(
    session: Session,
    *,
    committee_id: int | None = None,
    kind: FlagKind | str | None = None,
) -> list[Flag]:
    """The worklist: open flags, oldest first (``flag.household`` is loaded on access)."""
    query = select(Flag).where(Flag.resolved_at.is_(None)).order_by(Flag.created_at, Flag.id)
    if kind is not None:
        query = query.where(Flag.kind == FlagKind(kind))
    if committee_id is not None:
        query = (
            query.join(Household, Household.id == Flag.household_id)
            .join(Unit)
            .join(Building)
            .where(Building.committee_id == committee_id)
        )
    return list(session.scalars(query))


def refresh_flagged(session: Session, household_ids: Iterable[int]) -> None:
    """Set ``flagged`` from the open flags of these households."""
    ids = list(household_ids)
    if not ids:
        return
    has_open = exists().where(Flag.household_id == Household.id, Flag.resolved_at.is_(None))
    session.execute(
        update(Household)
        .where(Household.id.in_(ids))
        .values(flagged=has_open)
        .execution_options(synchronize_session=False)
    )
    for household in session.identity_map.values():
        if isinstance(household, Household) and household.id in ids:
            session.expire(household, ["flagged"])
