"""Every state-changing request needs the session's CSRF token: without it, or with another one,
the change is refused and nothing is written."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from sqlalchemy import func, select

from ivr.db.models import Household, StatusChange
from tests.web.conftest import ReportServer, sign_in


@pytest.mark.parametrize("token", [None, "wrong-token"], ids=["without token", "wrong token"])
def test_post_without_the_right_token_is_refused(
    page: Page, report_server: ReportServer, token: str | None
) -> None:
    household_id = report_server.world.households[report_server.world.committee_ids[0]][10]
    sign_in(page, report_server, "staff1")
    with report_server.db.session() as session:
        before = session.get(Household, household_id).status  # type: ignore[union-attr]
        changes = session.scalar(select(func.count()).where(
            StatusChange.household_id == household_id))
    target = "grey" if before.value != "grey" else "green"
    form = {"colour": target, "reason": "forged"}
    if token is not None:
        form["csrf_token"] = token
    response = page.request.post(f"{report_server.url}/households/{household_id}/status",
                                 form=form, max_redirects=0)
    assert response.status == 403
    assert "CSRF" in response.text()
    with report_server.db.session() as session:
        assert session.get(Household, household_id).status == before  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).where(
            StatusChange.household_id == household_id)) == changes


def test_the_pages_own_form_carries_the_token(page: Page, report_server: ReportServer) -> None:
    household_id = report_server.world.households[report_server.world.committee_ids[0]][11]
    sign_in(page, report_server, "staff1")
    page.goto(f"{report_server.url}/households/{household_id}")
    page.fill("#note-form textarea[name=note]", "rings twice before answering")
    page.click("#note-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".flash").inner_text() == "Note added."
