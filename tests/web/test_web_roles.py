"""Committee staff see their own committee only, whatever URL they type; the street
administrator sees everything."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.web.conftest import ReportServer, sign_in


def test_staff_cannot_open_another_committees_household_or_recording(
    page: Page, report_server: ReportServer
) -> None:
    world = report_server.world
    own, other = world.committee_ids
    sign_in(page, report_server, "staff1")

    mine = page.goto(f"{report_server.url}/households/{world.recorded_household[own]}")
    assert mine is not None and mine.status == 200
    theirs = page.goto(f"{report_server.url}/households/{world.recorded_household[other]}")
    assert theirs is not None and theirs.status == 404

    # the recording route, fetched with this browser's session cookie
    own_audio = page.request.get(f"{report_server.url}/recordings/{world.recordings[own]}")
    assert own_audio.status == 200 and own_audio.headers["content-type"] == "audio/wav"
    other_audio = page.request.get(f"{report_server.url}/recordings/{world.recordings[other]}")
    assert other_audio.status == 404

    # nor a way round through the map's committee parameter
    page.goto(f"{report_server.url}/map?committee={other}")
    assert page.locator(f"#c{other}").count() == 0
    assert page.locator(f"#c{own}").count() == 1
    linked = {int(h.split("/")[-1]) for h in page.locator(".fl a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")}
    assert linked == set(world.households[own])


def test_staff_cannot_edit_another_committees_household(
    page: Page, report_server: ReportServer
) -> None:
    world = report_server.world
    other_household = world.households[world.committee_ids[1]][5]
    sign_in(page, report_server, "staff1")
    token = page.locator("form.who input[name=csrf_token]").input_value()
    response = page.request.post(
        f"{report_server.url}/households/{other_household}/status",
        form={"colour": "red", "reason": "should not land", "csrf_token": token},
        max_redirects=0,
    )
    assert response.status == 404


def test_street_administrator_sees_every_committee(page: Page, report_server: ReportServer) -> None:
    world = report_server.world
    sign_in(page, report_server, "admin")
    for committee in world.committee_ids:
        assert page.locator(f"#c{committee}").count() == 1
        opened = page.request.get(f"{report_server.url}/recordings/{world.recordings[committee]}")
        assert opened.status == 200
