"""Write a checked household file: new households inserted, changed ones updated, in bulk."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, update
from sqlalchemy.orm import Session

from ivr.db.models import Colour, Household, HouseholdTag, Phone, Resident, StatusChange, utcnow
from ivr.households.bulk import (
    insert_household_lists,
    insert_households,
    insert_rows,
    new_household,
)
from ivr.households.membership import member_conditions
from ivr.households.places import ensure_units
from ivr.households.rows import HouseholdRow
from ivr.households.status import status_change_values
from ivr.households.stored import Change

NEW_HOUSEHOLD_COLOUR = Colour.BLUE  # not reached yet


def write_import(
    session: Session,
    file: str,
    creates: list[HouseholdRow],
    changes: list[Change],
    *,
    staff_user_id: int | None = None,
) -> None:
    """Insert ``creates``, apply ``changes``; every colour set or changed goes in the history
    with the reason "import of FILE, row N"."""
    now = utcnow()

    def why(row: HouseholdRow) -> str:
        return f"import of {file}, row {row.row}"

    history = [
        status_change_values(
            c.stored.id,
            c.stored.status,
            c.new_status,
            why(c.row),
            at=now,
            staff_user_id=staff_user_id,
        )
        for c in changes
        if c.new_status is not None
    ]
    _update_changed(session, changes, now)

    unit_ids = ensure_units(session, {r.key for r in creates}) if creates else {}
    new_ids = insert_households(
        session,
        [
            new_household(
                unit_ids[r.key],
                r.room,
                r.status or NEW_HOUSEHOLD_COLOUR,
                now=now,
                quarantine_start=r.quarantine_start,
                notes=r.notes or "",
            )
            for r in creates
        ],
    )
    history += [
        status_change_values(
            id_, None, r.status or NEW_HOUSEHOLD_COLOUR, why(r), at=now, staff_user_id=staff_user_id
        )
        for id_, r in zip(new_ids, creates, strict=True)
    ]
    fresh = list(zip(new_ids, creates, strict=True))
    insert_household_lists(
        session,
        phones=[(i, r.phones) for i, r in fresh if r.phones]
        + [(c.stored.id, c.row.phones) for c in changes if c.phones and c.row.phones],
        residents=[(i, r.names) for i, r in fresh if r.names]
        + [(c.stored.id, c.row.names) for c in changes if c.names and c.row.names],
        tags=[(i, r.tags) for i, r in fresh if r.tags]
        + [(c.stored.id, c.row.tags) for c in changes if c.tags and c.row.tags],
    )
    insert_rows(session, StatusChange, history)


def _update_changed(session: Session, changes: list[Change], now: Any) -> None:
    """Scalar columns by primary key; replaced lists deleted here, inserted by the caller."""
    if not changes:
        return
    households = Household.__table__
    session.execute(
        update(households)
        .where(households.c.id == bindparam("h_id"))
        .values(notes=bindparam("h_notes"), quarantine_start=bindparam("h_q"), updated_at=now),
        [{"h_id": c.stored.id, "h_notes": c.notes, "h_q": c.quarantine_start} for c in changes],
    )
    recoloured = [c for c in changes if c.new_status is not None]
    if recoloured:
        session.execute(
            update(households)
            .where(households.c.id == bindparam("h_id"))
            .values(status=bindparam("h_status"), status_since=now),
            [{"h_id": c.stored.id, "h_status": c.new_status} for c in recoloured],
        )
    for model, replaced in (
        (Phone, [c.stored.id for c in changes if c.phones]),
        (Resident, [c.stored.id for c in changes if c.names]),
        (HouseholdTag, [c.stored.id for c in changes if c.tags]),
    ):
        table = model.__table__
        for condition in member_conditions(session, table.c.household_id, replaced):
            session.execute(delete(table).where(condition))
