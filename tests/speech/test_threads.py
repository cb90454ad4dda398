"""Numerical libraries start no spinning helper threads of their own (see ivr/__init__.py).

Run in fresh interpreters: the limit must be in place before numpy and CTranslate2 load,
whichever of our packages is imported first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, os, sys
import {first}
import numpy as np
a = np.ones((600, 600), dtype=np.float64)
a @ a  # large enough for OpenBLAS to use its threads, if it has any
print(json.dumps({{
    "threads": len(os.listdir("/proc/self/task")),
    "omp": os.environ.get("OMP_NUM_THREADS"),
    "openblas": os.environ.get("OPENBLAS_NUM_THREADS"),
}}))
"""


def _probe(first: str, **env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(first=first)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("first", ["ivr", "asr"])
def test_numpy_runs_on_the_calling_thread_only(first: str) -> None:
    probe = _probe(first)
    assert probe["omp"] == "1" and probe["openblas"] == "1"
    assert probe["threads"] == 1, f"{probe['threads']} threads after a matrix product"


def test_a_users_own_thread_setting_wins() -> None:
    probe = _probe("ivr", OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")
    assert probe["omp"] == "2" and probe["openblas"] == "2"
    assert probe["threads"] == 2  # OpenBLAS's helper thread, as asked for
