"""The do-not-call list: numbers never dialled, whoever they belong to.

Every number is kept in its canonical form (``ivr.phone.normalize``), so ``138 0013 8000`` and
``+86 138-0013-8000`` are one entry and the dialer's check is an exact match.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.db.models import DoNotCall
from ivr.households.membership import member_conditions
from ivr.phone import normalize


def add_number(
    session: Session,
    raw_number: str,
    *,
    reason: str = "",
    added_by: str = "",
    default_country: str = "CN",
) -> DoNotCall:
    """Put a number on the list (InputError for a bad number); adding it again keeps the first
    entry and only fills in a reason it did not have."""
    number = normalize(raw_number, default_country)
    entry = session.get(DoNotCall, number)
    if entry is None:
        entry = DoNotCall(number=number, reason=reason, added_by=added_by)
        session.add(entry)
    elif reason and not entry.reason:
        entry.reason = reason
    session.flush()
    return entry


def remove_number(session: Session, raw_number: str, *, default_country: str = "CN") -> bool:
    """Take a number off the list; False when it was not on it."""
    entry = session.get(DoNotCall, normalize(raw_number, default_country))
    if entry is None:
        return False
    session.delete(entry)
    session.flush()
    return True


def is_do_not_call(session: Session, raw_number: str, *, default_country: str = "CN") -> bool:
    """Whether a number (as typed, or canonical) is on the list."""
    return session.get(DoNotCall, normalize(raw_number, default_country)) is not None


def blocked_numbers(session: Session, canonical_numbers: Iterable[str]) -> set[str]:
    """Which of these canonical numbers are on the list (one query, or one per 2,000 on SQLite):
    the scheduler's check for a whole batch."""
    blocked: set[str] = set()
    for condition in member_conditions(session, DoNotCall.number, set(canonical_numbers)):
        blocked.update(session.scalars(select(DoNotCall.number).where(condition)))
    return blocked


def list_numbers(session: Session) -> list[DoNotCall]:
    """The whole list, oldest entry first."""
    return list(session.scalars(select(DoNotCall).order_by(DoNotCall.added_at, DoNotCall.number)))
