"""The worklist: open flags (fever, symptoms, unreachable, asked for a person, unclear answer,
missed check-in, went out) of the households a viewer may see, most urgent kind first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from ivr.db.models import Building, Campaign, Flag, FlagKind, Household, Unit
from ivr.households.flags import open_flags
from ivr.web.viewer import Viewer

# a door visit for a fever comes before a call back for an unclear answer
URGENCY = [
    FlagKind.FEVER,
    FlagKind.SYMPTOMS,
    FlagKind.HUMAN_REQUESTED,
    FlagKind.WENT_OUT,
    FlagKind.UNREACHABLE,
    FlagKind.MISSED_CHECKIN,
    FlagKind.UNCLEAR,
]


@dataclass(frozen=True)
class WorkItem:
    flag: Flag
    household_id: int
    address: str
    status: str
    campaign: str


def load_worklist(
    session: Session,
    viewer: Viewer,
    *,
    campaign_id: int | None = None,
    kind: FlagKind | None = None,
) -> list[WorkItem]:
    if not viewer.is_admin and viewer.committee_id is None:
        return []
    committee_id = None if viewer.is_admin else viewer.committee_id
    flags = [
        f
        for f in open_flags(session, committee_id=committee_id, kind=kind)
        if campaign_id is None or f.campaign_id == campaign_id
    ]
    places = household_places(session, {f.household_id for f in flags})
    campaigns = dict(
        session.execute(
            select(Campaign.id, Campaign.name).where(
                Campaign.id.in_({f.campaign_id for f in flags if f.campaign_id})
            )
        ).all()
    )
    items = [
        WorkItem(f, f.household_id, *places[f.household_id], campaigns.get(f.campaign_id or 0, ""))
        for f in flags
        if f.household_id in places
    ]
    items.sort(key=lambda item: (URGENCY.index(item.flag.kind), item.flag.created_at))
    return items


def household_places(session: Session, ids: set[int]) -> dict[int, tuple[str, str]]:
    """Household id → ("building-unit-room", colour) in one query."""
    if not ids:
        return {}
    rows = session.execute(
        select(Household.id, Building.name, Unit.name, Household.room, Household.status)
        .join(Unit, Household.unit_id == Unit.id)
        .join(Building, Unit.building_id == Building.id)
        .where(Household.id.in_(ids))
    )
    return {
        hid: ("-".join(p for p in (building, unit, room) if p), status.value)
        for hid, building, unit, room, status in rows
    }


def worklist_page(request: Request) -> Response:
    viewer: Viewer = request.state.viewer
    kind_text = request.query_params.get("kind", "")
    kind = FlagKind(kind_text) if kind_text in {k.value for k in FlagKind} else None
    with request.app.state.db.session() as session:
        items = load_worklist(session, viewer, kind=kind)
        context = {"items": items, "kind": kind.value if kind else "", "kinds": URGENCY}
        return request.app.state.templates.TemplateResponse(request, "worklist.html", context)
