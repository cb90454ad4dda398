"""`ivr call NUMBER --say TEXT --record FILE --json`: the contract other tools rely on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.audio import duration_s, read_wav, rms_dbfs
from ivr.config import Settings
from ivr.daemon import settings_env
from ivr.pbx import EmbeddedPbx

pytestmark = [pytest.mark.pbx]


def run_ivr(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    env.update(settings_env(settings))
    env["IVR_AUDIOSOCKET_PORT"] = "0"
    return subprocess.run([sys.executable, "-m", "ivr", *args], env=env, capture_output=True,
                          text=True, timeout=180)  # fmt: skip


def test_call_json_contract(pbx: EmbeddedPbx, pbx_settings: Settings, tmp_path: Path) -> None:
    set_persona = run_ivr(pbx_settings, "residents", "set", "6201",
                          '{"reply": "Good morning, I can hear you."}')  # fmt: skip
    assert set_persona.returncode == 0, set_persona.stderr
    recording = tmp_path / "reply.wav"
    done = run_ivr(pbx_settings, "call", "6201", "--say", "Hello, this is your committee.",
                   "--record", str(recording), "--listen", "4", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert {"number", "outcome", "hangup_cause", "duration_s", "recording"} <= set(result)
    assert result["number"] == "6201" and result["outcome"] == "completed"
    assert result["hangup_cause"] == 16 and result["duration_s"] > 2
    assert result["recording"] == str(recording)
    heard = read_wav(recording)
    assert duration_s(heard) > 2 and rms_dbfs(heard) > -50  # the reply is in it, not silence


def test_call_refuses_bad_input(pbx: EmbeddedPbx, pbx_settings: Settings) -> None:
    both = run_ivr(pbx_settings, "call", "6201", "--say", "x", "--play", "y.wav")
    assert both.returncode != 0 and "exactly one of --say" in both.stderr
    bad = run_ivr(pbx_settings, "call", "62\n01", "--say", "x", "--json")
    assert bad.returncode != 0 and "6201" not in bad.stdout
    assert "error" in bad.stderr.lower()


def test_busy_number_reports_its_cause(pbx: EmbeddedPbx, pbx_settings: Settings) -> None:
    run_ivr(pbx_settings, "residents", "set", "6202", '{"kind": "busy"}')
    done = run_ivr(pbx_settings, "call", "6202", "--say", "Hello.", "--json")
    result = json.loads(done.stdout.splitlines()[-1])
    assert (result["outcome"], result["hangup_cause"], result["duration_s"]) == ("busy", 17, None)
