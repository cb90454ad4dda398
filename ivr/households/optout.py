"""A resident asks not to be called again: the household is marked, the number blocked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ivr.db.models import Household, utcnow
from ivr.errors import InputError
from ivr.households import dnc


def opt_out_source(*, attempt_id: int | None, staff_user_id: int | None) -> str:
    """Who recorded it, in the words kept on the household: ``attempt 12`` or ``staff 3``."""
    if attempt_id is not None:
        return f"attempt {attempt_id}"
    if staff_user_id is not None:
        return f"staff {staff_user_id}"
    raise InputError("an opt-out needs the call (attempt_id) or the staff member who recorded it")


def record_opt_out(
    session: Session,
    household: Household,
    *,
    number: str | None = None,
    attempt_id: int | None = None,
    staff_user_id: int | None = None,
    reason: str = "asked not to be called",
    at: datetime | None = None,
    default_country: str = "CN",
) -> None:
    """Mark the household opted out and put ``number`` (the one that was called) on the
    do-not-call list, so no campaign dials it again. The first opt-out's time and source stay.

    The scheduler skips opted-out households; staff can undo it with :func:`clear_opt_out`.
    """
    source = opt_out_source(attempt_id=attempt_id, staff_user_id=staff_user_id)
    if not household.opted_out:
        household.opted_out = True
        household.opted_out_at = at or utcnow()
        household.opted_out_by = source
    if number is not None:
        dnc.add_number(
            session,
            number,
            reason=f"{reason} ({source}, household {household.id})",
            added_by=source,
            default_country=default_country,
        )
    session.flush()


def clear_opt_out(session: Session, household: Household, *, staff_user_id: int) -> None:
    """Staff undo an opt-out (the resident changed their mind). Numbers stay on the
    do-not-call list until removed from it explicitly."""
    household.opted_out = False
    household.opted_out_at = None
    household.opted_out_by = f"cleared by staff {staff_user_id}"
    session.flush()
