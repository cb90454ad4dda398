"""The report app's protections at the HTTP level, in-process (no browser needed): login
lock-out, sessions that die at logout, password change or account disable, CSRF with a
cross-site Origin, open-redirect refusal, security headers, and Range requests on recordings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ivr.config import load_settings
from ivr.db import Database
from ivr.households.staff import get_staff_user, set_disabled, set_password
from ivr.web.app import create_app
from ivr.web.auth import safe_next
from tests.web.world import PASSWORD, World, build_world

BASE = "http://127.0.0.1:8080"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, World, Path]]:
    folder = tmp_path_factory.mktemp("http")
    db = Database(f"sqlite:///{folder / 'ivr.db'}")
    yield db, build_world(db, folder / "recordings"), folder
    db.dispose()


@pytest.fixture
def client(built: tuple[Database, World, Path]) -> Iterator[TestClient]:
    db, _, folder = built
    settings = load_settings(
        data_dir=folder / "data", database_url=str(db.url), report_login_max_failures=3,
        report_login_failure_delay_s=0.0,
    )
    with TestClient(create_app(settings, db), base_url=BASE) as test_client:
        yield test_client


def _token(client: TestClient, path: str = "/login") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found[1]


def _sign_in(client: TestClient, username: str, password: str = PASSWORD) -> int:
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": _token(client)}, follow_redirects=False)
    return response.status_code


def test_repeated_failures_lock_the_name_out(client: TestClient) -> None:
    for _ in range(3):
        assert _sign_in(client, "staff2", "guess") == 401
    assert _sign_in(client, "staff2") == 429  # even the right password, for a while
    assert _sign_in(client, "admin") == 429  # and from this address


def test_a_copied_cookie_is_dead_after_logout(client: TestClient) -> None:
    assert _sign_in(client, "staff1") == 303
    copied = client.cookies.get("ivr_session")
    client.post("/logout", data={"csrf_token": _token(client, "/map")})
    client.cookies.set("ivr_session", copied)
    assert client.get("/map", follow_redirects=False).status_code == 303


def test_a_logout_outlives_a_restart_of_the_server(
    client: TestClient, built: tuple[Database, World, Path]
) -> None:
    db, _, folder = built
    assert _sign_in(client, "staff1") == 303
    copied = client.cookies.get("ivr_session")
    client.post("/logout", data={"csrf_token": _token(client, "/map")})
    # another server process on the same database and secret (a restart, or a second worker)
    settings = load_settings(data_dir=folder / "data", database_url=str(db.url))
    with TestClient(create_app(settings, db), base_url=BASE) as restarted:
        restarted.cookies.set("ivr_session", copied)
        assert restarted.get("/map", follow_redirects=False).status_code == 303
        # while a session that did not log out is still good there
        assert _sign_in(client, "staff1") == 303
        restarted.cookies.set("ivr_session", client.cookies.get("ivr_session"))
        assert restarted.get("/map", follow_redirects=False).status_code == 200


def test_a_login_ends_after_its_lifetime_however_active(client: TestClient) -> None:
    assert _sign_in(client, "staff1") == 303
    assert client.get("/map", follow_redirects=False).status_code == 200
    # the cookie's signature stays valid (the middleware's own age check is not reached);
    # the login time stored in the session is what ends it
    client.app.state.session_keeper.max_age_s = -1  # type: ignore[attr-defined]
    assert client.get("/map", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("change", ["password", "disabled"])
def test_a_password_change_or_disable_ends_open_sessions(
    client: TestClient, built: tuple[Database, World, Path], change: str
) -> None:
    db, _, _ = built
    with db.session() as session:
        from ivr.db.models import Role
        from ivr.households.staff import create_staff_user

        create_staff_user(session, f"temp-{change}", PASSWORD, role=Role.ADMIN)
    assert _sign_in(client, f"temp-{change}") == 303
    assert client.get("/map", follow_redirects=False).status_code == 200
    with db.session() as session:
        user = get_staff_user(session, f"temp-{change}")
        if change == "password":
            set_password(session, user, "another password 7")
        else:
            set_disabled(session, user)
    assert client.get("/map", follow_redirects=False).status_code == 303


def test_cross_site_origin_is_refused_even_with_the_token(
    client: TestClient, built: tuple[Database, World, Path]
) -> None:
    _, world, _ = built
    household_id = world.households[world.committee_ids[0]][0]
    assert _sign_in(client, "staff1") == 303
    token = _token(client, "/map")
    response = client.post(f"/households/{household_id}/notes",
                           data={"note": "x", "csrf_token": token},
                           headers={"Origin": "http://evil.example"}, follow_redirects=False)
    assert response.status_code == 403
    same_site = client.post(f"/households/{household_id}/notes",
                            data={"note": "from our own page", "csrf_token": token},
                            headers={"Origin": BASE}, follow_redirects=False)
    assert same_site.status_code == 303


def test_next_after_login_stays_on_this_site() -> None:
    assert safe_next("/households/3") == "/households/3"
    for hostile in ("//evil.example/x", "https://evil.example", "/\\evil.example", "", None):
        assert safe_next(hostile) == "/"


def test_pages_carry_security_headers_and_are_not_cached(client: TestClient) -> None:
    assert _sign_in(client, "staff1") == 303
    response = client.get("/map")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    cookie = response.headers.get("set-cookie") or ""
    assert cookie == "" or "httponly" in cookie.lower()


def test_recording_range_requests(client: TestClient, built: tuple[Database, World, Path]) -> None:
    _, world, _ = built
    recording = world.recordings[world.committee_ids[0]]
    assert _sign_in(client, "staff1") == 303
    whole = client.get(f"/recordings/{recording}")
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    part = client.get(f"/recordings/{recording}", headers={"Range": "bytes=44-143"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 44-143/{len(whole.content)}"
    assert part.content == whole.content[44:144]
    assert part.headers["cache-control"] == "private, no-store"
