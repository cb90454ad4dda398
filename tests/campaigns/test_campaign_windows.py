"""Calling windows on fixed clocks: days, across midnight, and on DST change days."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ivr.campaigns.spec import Window, parse_window
from ivr.campaigns.windows import CallingWindows
from ivr.errors import InputError

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_open_only_inside_the_window_on_its_days() -> None:
    windows = CallingWindows([parse_window("mon-fri 09:00-12:00")], SHANGHAI)
    wednesday = local(SHANGHAI, 2026, 11, 25, 9, 0)
    assert windows.is_open(wednesday)
    assert windows.is_open(wednesday.replace(hour=11, minute=59))
    assert not windows.is_open(wednesday.replace(hour=12))  # the end is not in the window
    assert not windows.is_open(wednesday.replace(hour=8, minute=59))
    saturday = local(SHANGHAI, 2026, 11, 28, 10, 0)
    assert not windows.is_open(saturday)
    assert windows.next_open(saturday) == local(SHANGHAI, 2026, 11, 30, 9, 0)
    assert windows.open_until(wednesday) == local(SHANGHAI, 2026, 11, 25, 12, 0)


def test_window_across_midnight_belongs_to_the_day_it_opens() -> None:
    windows = CallingWindows([parse_window("fri 22:00-02:00")], SHANGHAI)
    assert windows.is_open(local(SHANGHAI, 2026, 11, 27, 23, 30))  # Friday night
    assert windows.is_open(local(SHANGHAI, 2026, 11, 28, 1, 59))  # Saturday small hours
    assert not windows.is_open(local(SHANGHAI, 2026, 11, 28, 2, 0))
    assert not windows.is_open(local(SHANGHAI, 2026, 11, 28, 23, 0))  # Saturday night: no
    assert not windows.is_open(local(SHANGHAI, 2026, 11, 27, 1, 0))  # Thursday's night: no
    assert windows.open_until(local(SHANGHAI, 2026, 11, 27, 22, 0)) == local(
        SHANGHAI, 2026, 11, 28, 2, 0
    )


def test_touching_windows_merge_and_whole_day() -> None:
    windows = CallingWindows([parse_window("20:00-24:00"), parse_window("00:00-08:00")], SHANGHAI)
    at = local(SHANGHAI, 2026, 11, 25, 21, 0)
    assert windows.open_until(at) == local(SHANGHAI, 2026, 11, 26, 8, 0)
    always = CallingWindows([parse_window("always")], SHANGHAI)
    assert always.is_open(local(SHANGHAI, 2026, 11, 25, 3, 33))


def test_new_york_spring_forward_2026_03_08() -> None:
    windows = CallingWindows([parse_window("09:00-17:00")], NY)
    # 09:00 is 14:00 UTC the day before the change (EST) and 13:00 UTC on it (EDT)
    assert not windows.is_open(utc(2026, 3, 7, 13, 30))
    assert windows.is_open(utc(2026, 3, 8, 13, 30))
    assert windows.open_until(utc(2026, 3, 8, 13, 30)) == utc(2026, 3, 8, 21, 0)
    assert windows.next_open(utc(2026, 3, 7, 23, 0)) == utc(2026, 3, 8, 13, 0)


def test_window_in_the_skipped_hour_and_across_the_change() -> None:
    # 02:00-03:00 does not exist on 2026-03-08 in New York: nothing opens that night
    skipped = CallingWindows([parse_window("02:00-03:00")], NY)
    assert skipped.next_open(utc(2026, 3, 8, 5, 0)) == utc(2026, 3, 9, 6, 0)
    # a night window across the change is one hour shorter in real time
    night = CallingWindows([parse_window("sat 22:00-06:00")], NY)
    start = night.next_open(utc(2026, 3, 7, 12, 0))
    assert start == utc(2026, 3, 8, 3, 0)
    assert night.open_until(start) - start == timedelta(hours=7)


def test_new_york_fall_back_2026_11_01() -> None:
    night = CallingWindows([parse_window("sat 22:00-06:00")], NY)
    start = night.next_open(utc(2026, 10, 31, 12, 0))
    assert night.open_until(start) - start == timedelta(hours=9)  # 01:00-02:00 twice
    day = CallingWindows([parse_window("09:00-17:00")], NY)
    assert day.is_open(utc(2026, 10, 31, 13, 30))  # 09:30 EDT
    assert not day.is_open(utc(2026, 11, 1, 13, 30))  # 08:30 EST: an hour before opening


def test_berlin_dst_changes_2026() -> None:
    windows = CallingWindows([parse_window("08:00-20:00")], BERLIN)
    # 08:00 Berlin: 07:00 UTC in winter, 06:00 UTC in summer (change on 29 March)
    assert not windows.is_open(utc(2026, 3, 28, 6, 30))
    assert windows.is_open(utc(2026, 3, 29, 6, 30))
    assert windows.is_open(utc(2026, 10, 24, 6, 30))  # still summer time
    assert not windows.is_open(utc(2026, 10, 25, 6, 30))  # back to winter time
    assert windows.open_until(utc(2026, 10, 25, 12, 0)) == utc(2026, 10, 25, 19, 0)


def test_a_window_that_never_opens_is_refused() -> None:
    with pytest.raises(InputError, match="never opens"):
        parse_window("10:00-10:00")
    with pytest.raises(ValueError, match="at least one day"):
        Window(days=(), start=time(9), end=time(10))
    with pytest.raises(InputError, match="days"):
        parse_window("someday 09:00-10:00")
    assert CallingWindows([], SHANGHAI).next_open(utc(2026, 1, 1)) is None
