"""`ivr demo`, the README's main job, end to end on a small neighbourhood (60 households, 2 of
them orange, so the check-in has someone to call): the embedded Asterisk, generated households
with simulated residents, both campaigns run to completion."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ivr.config import Settings
from ivr.daemon import settings_env
from ivr.db import Database
from ivr.db.models import Attempt, AttemptState, Household
from ivr.pbx import EmbeddedPbx

pytestmark = [pytest.mark.pbx, pytest.mark.slow]


def test_demo_runs_both_campaigns_to_completion(pbx: EmbeddedPbx, pbx_settings: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    env.update(settings_env(pbx_settings))
    env["IVR_AUDIOSOCKET_PORT"] = "0"  # the demo's data goes to the session's data_dir/demo
    done = subprocess.run(
        [sys.executable, "-m", "ivr", "demo", "--households", "60", "--buildings", "4",
         "--channels", "60", "--no-serve", "--json"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout[done.stdout.index("{") :])
    campaigns = {c["name"]: c for c in summary["campaigns"]}
    assert len(campaigns) == 2, campaigns
    assert {c["state"] for c in campaigns.values()} == {"completed"}
    assert summary["report_login"]["url"].startswith("http://127.0.0.1:")
    db = Database(f"sqlite:///{pbx_settings.data_dir / 'demo' / 'ivr.db'}")
    try:
        with db.session() as session:
            attempts = session.query(Attempt).all()
            called = {a.household_id for a in attempts}
            households = session.query(Household).all()
    finally:
        db.dispose()
    assert summary["calls"] == len(attempts) > 0
    # every household that is not vacant was called; no call failed for the robot's reasons
    assert called == {h.id for h in households if h.status.value != "grey"}
    assert not [a for a in attempts if a.state in (AttemptState.FAILED, AttemptState.CONGESTION)]
    assert sum(campaigns[n]["total"] for n in campaigns) >= len(called)
