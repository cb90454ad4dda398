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
