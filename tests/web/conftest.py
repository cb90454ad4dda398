"""The report view under test: a real `ivr report serve` process on a free port over a small
generated neighbourhood, and a real headless Chromium (Debian's) to look at it.

Every wait has a timeout, so a hung server or browser fails the test instead of hanging CI.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from ivr.db import Database
from tests.web.world import PASSWORD, World, build_world

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SERVER_START_TIMEOUT_S = 30.0
PAGE_TIMEOUT_MS = 10_000


@dataclass
class ReportServer:
    url: str
    db: Database
    world: World
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"report server exited early:\n{log.read_text()}")
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"report server not listening after {SERVER_START_TIMEOUT_S} s")


@pytest.fixture(scope="session")
def report_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportServer]:
    folder = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{folder / 'ivr.db'}"
    db = Database(url)
    world = build_world(db, folder / "recordings")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    env.update(
        IVR_DATA_DIR=str(folder / "data"),
        IVR_DATABASE_URL=url,
        IVR_REPORT_LOGIN_FAILURE_DELAY_S="0.05",
    )
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ivr", "report", "serve", "--port", str(port)],
            cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log)
        yield ReportServer(f"http://127.0.0.1:{port}", db, world, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        db.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # launch() gives every run a fresh temporary profile (user-data dir) of its own
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=30_000
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser context per test: no cookie carries over from another test."""
    ctx = browser.new_context()
    ctx.set_default_timeout(PAGE_TIMEOUT_MS)
    ctx.set_default_navigation_timeout(PAGE_TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_in(page: Page, server: ReportServer, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
