"""The status map page: legend with counts, filters and search, the street overview, and every
building of the chosen scope as blocks of rooms coloured by status."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from ivr.db.models import Committee, Phone
from ivr.web.campaigndata import campaign_names
from ivr.web.mapdata import COLOURS, MapFilter, load_street_map, map_committee
from ivr.web.mapgrid import building_bars, committee_grid
from ivr.web.viewer import Viewer

QUERY_MAX = 40
LIST_MAX = 100  # rows in the "to visit" and "matches" lists beside the map


def parse_filter(request: Request) -> MapFilter:
    params = request.query_params
    return MapFilter(
        colours=frozenset(c for c in params.getlist("colour") if c in COLOURS),
        flagged=params.get("flagged") == "1",
        campaign_id=_int(params.get("campaign")),
        query=params.get("q", "").strip()[:QUERY_MAX],
        committee_id=_int(params.get("committee")),
        all_rooms=params.get("all") == "1",
    )


def map_page(request: Request) -> Response:
    viewer: Viewer = request.state.viewer
    flt = parse_filter(request)
    with request.app.state.db.session() as session:
        street = load_street_map(
            session,
            viewer,
            flt,
            list_max=LIST_MAX,
            max_rooms=request.app.state.settings.report_map_max_rooms,
        )
        phones = phones_of(session, [p.household_id for p in street.matches])
        campaigns = campaign_names(session, viewer)
        committees = (
            session.execute(select(Committee.id, Committee.name).order_by(Committee.name)).all()
            if viewer.is_admin
            else []
        )
    context = {
        "street": street,
        "filter": flt,
        "committee_id": map_committee(viewer, flt),
        "colours": COLOURS,
        "campaigns": campaigns,
        "committees": committees,
        "grids": [
            (c, committee_grid(c, street) if street.rooms_shown else building_bars(c))
            for c in street.committees
        ],
        "list_max": LIST_MAX,
        "phones": phones,
    }
    return request.app.state.templates.TemplateResponse(request, "map.html", context)


def phones_of(session: Session, household_ids: list[int]) -> dict[int, list[str]]:
    """The numbers of a few households, for the search results (shown masked)."""
    found: dict[int, list[str]] = {}
    if household_ids:
        for household_id, number in session.execute(
            select(Phone.household_id, Phone.number)
            .where(Phone.household_id.in_(household_ids))
            .order_by(Phone.household_id, Phone.position)
        ):
            found.setdefault(household_id, []).append(number)
    return found


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
