"""The status map in a real browser: every room's rendered colour and flag mark match the
database, the legend counts match, and a filter dims exactly the rooms it does not pick."""

from __future__ import annotations

from collections import Counter

from playwright.sync_api import Page
from sqlalchemy import select

from ivr.db.models import Building, Household, Unit
from tests.web.conftest import ReportServer, sign_in

# the design's colours (style.css), as the browser reports them
RENDERED = {
    "rgb(46, 157, 79)": "green",
    "rgb(217, 48, 37)": "red",
    "rgb(240, 140, 0)": "orange",
    "rgb(242, 197, 0)": "yellow",
    "rgb(47, 111, 214)": "blue",
    "rgb(154, 160, 166)": "grey",
}

READ_ROOMS = """links => links.map(a => ({
    id: Number(a.getAttribute('href').split('/').pop()),
    background: getComputedStyle(a).backgroundColor,
    outline: getComputedStyle(a).outlineStyle,
    opacity: Number(getComputedStyle(a).opacity),
}))"""


def _database_rooms(server: ReportServer, committee_id: int | None = None
                    ) -> dict[int, tuple[str, bool]]:
    query = (select(Household.id, Household.status, Household.flagged)
             .join(Unit, Household.unit_id == Unit.id)
             .join(Building, Unit.building_id == Building.id))
    if committee_id is not None:
        query = query.where(Building.committee_id == committee_id)
    with server.db.session() as session:
        return {hid: (status.value, flagged) for hid, status, flagged in session.execute(query)}


def test_every_rooms_colour_and_flag_match_the_database(
    page: Page, report_server: ReportServer
) -> None:
    sign_in(page, report_server, "admin")
    rooms = page.locator(".fl a").evaluate_all(READ_ROOMS)
    expected = _database_rooms(report_server)

    assert len(rooms) == len(expected) == 160
    for room in rooms:
        colour, flagged = expected[room["id"]]
        assert RENDERED.get(room["background"]) == colour, room
        assert (room["outline"] == "solid") == flagged, room
    assert any(flagged for _, flagged in expected.values())  # the world raises a few flags

    legend = {
        text.split()[0]: int(text.split()[1])
        for text in page.locator(".maphead .legend li").all_inner_texts()
    }
    assert legend == {c: Counter(s for s, _ in expected.values())[c] for c in RENDERED.values()}


def test_a_colour_filter_dims_the_other_rooms(page: Page, report_server: ReportServer) -> None:
    committee = report_server.world.committee_ids[0]
    sign_in(page, report_server, "staff1")
    page.goto(f"{report_server.url}/map?colour=yellow&colour=red")
    rooms = page.locator(".fl a").evaluate_all(READ_ROOMS)
    expected = _database_rooms(report_server, committee)
    assert {r["id"] for r in rooms} == set(expected)
    for room in rooms:
        picked = expected[room["id"]][0] in ("yellow", "red")
        assert (room["opacity"] == 1) == picked, room
    assert page.locator(".matches li").count() == sum(
        s in ("yellow", "red") for s, _ in expected.values())


def test_search_by_phone_shows_the_household_with_its_number_masked(
    page: Page, report_server: ReportServer
) -> None:
    world = report_server.world
    household_id = world.households[world.committee_ids[0]][3]
    with report_server.db.session() as session:
        number = session.get(Household, household_id).phones[0].number  # type: ignore[union-attr]
    national = number.removeprefix("+86")  # 199xxxxxxxx
    sign_in(page, report_server, "staff1")
    page.fill("input[name=q]", national[-6:])
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    link = page.locator(f'a[href="/households/{household_id}"]')
    result = page.locator(".matches li", has=link)
    assert result.count() == 1
    shown = result.inner_text()
    assert f"{national[:3]}****{national[-4:]}" in shown
    assert national not in page.content()  # the full number is on the household page only
