"""Signing in: a wrong password is refused, the right one opens the map, and every page needs it."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page

from tests.web.conftest import ReportServer, sign_in


def test_wrong_password_is_refused(page: Page, report_server: ReportServer) -> None:
    sign_in(page, report_server, "staff1", "not the password")
    assert page.url.startswith(f"{report_server.url}/login")
    assert page.locator("[role=alert]").inner_text() == "Wrong user name or password."
    page.goto(f"{report_server.url}/map")
    assert "/login" in page.url  # still not signed in


def test_right_password_opens_the_map_and_sign_out_ends_it(
    page: Page, report_server: ReportServer
) -> None:
    sign_in(page, report_server, "staff1")
    assert page.url == f"{report_server.url}/map"
    assert page.locator("h1").inner_text().startswith("Status map")
    cookie = next(c for c in page.context.cookies() if c["name"] == "ivr_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.click("text=Sign out")
    page.wait_for_url("**/login")
    world = report_server.world
    page.goto(f"{report_server.url}/households/{world.households[world.committee_ids[0]][0]}")
    assert "/login" in page.url


def test_nothing_but_login_and_static_files_without_signing_in(report_server: ReportServer) -> None:
    world = report_server.world
    first = world.committee_ids[0]
    paths = ["/map", "/worklist", "/campaigns", f"/campaigns/{world.campaign_id}",
             f"/households/{world.households[first][0]}", f"/recordings/{world.recordings[first]}"]
    with httpx.Client(base_url=report_server.url, timeout=10) as client:
        for path in paths:
            response = client.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next=")
        assert client.get("/login").status_code == 200
        assert client.get("/static/style.css").status_code == 200
        refused = client.post(f"/households/{world.households[first][0]}/status",
                              data={"colour": "red", "reason": "x"})
        assert refused.status_code in (401, 403)
