"""A throwaway PostgreSQL cluster for the tests, and the ``any_db`` fixture (SQLite and PostgreSQL).

Registered from ``tests/conftest.py`` with ``pytest_plugins = ["tests.pg"]``.

The cluster lives in a temporary folder with its unix socket there too and listens on a free
loopback port, so it never meets a PostgreSQL of the machine. It is started once per test run; each
test gets a new database cloned from a migrated template (``CREATE DATABASE … TEMPLATE``), which
takes milliseconds instead of a full migration.

Missing PostgreSQL binaries make the fixture FAIL, not skip: CI installs them, and a silently
skipped half of the suite would hide PostgreSQL-only bugs.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ivr.db import Database

PG_BIN_ENV = "IVR_TEST_PG_BIN"  # a folder with initdb and pg_ctl, when not in the usual place
START_TIMEOUT_S = 30
TEMPLATE_DB = "ivr_template"
_names = itertools.count(1)


def _pg_bin_dir() -> Path:
    candidates = [os.environ.get(PG_BIN_ENV, "")]
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file():
            return Path(candidate)
    pytest.fail(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install them "
        "(Debian: apt-get install postgresql) or point IVR_TEST_PG_BIN at their folder",
        pytrace=False,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_cluster_owner(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(
        _as_cluster_owner(argv),
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        output = done.stderr or done.stdout
        pytest.fail(f"{what} failed ({done.returncode}): {output}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of the server's ``postgres`` database (superuser, trust auth, socket in a temp dir)."""
    bindir = _pg_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="ivr-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    _run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C.UTF-8",
        ],
        "initdb",
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    _run(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "start",
        ],
        "pg_ctl start",
    )
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={sockets}&port={port}"
    finally:
        subprocess.run(
            _as_cluster_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=START_TIMEOUT_S,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


def _with_database(server_url: str, name: str) -> str:
    head, _, query = server_url.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}?{query}"


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> str:
    """A database migrated to the newest schema, cloned by every PostgreSQL test."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
    admin.dispose()
    Database(_with_database(postgres_url, TEMPLATE_DB)).dispose()
    return TEMPLATE_DB


@pytest.fixture
def pg_db(postgres_url: str, postgres_template: str) -> Iterator[Database]:
    """A fresh, migrated PostgreSQL database for one test, dropped afterwards."""
    name = f"ivr_test_{os.getpid()}_{next(_names)}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {postgres_template}"))
    database = Database(_with_database(postgres_url, name))
    try:
        yield database
    finally:
        database.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest) -> Database:
    """The same test on a fresh SQLite database and on a fresh PostgreSQL database."""
    fixture = "db" if request.param == "sqlite" else "pg_db"
    return request.getfixturevalue(fixture)
