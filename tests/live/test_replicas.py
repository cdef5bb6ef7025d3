"""Several web replicas behind one load balancer behave as one dashboard.

Two web server processes (`manage.py serve --no-sync`) share the test's PostgreSQL database
and Redis channel layer. A browser may sign in through one replica and be routed to the
other for its next request or its websocket, and an edit handled by one replica must reach
browsers whose websocket is held by the other. With the embedded default (SQLite and the
in-memory layer) replicas share nothing, so these tests need PostgreSQL and Redis.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
import websockets
from django.conf import settings
from django.db import connections

from smi_ui.accounts.roles import Role
from smi_ui.accounts.tokens import issue_token
from tests.conditions import wait_for
from tests.edit_support import World, make_user, resource_version, split_url
from tests.loops import run_on_own_loop

REPO = Path(__file__).resolve().parents[2]
SHARED_BACKENDS = bool(os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL"))

pytestmark = [
    pytest.mark.django_db(transaction=True),  # committed data: the replicas read it from their own connections
    pytest.mark.slow,
    pytest.mark.skipif(not SHARED_BACKENDS, reason="replicas share state only through PostgreSQL and Redis: "
                                                   "set DATABASE_URL=postgres://... and REDIS_URL=redis://..."),
]

PASSWORD = "olivia-password-long"  # make_user's convention: f"{username}-password-long"


@dataclass
class Replica:
    """One web server process serving pages, the API and websockets."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _test_database_url() -> str:
    """The URL of the database this test runs in (pytest-django's test database, not DATABASE_URL's)."""
    db = connections["default"].settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _ready(replica: Replica) -> bool:
    if replica.process.poll() is not None:
        raise AssertionError(f"replica {replica.name} exited with {replica.process.returncode}:\n{replica.log_tail()}")
    try:
        return requests.get(f"{replica.url}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _stop(replica: Replica) -> None:
    if replica.process.poll() is None:
        replica.process.terminate()
        try:
            replica.process.wait(10)
        except subprocess.TimeoutExpired:
            replica.process.kill()
            replica.process.wait(10)


@pytest.fixture
def replicas(transactional_db: None, tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    """Replicas A and B of the web tier, both ready (database and channel layer answering)."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "SECRET_KEY": settings.SECRET_KEY,  # the same key everywhere: cluster credentials are decrypted with it
        "CREDENTIALS_KEYS": ",".join(settings.CREDENTIALS_KEYS),
        "SMI_UI_DATA_DIR": str(tmp_path / "data"),
        "LOG_LEVEL": "WARNING",
    }
    started: list[Replica] = []
    try:
        for name in ("a", "b"):
            port = _free_port()
            log = tmp_path / f"replica-{name}.log"
            with log.open("wb") as output:
                process = subprocess.Popen(
                    [sys.executable, "manage.py", "serve", "--no-sync", "--host", "127.0.0.1", "--port", str(port)],
                    cwd=REPO, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
            started.append(Replica(name, f"http://127.0.0.1:{port}", process, log))
        for replica in started:
            wait_for(lambda replica=replica: _ready(replica), timeout=90, interval=0.2,
                     what=f"replica {replica.name} to answer /readyz with 200")
        yield started[0], started[1]
    finally:
        for replica in started:
            _stop(replica)


def log_in(replica: Replica, username: str, password: str) -> str:
    """Sign in through the login form of `replica` as a browser would; returns the session id."""
    browser = requests.Session()
    form = browser.get(f"{replica.url}/login/", timeout=10)
    assert form.status_code == 200, form.text[:500]
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert match, "the login form carries a CSRF token"
    answer = browser.post(f"{replica.url}/login/", timeout=10, allow_redirects=False,
                          data={"username": username, "password": password, "csrfmiddlewaretoken": match.group(1)})
    assert answer.status_code == 302, answer.text[:500]
    return browser.cookies["sessionid"]


def me(replica: Replica, session_id: str) -> requests.Response:
    return requests.get(f"{replica.url}/api/me/", cookies={"sessionid": session_id}, timeout=10)




def test_a_session_issued_by_one_replica_is_valid_on_the_other(replicas: tuple[Replica, Replica]) -> None:
    a, b = replicas
    make_user("olivia", Role.OPERATOR)
    assert me(b, "no-such-session").status_code in (401, 403)  # B does not accept just any cookie

    session_id = log_in(a, "olivia", PASSWORD)

    seen_by_b = me(b, session_id)
    assert seen_by_b.status_code == 200, seen_by_b.text
    assert seen_by_b.json()["username"] == "olivia"
    # Signing out through B ends the session everywhere: it lives in the shared store, not in the cookie.
    browser = requests.Session()
    browser.cookies.set("sessionid", session_id)
    page = browser.get(f"{b.url}/", timeout=10)
    assert page.status_code == 200
    logged_out = browser.post(f"{b.url}/logout/", timeout=10, allow_redirects=False,
                              headers={"X-CSRFToken": browser.cookies["csrftoken"]})
    assert logged_out.status_code == 302, logged_out.text[:500]
    assert me(a, session_id).status_code in (401, 403)


def test_an_edit_through_one_replica_reaches_websockets_of_the_other(replicas: tuple[Replica, Replica],
                                                                      world_factory: Callable[..., World]) -> None:
    a, b = replicas
    world = world_factory()
    operator = make_user("olivia", Role.OPERATOR)
    _, token = issue_token(operator, "replica test")
    session_id = log_in(a, "olivia", PASSWORD)
    base = resource_version(world.live("split.smi-spec.io/v1alpha4", "TrafficSplit", "bookstore-canary",
                                       "bookstore"))
    ws_url = b.url.replace("http://", "ws://") + f"/ws/live/clusters/{world.cluster.pk}/namespaces/bookstore/"

    edit = {"base_resource_version": base, "weights": {"bookstore-v1": 70, "bookstore-v2": 30}}

    def edit_through_a() -> dict[str, Any]:
        answer = requests.post(f"{a.url}{split_url(world, 'weights/')}", json=edit, timeout=30,
                               headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with websockets.connect(ws_url, origin=b.url, additional_headers={"Cookie": f"sessionid={session_id}"},
                                      open_timeout=20) as socket_:
            first = json.loads(await asyncio.wait_for(socket_.recv(), 20))
            assert first["type"] == "subscribed", first  # B knew the session A issued (else: closed with 4401)
            edited = await asyncio.to_thread(edit_through_a)
            try:
                async with asyncio.timeout(20):
                    while True:  # metrics deltas of B's own poller may come first
                        message = json.loads(await socket_.recv())
                        if message["type"] == "object.changed" and message["name"] == "bookstore-canary":
                            return edited, message
            except TimeoutError:
                raise AssertionError("replica B's client never received the change made through replica A") from None

    edited, message = run_on_own_loop(scenario())

    assert message == {"type": "object.changed", "cluster": world.cluster.pk, "kind": "TrafficSplit",
                       "namespace": "bookstore", "name": "bookstore-canary",
                       "resourceVersion": edited["resource_version"], "change": "modified"}
    assert edited["resource_version"] != base
