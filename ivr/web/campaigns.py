"""The campaign pages: the list, and one campaign's dashboard (progress, rates, outcomes over
time as an SVG chart, answers stored, and its worklist)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ivr.web.access import campaign_or_404
from ivr.web.campaigndata import campaign_figures, campaign_rows
from ivr.web.charts import stacked_bars
from ivr.web.viewer import Viewer
from ivr.web.worklist import load_worklist


def campaign_list(request: Request) -> Response:
    viewer: Viewer = request.state.viewer
    with request.app.state.db.session() as session:
        rows = campaign_rows(session, viewer)
    return request.app.state.templates.TemplateResponse(
        request, "campaigns.html", {"campaigns": rows}
    )


def campaign_page(request: Request) -> Response:
    viewer: Viewer = request.state.viewer
    campaign_id = request.path_params["campaign_id"]
    with request.app.state.db.session() as session:
        campaign = campaign_or_404(session, viewer, campaign_id)
        # campaign_or_404 let it through, so it has a row: an admin's even without tasks
        row = campaign_rows(session, viewer, campaign_id)[0]
        figures = campaign_figures(session, viewer, row)
        worklist = load_worklist(session, viewer, campaign_id=campaign_id)
        chart = stacked_bars(figures.buckets, figures.series, f"Calls of {campaign.name} over time")
        context = {"campaign": campaign, "figures": figures, "worklist": worklist, "chart": chart}
        return request.app.state.templates.TemplateResponse(request, "campaign.html", context)
