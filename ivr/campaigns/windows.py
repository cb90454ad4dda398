"""When a campaign may call: its windows as real (UTC) intervals, across midnight and DST.

Each window is turned into concrete intervals, one per local day it opens on, by placing its
local start and end on that day in the campaign's time zone. Local times a DST change skips
(02:30 on a spring-forward night) land just after the gap, as ``zoneinfo`` places them with
``fold=0``; a time that occurs twice (autumn) means its first occurrence. Intervals that touch
or overlap are merged, so "open until" is the real end of calling, not a window's edge.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ivr.campaigns.spec import WEEKDAYS, Window

LOOKAHEAD_DAYS = 8  # every weekly pattern opens within a week, if it opens at all


def _at(day: date, moment: object, zone: ZoneInfo) -> datetime:
    local = datetime.combine(day, moment, tzinfo=zone)  # type: ignore[call-overload]
    return local.astimezone(UTC)


class CallingWindows:
    def __init__(self, windows: Iterable[Window], zone: ZoneInfo) -> None:
        self.windows = tuple(windows)
        self.zone = zone

    def intervals(
        self, around: datetime, days: int = LOOKAHEAD_DAYS
    ) -> list[tuple[datetime, datetime]]:
        """Open intervals (UTC, merged, in order) of windows opening from the local day before
        ``around`` to ``days`` days after it."""
        first = around.astimezone(self.zone).date() - timedelta(days=1)
        found: list[tuple[datetime, datetime]] = []
        for offset in range(days + 2):
            day = first + timedelta(days=offset)
            weekday = WEEKDAYS[day.weekday()]
            for window in self.windows:
                if weekday not in window.days:
                    continue
                end_day = day + timedelta(days=1) if window.crosses_midnight else day
                start, end = _at(day, window.start, self.zone), _at(end_day, window.end, self.zone)
                if end > start:  # a window inside a skipped DST hour has no real time
                    found.append((start, end))
        found.sort()
        merged: list[tuple[datetime, datetime]] = []
        for start, end in found:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged

    def is_open(self, at: datetime) -> bool:
        return self.open_until(at) is not None

    def open_until(self, at: datetime) -> datetime | None:
        """When calling stops, if a window is open at ``at``; else None."""
        for start, end in self.intervals(at):
            if start <= at < end:
                return end
        return None

    def next_open(self, at: datetime) -> datetime | None:
        """``at`` itself when open, else when the next window opens (None: never, within a
        week — the windows name no day, or every window falls in a skipped hour)."""
        for start, end in self.intervals(at):
            if at < end:
                return max(start, at)
        return None
