"""Load one household, recording or campaign, or 404 when it is not the viewer's to see.

404 rather than 403 for another committee's rows: the answer must not tell a curious member of
staff that household 1234 exists elsewhere.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from ivr.db.models import Attempt, Campaign, Household, Recording, Task
from ivr.errors import InputError
from ivr.households.lookup import get_household
from ivr.web.viewer import Viewer


def not_found() -> HTTPException:
    return HTTPException(status_code=404, detail="Not found")


def household_or_404(session: Session, viewer: Viewer, household_id: int) -> Household:
    """The household with its place, phones and colour history loaded (the helper's loader)."""
    try:
        household = get_household(session, household_id)
    except InputError:
        raise not_found() from None
    if not viewer.may_see_committee(household.unit.building.committee_id):
        raise not_found()
    return household


def recording_or_404(session: Session, viewer: Viewer, recording_id: int) -> Recording:
    # a recording belongs to its call's household; one without a household is admin-only
    recording = session.scalars(
        select(Recording)
        .join(Attempt, Recording.attempt_id == Attempt.id)
        .where(
            Recording.id == recording_id,
            Recording.deleted_at.is_(None),
            viewer.household_clause(Attempt.household_id),
        )
    ).first()
    if recording is None:
        raise not_found()
    return recording


def campaign_or_404(session: Session, viewer: Viewer, campaign_id: int) -> Campaign:
    """A campaign is visible to committee staff when it has households of their committee."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise not_found()
    if not viewer.is_admin and not session.scalar(
        select(Task.id)
        .where(Task.campaign_id == campaign_id, viewer.household_clause(Task.household_id))
        .limit(1)
    ):
        raise not_found()
    return campaign
