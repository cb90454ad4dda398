"""What a campaign is: the validated specification kept in ``Campaign.spec`` (JSON).

A campaign calls the households of a *target* with a *script*, inside *calling windows*
(local times in one time zone, on chosen days), with at most ``max_channels`` calls at once and
``max_cps`` new calls a second, retrying each unsuccessful outcome by its own rule. A
*schedule* makes it recurring: one occurrence per household per scheduled time (daily
check-ins).

Windows: ``start``–``end`` in local time; an ``end`` at or before ``start`` runs past midnight
into the next day (``22:00–02:00``), and ``00:00–00:00`` is the whole day. The day named is the
day a window opens on. Any other window with ``start == end`` never opens and is refused.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ivr.db.models import AttemptState, Colour
from ivr.errors import InputError

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MIDNIGHT = time(0, 0)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_BUILDING_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_duration(text: str | int | float) -> int:
    """``"90"``, ``"90s"``, ``"10m"``, ``"2h"``, ``"1d"`` → seconds."""
    if isinstance(text, int | float):
        return int(text)
    found = _DURATION.match(str(text))
    if not found:
        raise InputError(f"{text!r} is not a duration: use e.g. 90s, 10m, 2h or 1d")
    return int(float(found.group(1)) * _UNIT_S[found.group(2) or "s"])


class Window(_Strict):
    """One calling window: local ``start``–``end`` on ``days`` (the day it opens)."""

    days: tuple[Weekday, ...] = WEEKDAYS
    start: time
    end: time

    @field_validator("days")
    @classmethod
    def _some_days(cls, days: tuple[str, ...]) -> tuple[str, ...]:
        if not days:
            raise ValueError("a window needs at least one day (mon … sun)")
        return tuple(sorted(set(days), key=WEEKDAYS.index))

    @model_validator(mode="after")
    def _opens(self) -> Window:
        if self.start == self.end and self.start != MIDNIGHT:
            raise ValueError(
                f"window {self.start:%H:%M}-{self.end:%H:%M} never opens "
                "(start equals end; use 00:00-24:00 for the whole day)"
            )
        return self

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def describe(self) -> str:
        days = "every day" if len(self.days) == 7 else ",".join(self.days)
        end = "24:00" if self.end == MIDNIGHT else f"{self.end:%H:%M}"
        return f"{days} {self.start:%H:%M}-{end}"


_DAY_WORDS = {
    "daily": WEEKDAYS,
    "everyday": WEEKDAYS,
    "weekdays": WEEKDAYS[:5],
    "weekends": WEEKDAYS[5:],
}
_WINDOW_TIMES = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def parse_days(text: str) -> tuple[str, ...]:
    """``mon-fri``, ``sat,sun``, ``mon,wed-fri``, ``daily``, ``weekdays``, ``weekends``."""
    days: list[str] = []
    for part in text.lower().replace(" ", "").split(","):
        if part in _DAY_WORDS:
            days += _DAY_WORDS[part]
            continue
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise InputError(f"days {text!r}: use mon … sun, ranges like mon-fri, or daily")
        a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        span = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
        days += [WEEKDAYS[i] for i in span]
    return tuple(sorted(set(days), key=WEEKDAYS.index))


def parse_window(text: str) -> Window:
    """``"mon-fri 09:00-12:00"``, ``"22:00-02:00"`` (every day, past midnight), ``"always"``."""
    words = text.strip().rsplit(" ", 1)
    if text.strip().lower() == "always":
        return Window(start=MIDNIGHT, end=MIDNIGHT)
    days = parse_days(words[0]) if len(words) == 2 else WEEKDAYS
    found = _WINDOW_TIMES.match(words[-1])
    if not found:
        raise InputError(f"window {text!r}: use [DAYS] HH:MM-HH:MM, e.g. 'mon-fri 09:00-12:00'")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    if h2 == 24 and m2 == 0:
        h2 = 0  # 24:00 is the next midnight
    try:
        return Window(days=days, start=time(h1, m1), end=time(h2, m2))  # type: ignore[arg-type]
    except ValueError as exc:
        message = describe_errors(exc) if isinstance(exc, ValidationError) else str(exc)
        raise InputError(f"window {text!r}: {message}") from None


class RetryRule(_Strict):
    """After an attempt ends so: wait ``delay_s``, and give up after ``max_attempts`` such."""

    delay_s: int = Field(ge=0, le=30 * 86400)
    max_attempts: int = Field(ge=1, le=50)

    @classmethod
    def parse(cls, text: str) -> RetryRule:
        """``"10m/3"``: retry after 10 minutes, at most 3 attempts ending this way."""
        delay, sep, count = text.partition("/")
        if not sep or not count.strip().isdigit():
            raise InputError(f"retry rule {text!r}: use DELAY/MAX, e.g. 10m/3")
        return cls(delay_s=parse_duration(delay), max_attempts=int(count))


# outcomes the retry policy names, and the attempt states each covers
RETRY_OUTCOMES = ("busy", "no_answer", "failed", "machine", "hung_up_early")


class RetryPolicy(_Strict):
    busy: RetryRule = RetryRule(delay_s=600, max_attempts=3)
    no_answer: RetryRule = RetryRule(delay_s=1800, max_attempts=3)
    failed: RetryRule = RetryRule(delay_s=900, max_attempts=2)  # congestion counts as failed
    machine: RetryRule = RetryRule(delay_s=3600, max_attempts=2)
    hung_up_early: RetryRule = RetryRule(delay_s=600, max_attempts=2)
    max_total_attempts: int = Field(8, ge=1, le=100)  # every outcome together

    def rule(self, outcome: str) -> RetryRule:
        return getattr(self, outcome)  # type: ignore[no-any-return]


def retry_outcome(state: AttemptState) -> str:
    """Which retry rule an unsuccessful attempt state falls under."""
    if state is AttemptState.CONGESTION:
        return "failed"
    if state.value in RETRY_OUTCOMES:
        return state.value
    return "failed"


class Target(_Strict):
    """Who is called: households matching every given filter (an empty filter matches all).
    Vacant (grey) households are never called."""

    committees: tuple[str, ...] = ()  # committee names
    buildings: tuple[str, ...] = ()  # "12", "12号楼", or a range of building numbers "1-40"
    statuses: tuple[Colour, ...] = ()
    tags: tuple[str, ...] = ()
    households: tuple[int, ...] = ()  # explicit household ids

    @field_validator("buildings")
    @classmethod
    def _ranges(cls, buildings: tuple[str, ...]) -> tuple[str, ...]:
        for entry in buildings:
            found = _BUILDING_RANGE.match(entry)
            if found and int(found.group(1)) > int(found.group(2)):
                raise ValueError(f"building range {entry!r} runs backwards")
            if not entry.strip():
                raise ValueError("an empty building name")
        return buildings

    @staticmethod
    def building_range(entry: str) -> tuple[int, int] | None:
        found = _BUILDING_RANGE.match(entry)
        return (int(found.group(1)), int(found.group(2))) if found else None

    def describe(self) -> str:
        parts = []
        if self.committees:
            parts.append("committee " + ", ".join(self.committees))
        if self.buildings:
            parts.append("buildings " + ", ".join(self.buildings))
        if self.statuses:
            parts.append("status " + ", ".join(c.value for c in self.statuses))
        if self.tags:
            parts.append("tag " + ", ".join(self.tags))
        if self.households:
            parts.append(f"{len(self.households)} listed households")
        return "; ".join(parts) or "every household"


class Schedule(_Strict):
    """A recurring campaign: each household is called at every ``times`` (local), every day
    for ``days`` days from its start date (``start: household`` = its quarantine start, or the
    campaign's first day when it has none; or a fixed date). An occurrence not reached before
    the next one is due (or by the end of its day, for the last) is missed."""

    times: tuple[time, ...]
    days: int = Field(14, ge=1, le=366)
    start: Literal["household"] | date = "household"

    @field_validator("times")
    @classmethod
    def _times(cls, times: tuple[time, ...]) -> tuple[time, ...]:
        if not times:
            raise ValueError("a schedule needs at least one time of day")
        if len(set(times)) != len(times):
            raise ValueError("a schedule lists a time twice")
        return tuple(sorted(times))


class CampaignSpec(_Strict):
    script: str  # the script file as given; its checked text is stored on the campaign
    target: Target = Target()
    timezone: str = ""  # empty: the campaign_timezone setting
    windows: tuple[Window, ...] = (Window(start=time(9, 0), end=time(20, 0)),)
    max_channels: int = Field(10, ge=1, le=1000)
    max_cps: float = Field(2.0, gt=0, le=200)
    priority: int = Field(0, ge=-100, le=100)
    dial_template: str = ""  # empty: the dial_template setting
    retry: RetryPolicy = RetryPolicy()
    schedule: Schedule | None = None
    variables: dict[Annotated[str, Field(pattern=r"[a-z][a-z0-9_]{0,59}")], str] = {}
    ring_timeout_s: float = Field(30.0, ge=3.0, le=180.0)
    record: bool = False
    amd: bool | None = None  # None: as the script says

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)"
                ) from None
        return value

    @field_validator("windows")
    @classmethod
    def _some_windows(cls, windows: tuple[Window, ...]) -> tuple[Window, ...]:
        if not windows:
            raise ValueError("a campaign needs at least one calling window")
        return windows

    @field_validator("dial_template")
    @classmethod
    def _template(cls, value: str) -> str:
        if value:
            from ivr.phone import dial_string

            if "{number}" not in value:
                raise ValueError("the dial template must contain {number}")
            try:
                dial_string(value, "1000")
            except InputError as exc:
                raise ValueError(str(exc)) from None
        return value

    @property
    def recurring(self) -> bool:
        return self.schedule is not None

    def zone(self, default: str) -> ZoneInfo:
        return ZoneInfo(self.timezone or default)


def parse_spec(data: dict[str, Any], where: str = "campaign") -> CampaignSpec:
    """A spec from JSON-like data; InputError naming every bad field."""
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{where}: " + describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)
