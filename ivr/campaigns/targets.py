"""Who a campaign calls: its target resolved to household ids, in map order."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ivr.campaigns.spec import Target
from ivr.db.models import Building, Colour, Committee, Household, HouseholdTag, Tag
from ivr.errors import InputError
from ivr.households.places import MAP_ORDER, join_place


def _building_condition(entries: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """A number matches the building of that number ("12" and "12号楼"); a range "1-40" the
    buildings numbered so; anything else the building of exactly that name."""
    conditions = []
    for entry in entries:
        numbers = Target.building_range(entry)
        if numbers is not None:
            conditions.append(Building.sort_key.between(*numbers))
        elif entry.strip().isdigit():
            conditions.append(
                or_(Building.name == entry.strip(), Building.sort_key == int(entry.strip()))
            )
        else:
            conditions.append(Building.name == entry.strip())
    return or_(*conditions)


def resolve_target(session: Session, target: Target) -> list[int]:
    """Ids of the households the target names (never vacant ones), in map order."""
    query = join_place(select(Household.id)).where(Household.status != Colour.GREY)
    if target.committees:
        known = set(
            session.scalars(select(Committee.name).where(Committee.name.in_(target.committees)))
        )
        unknown = [name for name in target.committees if name not in known]
        if unknown:
            raise InputError(f"target: no committee called {unknown[0]!r}")
        query = query.where(Committee.name.in_(target.committees))
    if target.buildings:
        query = query.where(_building_condition(target.buildings))
    if target.statuses:
        query = query.where(Household.status.in_(target.statuses))
    if target.tags:
        tagged = (
            select(HouseholdTag.household_id)
            .join(Tag, Tag.id == HouseholdTag.tag_id)
            .where(Tag.name.in_(target.tags))
        )
        query = query.where(Household.id.in_(tagged))
    if target.households:
        query = query.where(Household.id.in_(target.households))
    return list(session.scalars(query.order_by(*MAP_ORDER)))


def empty_target_message(session: Session, target: Target) -> str:
    """Why a target matched nothing, with what the database does hold."""
    total = session.scalar(select(func.count()).select_from(Household)) or 0
    callable_ = (
        session.scalar(
            select(func.count()).select_from(Household).where(Household.status != Colour.GREY)
        )
        or 0
    )
    if not total:
        return "target matches no household: the database has no households (ivr households import)"
    return (
        f"target ({target.describe()}) matches no household that can be called "
        f"({callable_} of {total} households are not vacant)"
    )


def count_by_colour(session: Session, household_ids: list[int]) -> dict[str, int]:
    """How many of these households have each colour now."""
    counts: dict[str, int] = {}
    for start in range(0, len(household_ids), 2000):
        chunk = household_ids[start : start + 2000]
        for colour, n in session.execute(
            select(Household.status, func.count())
            .where(and_(Household.id.in_(chunk)))
            .group_by(Household.status)
        ):
            counts[colour.value] = counts.get(colour.value, 0) + n
    return counts
