"""HTML of the map's room grid, written directly rather than through a template loop: at 50,000
rooms this is the page's hot path, and one compact anchor per room (colour as a class) keeps
the page small. Everything interpolated is escaped."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from ivr.households.overview import RoomCell
from ivr.web.mapdata import BuildingBlock, CommitteeBlock, StreetMap
from ivr.web.templating import FLAG_LABEL


def committee_grid(committee: CommitteeBlock, street: StreetMap) -> Markup:
    return Markup("".join(_building(b, street) for b in committee.buildings))  # noqa: S704


def _building(building: BuildingBlock, street: StreetMap) -> str:
    parts = [f'<section class="bldg" id="b{building.id}"><h3>Building {escape(building.name)}']
    parts.append(f'<small>{sum(building.counts.values())}</small></h3><div class="units">')
    for unit in building.units:
        label = f"Unit {escape(unit.name)}" if unit.name else "&nbsp;"
        parts.append(f'<div class="unit"><h4>{label}</h4>')
        for floor, rooms in unit.floors:
            floor_label = "" if floor is None else floor
            parts.append(f'<div class="fl"><span class="fn">{floor_label}</span>')
            parts.extend(_room(cell, street) for cell in rooms)
            parts.append("</div>")
        parts.append("</div>")
    parts.append("</div></section>")
    return "".join(parts)


def _room(cell: RoomCell, street: StreetMap) -> str:
    classes = cell.status.value
    title = ""
    if cell.flagged:
        classes += " flag"
        open_kinds = street.flag_kinds.get(cell.household_id, ())
        kinds = ", ".join(FLAG_LABEL.get(k, k) for k in open_kinds)
        title = f' title="{escape(kinds or "flagged")}"'
    if street.hits is not None and cell.household_id not in street.hits:
        classes += " dim"
    return (
        f'<a href="/households/{cell.household_id}" class="{classes}"{title}>'
        f"{escape(cell.room)}</a>"
    )


BAR_WIDTH, BAR_GAP, BAR_HEIGHT = 10, 3, 48
STACK_ORDER = ("green", "yellow", "orange", "red", "blue", "grey")


def building_bars(committee: CommitteeBlock) -> Markup:
    """The street overview of one committee: a bar per building, its households stacked by
    colour, a dot over it when any is flagged; each bar links to the building on the
    committee's own map."""
    tallest = max((sum(b.counts.values()) for b in committee.buildings), default=1) or 1
    width = len(committee.buildings) * (BAR_WIDTH + BAR_GAP)
    parts = [
        f'<svg class="bars" viewBox="0 -6 {width} {BAR_HEIGHT + 6}" width="{width}" '
        f'height="{BAR_HEIGHT + 6}" role="img" aria-label="{escape(committee.name)}: '
        'households by building and colour">'
    ]
    for i, building in enumerate(committee.buildings):
        x = i * (BAR_WIDTH + BAR_GAP)
        total = sum(building.counts.values())
        summary = ", ".join(f"{building.counts[c]} {c}" for c in STACK_ORDER if building.counts[c])
        flagged = f", {building.flagged} flagged" if building.flagged else ""
        parts.append(
            f'<a href="/map?committee={committee.id}#b{building.id}"><title>Building '
            f"{escape(building.name)}: {total} households ({summary}){flagged}</title>"
        )
        y = float(BAR_HEIGHT)
        for colour in STACK_ORDER:
            if building.counts[colour]:
                height = BAR_HEIGHT * building.counts[colour] / tallest
                y -= height
                parts.append(
                    f'<rect class="{colour}" x="{x}" y="{y:.1f}" width="{BAR_WIDTH}" '
                    f'height="{height:.1f}"/>'
                )
        if building.flagged:
            parts.append(
                f'<circle class="flagdot" cx="{x + BAR_WIDTH / 2}" cy="{y - 3.5:.1f}" r="2.5"/>'
            )
        parts.append("</a>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
