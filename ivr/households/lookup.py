"""Finding households for staff: by place, colour or flag, and one with everything about it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ivr.db.models import Building, Colour, Committee, Household, Phone, Unit
from ivr.errors import InputError
from ivr.households.places import MAP_ORDER, join_place


@dataclass(frozen=True, slots=True)
class HouseholdFilter:
    committee_id: int | None = None
    building: str | None = None
    status: Colour | None = None
    flagged: bool | None = None
    phone: str | None = None  # canonical number


def household_label(household: Household) -> str:
    """``12-2-301`` (building-unit-room), or ``12-301`` when the building has no units."""
    unit = household.unit
    parts = [unit.building.name, unit.name, household.room]
    return "-".join(part for part in parts if part)


def find_households(
    session: Session, where: HouseholdFilter, *, limit: int | None = None
) -> list[Household]:
    """Households matching every given condition, in map order, with unit, building and phones
    loaded."""
    query = (
        join_place(select(Household))
        .options(
            selectinload(Household.unit).selectinload(Unit.building),
            selectinload(Household.phones),
        )
        .order_by(*MAP_ORDER)
    )
    if where.committee_id is not None:
        query = query.where(Building.committee_id == where.committee_id)
    if where.building is not None:
        query = query.where(Building.name == where.building)
    if where.status is not None:
        query = query.where(Household.status == where.status)
    if where.flagged is not None:
        query = query.where(Household.flagged.is_(where.flagged))
    if where.phone is not None:
        query = query.where(
            Household.id.in_(select(Phone.household_id).where(Phone.number == where.phone))
        )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def get_household(session: Session, household_id: int) -> Household:
    """One household with its place, phones, residents, tags and colour history loaded;
    InputError when there is none."""
    household = session.scalars(
        select(Household)
        .where(Household.id == household_id)
        .options(
            selectinload(Household.unit)
            .selectinload(Unit.building)
            .selectinload(Building.committee)
            .selectinload(Committee.street),
            selectinload(Household.phones),
            selectinload(Household.residents),
            selectinload(Household.tags),
            selectinload(Household.status_changes),
        )
    ).first()
    if household is None:
        raise InputError(f"no household with id {household_id}")
    return household
