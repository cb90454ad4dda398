"""Household status colours: every change is kept, with when, from, to and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.db.models import Colour, Household, StatusChange, utcnow
from ivr.errors import InputError

# What staff write in a spreadsheet's status column, in English or Chinese.
COLOUR_WORDS: dict[str, Colour] = {
    **{c.value: c for c in Colour},
    "gray": Colour.GREY,
    "vacant": Colour.GREY,
    "empty": Colour.GREY,
    "绿": Colour.GREEN,
    "绿色": Colour.GREEN,
    "绿码": Colour.GREEN,
    "红": Colour.RED,
    "红色": Colour.RED,
    "红码": Colour.RED,
    "橙": Colour.ORANGE,
    "橙色": Colour.ORANGE,
    "橙码": Colour.ORANGE,
    "黄": Colour.YELLOW,
    "黄色": Colour.YELLOW,
    "黄码": Colour.YELLOW,
    "蓝": Colour.BLUE,
    "蓝色": Colour.BLUE,
    "蓝码": Colour.BLUE,
    "灰": Colour.GREY,
    "灰色": Colour.GREY,
    "空置": Colour.GREY,
    "空房": Colour.GREY,
}


def parse_colour(text: str) -> Colour:
    """``"Green"``, ``"绿色"``, ``"vacant"`` → a Colour; InputError naming the accepted words."""
    word = str(text).strip().lower()
    try:
        return COLOUR_WORDS[word]
    except KeyError:
        accepted = ", ".join(c.value for c in Colour)
        message = f"unknown status {text!r}: use one of {accepted} (or 绿/红/橙/黄/蓝/灰)"
        raise InputError(message) from None


def status_change_values(
    household_id: int,
    from_status: Colour | None,
    to_status: Colour,
    reason: str,
    *,
    at: datetime,
    attempt_id: int | None = None,
    staff_user_id: int | None = None,
) -> dict[str, Any]:
    """One ``status_changes`` row as a dict, for bulk inserts (import, generator)."""
    return {
        "household_id": household_id,
        "from_status": from_status,
        "to_status": to_status,
        "reason": reason,
        "at": at,
        "attempt_id": attempt_id,
        "staff_user_id": staff_user_id,
    }


def set_status(
    session: Session,
    household: Household,
    to_colour: Colour | str,
    reason: str,
    *,
    attempt_id: int | None = None,
    staff_user_id: int | None = None,
    at: datetime | None = None,
) -> StatusChange | None:
    """Change a household's colour and record why; None (and nothing written) when unchanged.

    ``reason`` says why in words; ``attempt_id`` names the call, ``staff_user_id`` the staff
    member who decided. The current colour is read under a row lock (PostgreSQL), so two dialer
    nodes changing one household at once still leave a history whose ``from`` is right.
    """
    to = to_colour if isinstance(to_colour, Colour) else parse_colour(to_colour)
    if not reason.strip():
        raise InputError("a status change needs a reason")
    if household.id is None:
        session.flush()
    current = session.execute(
        select(Household.status).where(Household.id == household.id).with_for_update()
    ).scalar_one()
    if current == to:
        household.status = current
        return None
    when = at or utcnow()
    change = StatusChange(
        **status_change_values(
            household.id,
            current,
            to,
            reason.strip(),
            at=when,
            attempt_id=attempt_id,
            staff_user_id=staff_user_id,
        )
    )
    session.add(change)
    household.status = to
    household.status_since = when
    session.flush()
    return change


def status_history(session: Session, household_id: int) -> list[StatusChange]:
    """Every colour change of one household, oldest first."""
    return list(
        session.scalars(
            select(StatusChange)
            .where(StatusChange.household_id == household_id)
            .order_by(StatusChange.at, StatusChange.id)
        )
    )
