"""A crawler: every page reachable from the menus, for every role, while live traffic is being watched.

For each role a user logs in, opens the topology in a second tab (so the namespace's live
figures flow over the websocket and reach every page that reads them), then visits every
same-site link breadth-first, starting from the menu, up to a bound on the number of pages.
A page fails the walk on a status the role should not get, a JavaScript error, a console
error, a failed request, or an error logged by the server. Nobody has to list the pages:
a new page is walked as soon as a link leads to it.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlparse

import pytest

from smi_ui.accounts.roles import Role
from tests.browser.conftest import log_in, sync_api
from tests.edit_support import make_user
from tests.metrics.conftest import traffic_world  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.usefixtures("fast_polling")]
expect = sync_api.expect

#: Pages a role visits at most (breadth-first, so every menu page comes first).
MAX_PAGES_PER_ROLE = 50
#: Links a crawler must not follow: they end the session or are not pages of this site.
NOT_FOLLOWED = ("/logout/", "/admin/logout/", "/static/", "/favicon.ico")


@dataclass
class Walk:
    """What one role's walk saw."""

    visited: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    menu: list[str] = field(default_factory=list)


def _followable(base: str, href: str) -> str | None:
    url, _ = urldefrag(href)
    parsed = urlparse(url)
    if f"{parsed.scheme}://{parsed.netloc}" != base or parsed.path.startswith(NOT_FOLLOWED):
        return None
    return url


def _watch(page, base: str, walk: Walk) -> None:
    page.on("pageerror", lambda error: walk.problems.append(f"{page.url}: JavaScript error: {error}"))
    page.on("console", lambda message: message.type == "error"
            and walk.problems.append(f"{page.url}: console error: {message.text}"))
    page.on("requestfailed", lambda request: request.url.startswith(base) and not _aborted_by_navigation(request)
            and walk.problems.append(f"{page.url}: request failed: {request.url} ({request.failure})"))
    page.on("response", lambda response: response.status >= 400 and response.url.startswith(base)
            and walk.problems.append(f"{page.url}: {response.status} for {response.url}"))


def _aborted_by_navigation(request) -> bool:
    """Polling requests still in flight when the crawler moves on are cancelled by the browser, not failed."""
    return (request.failure or "") in ("net::ERR_ABORTED", "NS_BINDING_ABORTED")


def walk_as(new_page, base: str, username: str, world) -> Walk:
    walk = Walk()
    watcher = new_page(base_url=base)
    log_in(watcher, username)
    # the topology open in the same session: live traffic is being watched while the pages are walked
    watcher.goto(f"/clusters/{world.cluster.name}/topology/")
    expect(watcher.get_by_test_id("live-status")).to_have_text("live", timeout=30_000)
    watcher.wait_for_function("() => smiTopology.cy.edges('[type = \"traffic\"]').length > 0", timeout=30_000)
    page = watcher.context.new_page()
    page.set_default_timeout(15_000)
    _watch(page, base, walk)
    page.goto("/")
    menu_links = page.eval_on_selector_all('nav[aria-label="Main"] a[href]', "els => els.map(e => e.href)")
    walk.menu = [url for href in menu_links if (url := _followable(base, href))]
    queue = deque(dict.fromkeys([f"{base}/", *walk.menu]))
    seen = set(queue)
    while queue and len(walk.visited) < MAX_PAGES_PER_ROLE:
        url = queue.popleft()
        answer = page.request.get(url, max_redirects=5)
        if answer.status >= 400:
            walk.problems.append(f"{url}: answered {answer.status}")
            continue
        walk.visited.append(url)
        if "text/html" not in answer.headers.get("content-type", ""):
            continue  # exports and JSON documents are fetched, not rendered
        page.goto(url, wait_until="load")  # deferred scripts have run: their errors are reported by now
        hrefs = page.eval_on_selector_all("a[href]:not([download])", "els => els.map(e => e.href)")
        for href in hrefs:
            link = _followable(base, href)
            if link and link not in seen:
                seen.add(link)
                queue.append(link)
    watcher.close()
    page.close()
    return walk


ROLES = [
    ("viewer", Role.VIEWER, {}),
    ("operator", Role.OPERATOR, {}),
    ("policy-editor", Role.POLICY_EDITOR, {}),
    ("auditor", Role.AUDITOR, {}),
    ("admin", Role.ADMIN, {"is_staff": True, "is_superuser": True}),
    ("scoped-viewer", Role.VIEWER, {"namespace": "bookstore"}),
]


@pytest.mark.parametrize(("username", "role", "extra"), ROLES, ids=[r[0] for r in ROLES])
def test_every_page_reachable_from_the_menus_works_while_live_traffic_is_watched(
        traffic_world, new_page, asgi_server, caplog, capsys, username, role, extra):  # noqa: F811
    grant = {"cluster": traffic_world.cluster, "namespace": extra.pop("namespace")} if "namespace" in extra else {}
    make_user(username, role, **grant, **extra)
    caplog.set_level(logging.ERROR)
    walk = walk_as(new_page, asgi_server, username, traffic_world)
    server_errors = [f"{record.name}: {record.getMessage()}" for record in caplog.records
                     if record.levelno >= logging.ERROR]
    with capsys.disabled():
        print(f"\n  walked {len(walk.visited)} pages as {username} ({len(walk.menu)} menu links)")
    assert not walk.problems, "\n".join(walk.problems)
    assert not server_errors, "\n".join(server_errors)
    assert set(walk.menu) <= set(walk.visited), "every page the menu offers is visited"
    assert len(walk.visited) >= 5
