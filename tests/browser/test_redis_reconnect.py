"""Redis down then back, seen from a browser: the live connection drops, retries with backoff,
and resumes by itself; messages published after the outage arrive without a reload."""

from __future__ import annotations

import os
import subprocess

import pytest

from smi_ui.accounts.roles import Role
from smi_ui.live.broadcast import publish_change
from smi_ui.metrics.pollers import pollers
from tests.browser.conftest import log_in
from tests.edit_support import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow,
              pytest.mark.skipif(os.environ.get("SMI_UI_RESTART_SERVICES") != "1" or not os.environ.get("REDIS_URL"),
                                 reason="stops the machine's Redis: set SMI_UI_RESTART_SERVICES=1 with REDIS_URL "
                                        "(CI does)")]

SUBSCRIBE = """(path) => {
    window.live = {statuses: [], messages: []};
    smiLive.subscribe(path, {onMessage: m => window.live.messages.push(m),
                             onStatus: s => window.live.statuses.push(s)});
}"""


@pytest.fixture(autouse=True)
def no_pollers_left():
    """The live connection starts a metrics poller; it must not outlive the test database."""
    yield
    pollers.stop_all()


def start_redis() -> None:
    subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
                    "--save", "", "--appendonly", "no"], check=True, timeout=30)


def test_live_connection_reconnects_after_redis_comes_back(world, new_page, asgi_server):
    make_user("ada", Role.VIEWER)
    page = new_page(base_url=asgi_server)
    log_in(page, "ada")
    page.add_script_tag(url="/static/js/live.js")
    page.evaluate(SUBSCRIBE, f"/ws/live/clusters/{world.cluster.pk}/namespaces/bookstore/")
    page.wait_for_function("() => window.live.statuses.at(-1) === 'live'")

    subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], timeout=30, check=False)
    try:
        page.wait_for_function("() => window.live.statuses.at(-1) === 'reconnecting'", timeout=30_000)
    finally:
        start_redis()
    page.wait_for_function("() => window.live.statuses.at(-1) === 'live'", timeout=30_000)
    statuses = page.evaluate("() => window.live.statuses")
    assert statuses[:2] == ["connecting", "live"] and "reconnecting" in statuses[2:]

    publish_change(world.cluster.pk, "TrafficSplit", "bookstore", "bookstore-canary", "999", "modified")
    page.wait_for_function("""() => window.live.messages.some(m => m.type === 'object.changed'
                                                           && m.name === 'bookstore-canary')""")
