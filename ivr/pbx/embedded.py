"""The embedded Asterisk: provision, configure, start, watch and stop a real Asterisk 22.

``ivr pbx up`` renders ``dialplans/*.j2`` into the instance's ``etc/asterisk`` on every start,
so the running configuration always matches the settings; a second ``up`` while it runs is a
no-op; an Asterisk that died without ``down`` is reported as crashed.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ivr.config import Settings
from ivr.daemon import Daemon, process_running
from ivr.errors import PbxError
from ivr.pbx import sandbox

log = logging.getLogger(__name__)

DIALPLANS_DIR = Path(__file__).resolve().parents[2] / "dialplans"

# Loaded explicitly (autoload = no): what the dialplan, AMI, AudioSocket, PJSIP phones and a
# carrier trunk need, and nothing else.
MODULES = (
    "res_timing_timerfd.so",
    "res_sorcery_config.so",
    "res_sorcery_memory.so",
    "res_sorcery_memory_cache.so",
    "res_sorcery_astdb.so",
    "pbx_config.so",
    "app_dial.so",
    "app_playback.so",
    "app_echo.so",
    "app_senddtmf.so",
    "app_userevent.so",
    "app_mixmonitor.so",
    "app_audiosocket.so",
    "res_audiosocket.so",
    "chan_audiosocket.so",
    "app_stack.so",
    "app_verbose.so",
    "app_db.so",
    "func_db.so",
    "func_strings.so",
    "func_cut.so",
    "func_logic.so",
    "func_channel.so",
    "func_callerid.so",
    "func_hangupcause.so",
    "func_devstate.so",
    "format_wav.so",
    "format_pcm.so",
    "format_sln.so",
    "format_gsm.so",
    "format_wav_gsm.so",
    "codec_ulaw.so",
    "codec_alaw.so",
    "codec_gsm.so",
    "codec_a_mu.so",
    "codec_resample.so",
    "bridge_simple.so",
    "bridge_native_rtp.so",
    "bridge_builtin_features.so",
    "res_rtp_asterisk.so",
    "res_pjproject.so",
    "res_pjsip.so",
    "res_pjsip_session.so",
    "res_pjsip_pubsub.so",
    "chan_pjsip.so",
    "res_pjsip_sdp_rtp.so",
    "res_pjsip_authenticator_digest.so",
    "res_pjsip_outbound_authenticator_digest.so",
    "res_pjsip_endpoint_identifier_user.so",
    "res_pjsip_endpoint_identifier_ip.so",
    "res_pjsip_registrar.so",
    "res_pjsip_outbound_registration.so",
    "res_pjsip_caller_id.so",
    "res_pjsip_dtmf_info.so",
    "res_pjsip_rfc3326.so",
    "res_pjsip_nat.so",
    "res_pjsip_acl.so",
    "res_pjsip_header_funcs.so",
    "res_pjsip_logger.so",
    "func_pjsip_endpoint.so",
)

# AMI events ivr acts on; the rest are filtered out in manager.conf.
AMI_EVENTS = (
    "FullyBooted",
    "Shutdown",
    "OriginateResponse",
    "Newchannel",
    "Newstate",
    "DialBegin",
    "DialEnd",
    "Hangup",
    "UserEvent",
    "DTMFEnd",
    "BridgeEnter",
)


@dataclass(frozen=True)
class PbxStatus:
    state: str  # running | stopped | crashed | booting
    pid: int | None
    instance: str
    ami: str  # host:port
    sip_port: int
    detail: str = ""
    simulator_pid: int | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class EmbeddedPbx:
    """One instance of the embedded Asterisk, named by ``settings.pbx_instance``."""

    def __init__(self, settings: Settings) -> None:
        if settings.pbx_mode != "embedded":
            raise PbxError(
                "pbx_mode is 'external': ivr does not start or stop your Asterisk "
                "(see docs/asterisk.md for the lines to add to it)"
            )
        self.settings = settings
        self.tree = settings.pbx_tree_dir
        self.instance = settings.pbx_instance
        self.inside = f"/ivr/{self.instance}"  # the instance folder as Asterisk sees it

    # -- paths -----------------------------------------------------------------------------

    @property
    def instance_dir(self) -> Path:
        return self.tree / self.inside.lstrip("/")

    @property
    def conf_inside(self) -> str:
        return f"{self.inside}/etc/asterisk/asterisk.conf"

    @property
    def pid_file(self) -> Path:
        return self.instance_dir / "run" / "asterisk.pid"

    @property
    def log_file(self) -> Path:
        return self.instance_dir / "log" / "messages.log"

    @property
    def recordings_inside(self) -> str:
        return f"{self.inside}/monitor"

    def host_path(self, inside_path: str) -> Path:
        """A path as Asterisk sees it (inside the tree) → the same file seen from the host."""
        return self.tree / inside_path.lstrip("/")

    # -- secrets ---------------------------------------------------------------------------

    @property
    def secrets_file(self) -> Path:
        return self.settings.data_dir / "pbx" / self.instance / "secrets.json"

    def secrets(self) -> dict[str, str]:
        """Generated once per instance and kept beside it (mode 0600)."""
        path = self.secrets_file
        if path.is_file():
            return json.loads(path.read_text())
        path.parent.mkdir(parents=True, exist_ok=True)
        values = {
            "ami_secret": secrets.token_urlsafe(24),
            "staff_password": secrets.token_urlsafe(12),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(values, handle)
        return values

    def ami_secret(self) -> str:
        if self.settings.ami_secret is not None:
            return self.settings.ami_secret.get_secret_value()
        return self.secrets()["ami_secret"]

    def staff_password(self) -> str:
        if self.settings.pbx_staff_password is not None:
            return self.settings.pbx_staff_password.get_secret_value()
        return self.secrets()["staff_password"]

    # -- configuration ---------------------------------------------------------------------

    def render(self) -> list[Path]:
        """Render every template of dialplans/ into the instance's etc/asterisk."""
        s = self.settings
        env = Environment(
            loader=FileSystemLoader(str(DIALPLANS_DIR)),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,  # noqa: S701 - Asterisk configuration, not HTML; values checked below
        )
        context = {
            "inst": self.inside,
            "instance": self.instance,
            "max_calls": 500,
            "modules": MODULES,
            "ami_port": s.ami_port,
            "ami_bind": "127.0.0.1",
            "ami_username": _conf_token("ami_username", s.ami_username),
            "ami_secret": _conf_token("ami_secret", self.ami_secret()),
            "events": AMI_EVENTS,
            "rtp_start": s.pbx_rtp_start,
            "rtp_end": s.pbx_rtp_end,
            "sip_bind": s.pbx_sip_bind,
            "sip_port": s.pbx_sip_port,
            "staff_phones": [_conf_token("pbx_staff_phones", p) for p in s.pbx_staff_phones],
            "staff_password": _conf_token("pbx_staff_password", self.staff_password()),
            "trunk_host": _conf_token("pbx_trunk_host", s.pbx_trunk_host, allow_empty=True),
            "trunk_username": _conf_token("pbx_trunk_username", s.pbx_trunk_username, True),
            "trunk_password": _conf_token(
                "pbx_trunk_password",
                s.pbx_trunk_password.get_secret_value() if s.pbx_trunk_password else "",
                True,
            ),
            "trunk": bool(s.pbx_trunk_host),
            "simulation": s.simulation_enabled,
            "simulation_media": f"127.0.0.1:{s.simulation_port}",
            "simulation_default": "talk",
        }
        etc = self.instance_dir / "etc" / "asterisk"
        etc.mkdir(parents=True, exist_ok=True)
        for sub in ("run", "log", "spool", "lib", "cache", "monitor"):
            (self.instance_dir / sub).mkdir(parents=True, exist_ok=True)
        written = []
        for template in sorted(DIALPLANS_DIR.glob("*.conf.j2")):
            target = etc / template.name.removesuffix(".j2")
            target.write_text(env.get_template(template.name).render(**context))
            written.append(target)
        os.chmod(etc / "manager.conf", 0o600)
        os.chmod(etc / "pjsip.conf", 0o600)
        return written

    # -- lifecycle -------------------------------------------------------------------------

    def _pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def _alive(self, pid: int | None) -> bool:
        if pid is None:
            return False
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            return False
        return exe.endswith("/asterisk") and os.readlink(f"/proc/{pid}/root") == str(
            self.tree.resolve()
        )

    def status(self) -> PbxStatus:
        pid = self._pid()
        base = {
            "instance": self.instance,
            "ami": f"{self.settings.ami_host}:{self.settings.ami_port}",
            "sip_port": self.settings.pbx_sip_port,
        }
        base["simulator_pid"] = self.simulator().pid() if self.settings.simulation_enabled else None
        if pid is None:
            return PbxStatus("stopped", None, **base)
        if not self._alive(pid):
            return PbxStatus("crashed", pid, detail=self._log_tail(), **base)
        booted = self.cli("core show uptime", timeout=5.0, check=False)
        if "System uptime" not in booted:
            return PbxStatus("booting", pid, **base)
        return PbxStatus("running", pid, detail=booted.strip().splitlines()[0], **base)

    def cli(self, command: str, timeout: float = 10.0, check: bool = True) -> str:
        """Run an Asterisk CLI command in this instance (``asterisk -rx``)."""
        args = sandbox.chroot_command(
            self.tree, sandbox.ASTERISK, "-C", self.conf_inside, "-rx", command
        )
        try:
            result = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            if check:
                raise PbxError(f"Asterisk CLI {command!r} did not answer in {timeout} s") from exc
            return ""
        if check and result.returncode != 0:
            raise PbxError(f"Asterisk CLI {command!r} failed: {result.stderr.strip()}")
        return result.stdout

    def up(self) -> tuple[PbxStatus, str]:
        """Start the instance (and the resident simulator when simulation is enabled) if it is
        not running. Returns (status, what was done)."""
        status, note = self._up_asterisk()
        if self.settings.simulation_enabled:
            pid = self.simulator().start()
            status = replace(status, simulator_pid=pid)
        return status, note

    def _up_asterisk(self) -> tuple[PbxStatus, str]:
        current = self.status()
        if current.state == "running":
            self._check_running_secret()
            return current, "already running"
        note = ""
        if current.state == "crashed":
            note = f"Asterisk had crashed (pid {current.pid}); restarting. Last log lines:\n"
            note += current.detail
            log.warning("embedded Asterisk %s had crashed; restarting", self.instance)
            self.pid_file.unlink(missing_ok=True)
        elif current.state == "booting":
            self._wait_booted()
            return self.status(), "was booting"
        sandbox.ensure_tree(self.tree)
        sandbox.prepare(self.tree)
        self.render()
        sandbox.mount_proc(self.tree)
        self._check_ports_free()
        args = sandbox.chroot_command(self.tree, sandbox.ASTERISK, "-C", self.conf_inside)
        result = subprocess.run(args, capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise PbxError(
                f"Asterisk did not start (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()}\n{self._log_tail()}"
            )
        self._wait_booted()
        status = self.status()
        if status.state != "running":
            raise PbxError(f"Asterisk started but is {status.state}: {status.detail}")
        return status, (note + "\nstarted").strip()

    def _check_running_secret(self) -> None:
        """A running instance must have been started with our AMI secret, or every AMI login
        would be refused with nothing to say why (secrets live in ``data_dir``, the instance in
        the tree: two data folders can name the same instance)."""
        manager = self.instance_dir / "etc" / "asterisk" / "manager.conf"
        try:
            lines = manager.read_text().splitlines()
        except OSError:
            return  # nothing rendered to compare with; the login will tell
        if f"secret = {self.ami_secret()}" not in (line.strip() for line in lines):
            raise PbxError(
                f"Asterisk instance {self.instance!r} is running, but with another AMI secret "
                f"than {self.secrets_file} "
                "(started with a different IVR_DATA_DIR or IVR_AMI_SECRET?). Stop it with "
                "`ivr pbx down` under the settings it was started with, or set IVR_PBX_INSTANCE "
                "to run an instance of your own."
            )

    def simulator(self) -> Daemon:
        """The resident simulator that answers the ``[residents]`` context's calls."""
        return Daemon(self.settings, "residents", ["residents", "serve"])

    def _wait_booted(self) -> None:
        deadline = time.monotonic() + self.settings.pbx_boot_timeout_s
        while time.monotonic() < deadline:
            pid = self._pid()
            if pid is not None and not self._alive(pid):
                raise PbxError(f"Asterisk exited while booting.\n{self._log_tail()}")
            out = self.cli(
                "core waitfullybooted", timeout=max(1.0, deadline - time.monotonic()), check=False
            )
            if "fully booted" in out.lower():
                return
            time.sleep(0.2)
        raise PbxError(
            f"Asterisk not fully booted after {self.settings.pbx_boot_timeout_s} s.\n"
            + self._log_tail()
        )

    def down(self) -> str:
        """Stop the instance cleanly (calls in progress are hung up)."""
        self.simulator().stop()
        pid = self._pid()
        if pid is None:
            sandbox.unmount_proc_if_unused(self.tree)
            return "not running"
        if not self._alive(pid):
            self.pid_file.unlink(missing_ok=True)
            sandbox.unmount_proc_if_unused(self.tree)
            return f"was not running (stale pid {pid}: it had crashed)"
        self.cli("core stop now", timeout=15.0, check=False)
        if not _wait_gone(pid, 10.0):
            os.kill(pid, signal.SIGTERM)
            if not _wait_gone(pid, 5.0):
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, 5.0)
        self.pid_file.unlink(missing_ok=True)
        sandbox.unmount_proc_if_unused(self.tree)
        return "stopped"

    def kill(self) -> None:
        """Kill Asterisk without a clean stop (for tests of crash handling)."""
        pid = self._pid()
        if pid is not None and self._alive(pid):
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 5.0)

    def _check_ports_free(self) -> None:
        import socket

        s = self.settings
        for proto, port in (("tcp", s.ami_port), ("udp", s.pbx_sip_port)):
            kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
            with socket.socket(socket.AF_INET, kind) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError as exc:
                    raise PbxError(
                        f"{proto} port {port} is in use by another program; "
                        f"set {'ami_port' if proto == 'tcp' else 'pbx_sip_port'} to a free port"
                    ) from exc

    def _log_tail(self, lines: int = 12) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.strip().splitlines()[-lines:])


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_running(pid):
            return True
        time.sleep(0.05)
    return not process_running(pid)


def _conf_token(setting: str, value: str, allow_empty: bool = False) -> str:
    """A value written into an Asterisk .conf file: no newlines, no ';' comments, no brackets."""
    if not value and allow_empty:
        return ""
    if not value or any(ch in value for ch in "\r\n;[]=\x00") or value != value.strip():
        raise PbxError(f"setting {setting} has a value that cannot go into Asterisk configuration")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise PbxError(f"setting {setting} contains control characters")
    return value
