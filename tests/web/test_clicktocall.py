"""Click-to-call for real: a staff member clicks "Call from my phone" in Chromium; their desk
phone (SIPp, a real SIP client from Debian, registered to the embedded Asterisk as staff1)
rings and answers; Asterisk then dials the household, a simulated resident answers, the two are
bridged, and the call is logged and recorded on the household."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from playwright.sync_api import Browser
from sqlalchemy import select

from ivr.audio import read_wav, to_float
from ivr.config import Settings
from ivr.daemon import settings_env
from ivr.db import Database
from ivr.db.models import Attempt, AttemptState, Recording, Role
from ivr.households.generate import generate_neighbourhood
from ivr.households.staff import create_staff_user
from ivr.pbx import EmbeddedPbx
from ivr.phone import national_form
from ivr.residents.persona import ASTDB_FAMILY, Persona
from tests.pbx_fixture import free_port
from tests.sip_phone import register_and_answer
from tests.web.conftest import PAGE_TIMEOUT_MS, ReportServer, _wait_for_port, sign_in

pytestmark = [pytest.mark.pbx]
PASSWORD = "desk phone 42"
REPLY = "Hello, this is the Wang family."


@pytest.fixture(scope="module")
def desk_phone(  # type: ignore[no-untyped-def]
    pbx: EmbeddedPbx, pbx_settings: Settings, tmp_path_factory
) -> Iterator[subprocess.Popen[bytes]]:
    """SIPp registered as staff1, then waiting to answer one call (RTP echoed back)."""
    folder = tmp_path_factory.mktemp("sipp")
    phone = register_and_answer(folder, pbx_settings.pbx_sip_port, "staff1", pbx.staff_password())
    yield phone
    if phone.poll() is None:
        phone.kill()
    phone.wait(timeout=10)


@pytest.fixture(scope="module")
def telephony_server(pbx_settings: Settings, tmp_path_factory) -> Iterator[ReportServer]:  # type: ignore[no-untyped-def]
    """The report view wired to the test Asterisk, over one household and one staff member."""
    folder = tmp_path_factory.mktemp("report-telephony")
    url = f"sqlite:///{folder / 'ivr.db'}"
    db = Database(url)
    with db.session() as session:
        world = generate_neighbourhood(session, households=2, buildings=1, seed=11)
        create_staff_user(session, "desk", PASSWORD, role=Role.ADMIN, committee_id=None,
                          sip_endpoint="staff1", min_length=8)  # fmt: skip
    household = world.households[0]
    persona = Persona(reply=REPLY, hangup_after_s=7.0, voice="espeak:en-us")

    async def give_persona() -> None:
        from ivr.ami import AmiClient

        async with AmiClient.from_settings(pbx_settings) as ami:
            await ami.db_put(ASTDB_FAMILY, national_form(household.phones[0]), persona.encode())

    # Playwright's sync API keeps an event loop running in this thread: use another one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, give_persona()).result(timeout=30)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    env.update(settings_env(pbx_settings))
    env.update(IVR_DATABASE_URL=url, IVR_REPORT_PORT=str(port))
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ivr", "report", "serve"],
            cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_for_port(port, process, log)
        yield ReportServer(f"http://127.0.0.1:{port}", db, world, log)  # type: ignore[arg-type]
    finally:
        process.terminate()
        process.wait(timeout=10)
        db.dispose()


def test_click_to_call_rings_the_desk_phone_then_the_household(
    browser: Browser,
    telephony_server: ReportServer,
    desk_phone: subprocess.Popen[bytes],
    pbx_settings: Settings,
) -> None:
    household = telephony_server.world.households[0]  # type: ignore[attr-defined]
    context = browser.new_context()
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, telephony_server, "desk", PASSWORD)
    page.goto(f"{telephony_server.url}/households/{household.id}")
    page.click("text=Call from my phone")
    page.wait_for_load_state()
    assert "pick up your phone" in page.content()

    db = telephony_server.db
    deadline = time.monotonic() + 60
    attempt = None
    while time.monotonic() < deadline:
        with db.session() as session:
            attempt = session.scalars(select(Attempt).where(Attempt.kind == "staff")).first()
            if attempt is not None and attempt.state.final:
                break
        time.sleep(0.5)
    assert attempt is not None and attempt.state is AttemptState.COMPLETED, (
        attempt and (attempt.state, attempt.reason),
        telephony_server.log.read_text()[-3000:],
    )
    assert attempt.household_id == household.id and attempt.answered_at is not None
    assert attempt.duration_s and attempt.duration_s > 3
    assert desk_phone.wait(timeout=20) == 0  # the desk phone saw the whole call, BYE included

    # the household's voice went through the desk phone (echoed) and into the recording
    for _ in range(40):
        with db.session() as session:
            recording = session.scalars(
                select(Recording).where(Recording.attempt_id == attempt.id)
            ).first()
        if recording is not None:
            break
        time.sleep(0.25)
    assert recording is not None
    from ivr.speech import PromptCache, shared_synthesizer

    voice = PromptCache(pbx_settings.cache_dir / "resident-voices",
                        shared_synthesizer("espeak:en-us"))  # fmt: skip
    heard = to_float(read_wav(recording.path))
    assert _best_correlation(heard, to_float(voice.get("Hello?"))) > 0.6

    # and the call is on the household's page
    page.goto(f"{telephony_server.url}/households/{household.id}")
    assert page.locator(f"#call-{attempt.id}").count() == 1
    context.close()


def _best_correlation(haystack: np.ndarray, needle: np.ndarray) -> float:
    from tests.telephony.test_media_both_ways import best_correlation

    return best_correlation(haystack, needle)
