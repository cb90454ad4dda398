"""Who is looking: the signed-in staff member and what their role lets them see.

Every query of the report view is narrowed by :meth:`Viewer.committee_clause`, so a committee's
staff never reach another committee's households, calls, recordings or campaigns, whatever URL
they type. A street administrator (``Role.ADMIN``) sees every committee.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import InstrumentedAttribute

from ivr.db.models import Building, Household, Role, Unit


@dataclass(frozen=True)
class Viewer:
    user_id: int
    username: str
    role: Role
    committee_id: int | None
    sip_endpoint: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def committee_clause(self, committee_column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
        """A WHERE clause keeping only rows of committees this viewer may see."""
        if self.is_admin:
            return true()
        if self.committee_id is None:  # staff not yet assigned to a committee: sees nothing
            return false()
        return committee_column == self.committee_id

    def may_see_committee(self, committee_id: int | None) -> bool:
        return self.is_admin or (committee_id is not None and committee_id == self.committee_id)

    def household_clause(self, household_column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
        """A WHERE clause keeping rows (calls, flags, tasks) of households this viewer may see."""
        if self.is_admin:
            return true()
        return household_column.in_(
            select(Household.id)
            .join(Unit, Household.unit_id == Unit.id)
            .join(Building, Unit.building_id == Building.id)
            .where(self.committee_clause(Building.committee_id))
        )
