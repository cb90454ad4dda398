"""The Asterisk sandbox: a Debian unstable tree with Asterisk 22, built once by mmdebstrap.

Debian 12 has no Asterisk package; unstable has Asterisk 22 LTS. The tree (about 340 MB) is
built into a cache folder outside the repository and reused by every instance; each instance
keeps its configuration and state in its own folder inside the tree (``/ivr/<instance>``), so
several instances (tests, the demo) can run side by side on different ports.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ivr.errors import PbxError

log = logging.getLogger(__name__)

PACKAGES = ("asterisk", "asterisk-modules", "asterisk-core-sounds-en-gsm")
ASTERISK = "/usr/sbin/asterisk"
BUILD_TIMEOUT_S = 900


def is_built(tree: Path) -> bool:
    return (tree / ASTERISK.lstrip("/")).is_file() and (tree / ".ivr-complete").is_file()


@contextmanager
def _build_lock(tree: Path) -> Iterator[None]:
    tree.parent.mkdir(parents=True, exist_ok=True)
    with open(tree.parent / f".{tree.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # a second `pbx up` waits for the first build
        yield


def ensure_tree(tree: Path) -> Path:
    """Build the tree if it is missing; a half-built tree (interrupted build) is rebuilt."""
    if is_built(tree):
        return tree
    if os.geteuid() != 0:
        raise PbxError("building the embedded Asterisk needs root (mmdebstrap, chroot)")
    if shutil.which("mmdebstrap") is None:
        raise PbxError("mmdebstrap is not installed: apt-get install mmdebstrap")
    with _build_lock(tree):
        if is_built(tree):
            return tree
        partial = tree.with_name(tree.name + ".partial")
        if partial.exists():
            _unmount_proc(partial)
            shutil.rmtree(partial)
        log.info("building the Asterisk sandbox in %s (once; about half a minute)", tree)
        command = [
            "mmdebstrap",
            "--variant=apt",
            '--aptopt=Acquire::Check-Valid-Until "false"',
            f"--include={','.join(PACKAGES)}",
            "sid",
            str(partial),
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise PbxError(f"mmdebstrap did not finish in {BUILD_TIMEOUT_S} s") from exc
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-15:])
            raise PbxError(f"mmdebstrap failed (exit {result.returncode}):\n{tail}")
        (partial / ".ivr-complete").write_text(" ".join(PACKAGES) + "\n")
        if tree.exists():
            shutil.rmtree(tree)
        partial.rename(tree)
    return tree


def prepare(tree: Path) -> None:
    """Things the tree needs from its host: a hosts file, so Asterisk never waits on DNS to
    resolve its own name (no network here)."""
    hosts = tree / "etc" / "hosts"
    if not hosts.is_file():
        hosts.write_text(f"127.0.0.1\tlocalhost {os.uname().nodename}\n::1\tlocalhost\n")


def _proc_mounted(tree: Path) -> bool:
    target = str((tree / "proc").resolve())
    with open("/proc/self/mounts") as mounts:
        return any(line.split()[1] == target for line in mounts)


def mount_proc(tree: Path) -> None:
    """Asterisk needs /proc inside the tree to start cleanly."""
    if _proc_mounted(tree):
        return
    result = subprocess.run(
        ["mount", "-t", "proc", "proc", str(tree / "proc")], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise PbxError(f"cannot mount /proc in {tree}: {result.stderr.strip()}")


def _unmount_proc(tree: Path) -> None:
    if _proc_mounted(tree):
        subprocess.run(["umount", "-l", str(tree / "proc")], capture_output=True)


def unmount_proc_if_unused(tree: Path) -> None:
    """Unmount /proc once no Asterisk of any instance runs in this tree."""
    if not any_asterisk_running(tree):
        _unmount_proc(tree)


def any_asterisk_running(tree: Path) -> bool:
    root = str(tree.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(entry / "root") == root and (entry / "exe").exists():
                if os.readlink(entry / "exe").endswith("/asterisk"):
                    return True
        except OSError:
            continue
    return False


def chroot_command(tree: Path, *args: str) -> list[str]:
    return ["chroot", str(tree), *args]
