"""The household page in a real browser: a call recording plays, and staff edits made with a
reason land in the history (page and database) under the staff member's name."""

from __future__ import annotations

from playwright.sync_api import Page
from sqlalchemy import select

from ivr.db.models import Flag, FlagKind, StatusChange
from tests.web.conftest import ReportServer, sign_in
from tests.web.world import RECORDING_SECONDS


def test_a_recording_plays_in_the_browser(page: Page, report_server: ReportServer) -> None:
    world = report_server.world
    committee = world.committee_ids[0]
    sign_in(page, report_server, "staff1")
    page.goto(f"{report_server.url}/households/{world.recorded_household[committee]}")
    audio = page.locator(f"audio[data-recording='{world.recordings[committee]}']")
    audio.wait_for()

    audio.evaluate("a => a.readyState >= 1 || new Promise(r => a.addEventListener("
                   "'loadedmetadata', r, {once: true}))")
    duration = audio.evaluate("a => a.duration")
    assert abs(duration - RECORDING_SECONDS) < 0.05

    page.locator("h1").click()  # a user gesture, so the page may start playback
    audio.evaluate("a => { a.muted = true; return a.play(); }")
    page.wait_for_function(
        "a => !a.paused && a.currentTime > 0.3", arg=audio.element_handle(), timeout=10_000
    )
    assert audio.evaluate("a => a.error") is None


def test_status_change_with_reason_appears_in_history(
    page: Page, report_server: ReportServer
) -> None:
    world = report_server.world
    household_id = world.households[world.committee_ids[0]][20]
    reason = "back from a key epidemic area on Monday"
    sign_in(page, report_server, "staff1")
    page.goto(f"{report_server.url}/households/{household_id}")
    before = page.locator(".hhead .badge[data-status]").inner_text()
    target = "red" if before != "red" else "orange"

    page.select_option("#status-form select[name=colour]", target)
    page.fill("#status-form input[name=reason]", reason)
    page.click("#status-form button[type=submit]")
    page.wait_for_load_state()

    assert page.locator(".flash").inner_text() == f"Status set to {target}."
    assert page.locator(".hhead .badge[data-status]").inner_text() == target
    newest = page.locator("table.history tbody tr").first
    cells = newest.locator("td").all_inner_texts()
    assert cells[1:] == ["status", before, target, reason, "staff staff1"]
    with report_server.db.session() as session:
        change = session.scalars(
            select(StatusChange).where(StatusChange.household_id == household_id)
            .order_by(StatusChange.id.desc())
        ).first()
        assert change is not None
        assert change.from_status is not None
        assert (change.from_status.value, change.to_status.value) == (before, target)
        assert change.reason == reason and change.staff_user_id == world.staff["staff1"]


def test_resolving_a_flag_needs_a_resolution_and_is_recorded(
    page: Page, report_server: ReportServer
) -> None:
    world = report_server.world
    household_id = world.households[world.committee_ids[0]][4]  # has an open fever flag
    sign_in(page, report_server, "staff1")
    page.goto(f"{report_server.url}/households/{household_id}")
    flag_form = page.locator("ul.flags li.open", has_text="fever").locator("form")
    flag_form.locator("input[name=resolution]").fill("visited: 36.9 °C, no symptoms")
    flag_form.locator("button[type=submit]").click()
    page.wait_for_load_state()

    assert page.locator(".flash").inner_text() == "Flag resolved."
    assert page.locator("ul.flags li.open", has_text="fever").count() == 0
    resolved = page.locator("table.history tbody tr", has_text="flag resolved").first
    assert "visited: 36.9 °C" in resolved.inner_text()
    assert "staff staff1" in resolved.inner_text()
    with report_server.db.session() as session:
        flag = session.scalars(select(Flag).where(
            Flag.household_id == household_id, Flag.kind == FlagKind.FEVER)).one()
        assert flag.resolved_by == world.staff["staff1"]
        assert flag.resolution == "visited: 36.9 °C, no symptoms"
