"""Background ivr processes (the resident simulator beside the embedded Asterisk).

A daemon is ``python -m ivr <args>`` in its own session, with a pid file and a log file in the
data folder. The child gets the parent's exact settings through ``IVR_*`` variables, so an
instance configured in code (tests, the demo) and its daemon agree on ports and folders.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pydantic import SecretStr

from ivr.config import Settings
from ivr.errors import IvrError


def settings_env(settings: Settings) -> dict[str, str]:
    """Every setting as an IVR_* variable, so a child process loads the same settings."""
    env: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, list | tuple | dict):
            text = json.dumps(value)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        env[f"IVR_{name.upper()}"] = text
    return env


class Daemon:
    def __init__(self, settings: Settings, name: str, args: list[str]) -> None:
        self.settings = settings
        self.name = name
        self.args = args
        folder = settings.data_dir / "run"
        self.pid_file = folder / f"{name}-{settings.pbx_instance}.pid"
        self.log_file = settings.data_dir / "log" / f"{name}-{settings.pbx_instance}.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if process_running(pid) else None

    def start(self, ready_check: float = 0.3) -> int:
        running = self.pid()
        if running is not None:
            return running
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
        env.update(settings_env(self.settings))
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "ivr", *self.args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
                start_new_session=True,
                cwd=str(self.settings.data_dir),
            )
        self.pid_file.write_text(str(process.pid))
        time.sleep(ready_check)
        if process.poll() is not None:
            raise IvrError(
                f"{self.name} exited at start (code {process.returncode}); see {self.log_file}:\n"
                + _tail(self.log_file)
            )
        return process.pid

    def stop(self, timeout: float = 10.0) -> bool:
        pid = self.pid()
        self.pid_file.unlink(missing_ok=True)
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process_running(pid):
            time.sleep(0.05)
        if process_running(pid):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        return True


def process_running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a killed daemon waits to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""
