"""``ivr bench report``: how fast the report view serves a neighbourhood of a given size.

Builds a scratch database with the households helper's generator (plus calls with turns on a
sample of households, so household pages have something to show), serves the real app with
uvicorn on a free local port, signs in as a street administrator (who sees every room), and
fetches the map and household pages over HTTP like a browser (gzip). Import speed is measured
with the helper's ``import_rows_per_s`` on a second scratch database.
"""

from __future__ import annotations

import contextlib
import random
import re
import secrets
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from ivr.config import Settings, load_settings
from ivr.db import Database
from ivr.db.models import Attempt, AttemptState, Role, Turn, utcnow
from ivr.errors import IvrError
from ivr.households.bench import import_rows_per_s
from ivr.households.generate import generate_neighbourhood
from ivr.households.staff import create_staff_user
from ivr.web.app import create_app

HOUSEHOLDS_PER_BUILDING = 22  # 2,046 households in 93 buildings, as the demo neighbourhood
HOUSEHOLDS_PER_COMMITTEE = 2000  # 50,000 households: 25 committees
SAMPLED_HOUSEHOLDS = 50  # household pages fetched, each with calls and turns
CALLS_PER_SAMPLE = 3
TURNS_PER_CALL = 4
SERVER_START_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class ReportFigures:
    households: int
    map_ms_p50: float
    map_ms_p95: float
    household_page_ms_p95: float
    import_rows_per_s: float
    map_bytes: int  # as sent (gzip)
    map_draws_rooms: bool  # False: the street overview (a bar per building)
    committee_map_ms_p50: float | None  # one committee's rooms, when the map is the overview
    all_rooms_map_ms_p50: float | None  # every room of the street (?all=1), likewise

    def as_json(self) -> dict[str, Any]:
        return {
            "households": self.households,
            "map_ms_p50": self.map_ms_p50,
            "map_ms_p95": self.map_ms_p95,
            "household_page_ms_p95": self.household_page_ms_p95,
            "import_rows_per_s": self.import_rows_per_s,
        }


def run_report_bench(
    households: int,
    *,
    map_fetches: int = 20,
    database_url: str | None = None,
    import_rows: int | None = None,
) -> ReportFigures:
    with tempfile.TemporaryDirectory(prefix="ivr-bench-report-") as tmp:
        folder = Path(tmp)
        settings = load_settings(
            data_dir=folder / "data",
            database_url=database_url or f"sqlite:///{folder / 'report.db'}",
            report_login_failure_delay_s=0.0,
        )
        db = Database(settings.database)
        try:
            password = secrets.token_urlsafe(16)
            sample = build_bench_database(db, households, password)
            with serving(settings, db) as base_url:
                timings = _measure(base_url, password, sample, map_fetches)
        finally:
            db.dispose()
        scratch = Database(f"sqlite:///{folder / 'import.db'}")
        try:
            rows_per_s = import_rows_per_s(scratch, import_rows or households)
        finally:
            scratch.dispose()
    return ReportFigures(
        households=households,
        map_ms_p50=round(statistics.median(timings.map_ms), 1),
        map_ms_p95=round(_p95(timings.map_ms), 1),
        household_page_ms_p95=round(_p95(timings.page_ms), 1),
        import_rows_per_s=round(rows_per_s, 1),
        map_bytes=timings.map_bytes,
        map_draws_rooms=timings.draws_rooms,
        committee_map_ms_p50=_median(timings.committee_ms),
        all_rooms_map_ms_p50=_median(timings.all_rooms_ms),
    )


def build_bench_database(db: Database, households: int, password: str) -> list[int]:
    """The generated neighbourhood, an admin ``bench``, and calls on a sample of households;
    returns the sampled household ids."""
    with db.session() as session:
        hood = generate_neighbourhood(
            session,
            households=households,
            buildings=max(1, round(households / HOUSEHOLDS_PER_BUILDING)),
            committees=max(1, round(households / HOUSEHOLDS_PER_COMMITTEE)),
            seed=1,
        )
        create_staff_user(session, "bench", password, role=Role.ADMIN)
        rng = random.Random(1)
        sample = rng.sample([h.id for h in hood.households], min(SAMPLED_HOUSEHOLDS, households))
        started = utcnow() - timedelta(days=1)
        for household_id in sample:
            for call in range(CALLS_PER_SAMPLE):
                at = started + timedelta(hours=call)
                attempt = Attempt(
                    household_id=household_id,
                    number="+8619900000000",
                    state=AttemptState.COMPLETED,
                    queued_at=at,
                    answered_at=at,
                    ended_at=at,
                    duration_s=30.0,
                    turns=[
                        Turn(
                            seq=seq,
                            step=f"step{seq}",
                            prompt_text="What is your temperature?",
                            heard_text="thirty six point six",
                            expect="temperature",
                            value=36.6,
                            confidence=0.9,
                            started_at=at,
                        )
                        for seq in range(1, TURNS_PER_CALL + 1)
                    ],
                )
                session.add(attempt)
    return sample


@contextlib.contextmanager
def serving(settings: Settings, db: Database) -> Iterator[str]:
    """The real app under uvicorn on a free port of 127.0.0.1, in a thread; yields its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, db), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="bench-report-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise IvrError("the report server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(SERVER_START_TIMEOUT_S)


@dataclass
class _Timings:
    map_ms: list[float]
    map_bytes: int
    draws_rooms: bool
    page_ms: list[float]
    committee_ms: list[float]
    all_rooms_ms: list[float]


def _measure(base_url: str, password: str, sample: list[int], map_fetches: int) -> _Timings:
    client = httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S, follow_redirects=True)
    with client:
        login = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        if token is None:
            raise IvrError("no CSRF token on the login page")
        signed_in = client.post(
            "/login", data={"username": "bench", "password": password, "csrf_token": token[1]}
        )
        if signed_in.url.path != "/map":
            raise IvrError(f"bench sign-in failed ({signed_in.status_code})")
        first = client.get("/map")  # warm-up: template compilation, caches
        client.get(f"/households/{sample[0]}")
        timings = _Timings([], 0, 'class="fl"' in first.text, [], [], [])
        for _ in range(map_fetches):
            ms, response = _timed(client, "/map")
            timings.map_ms.append(ms)
            timings.map_bytes = int(response.headers.get("content-length") or len(response.content))
        timings.page_ms = [_timed(client, f"/households/{hid}")[0] for hid in sample]
        committee = re.search(r'href="/map\?committee=(\d+)"', first.text)
        if not timings.draws_rooms and committee:
            fewer = max(3, map_fetches // 4)  # the street's every room is slow by design
            timings.committee_ms = [
                _timed(client, f"/map?committee={committee[1]}")[0] for _ in range(map_fetches)
            ]
            timings.all_rooms_ms = [_timed(client, "/map?all=1")[0] for _ in range(fewer)]
    return timings


def _timed(client: httpx.Client, path: str) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.get(path)
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise IvrError(f"GET {path}: HTTP {response.status_code}")
    return elapsed, response


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
