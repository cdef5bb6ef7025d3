"""The Content-Security-Policy in Chromium: every kind of page works under it and the browser reports no violation.

Each page is opened with a listener for `securitypolicyviolation` installed before any of its
scripts run, and console messages are watched too; live pages must still go live over the
websocket (connect-src), the split page must still draw its share bars (set from script now
that inline styles are refused), and the API docs must render their operations.
"""

from __future__ import annotations

import pytest

from smi_ui.accounts.roles import Role
from tests.browser.conftest import log_in, sync_api
from tests.edit_support import make_user
from tests.metrics.conftest import traffic_world  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
expect = sync_api.expect

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
"""


def test_every_kind_of_page_works_under_the_policy(traffic_world, new_page, asgi_server):  # noqa: F811
    ada = make_user("ada", Role.ADMIN, is_staff=True, is_superuser=True)
    page = new_page(base_url=asgi_server)
    page.context.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda message: message.type in ("error", "warning") and console.append(message.text))
    page.on("pageerror", lambda error: console.append(f"JavaScript error: {error}"))
    page.goto("/login/")
    assert page.evaluate("() => window.__cspViolations") == [], "/login/"
    log_in(page, "ada")
    cluster = traffic_world.cluster.name
    split = f"/clusters/{cluster}/objects/bookstore/trafficsplits/bookstore-canary/"

    pages = {
        "/": lambda: expect(page.locator("main")).to_be_visible(),
        f"/clusters/{cluster}/topology/?namespace=bookstore":
            lambda: expect(page.get_by_test_id("live-status")).to_have_text("live", timeout=30_000),
        f"{split}weights/": lambda: page.wait_for_function(
            "() => [...document.querySelectorAll('.share-bar span')].every(s => s.style.width.endsWith('%'))"),
        f"/clusters/{cluster}/policy/": lambda: expect(page.locator("main")).to_be_visible(),
        split: lambda: expect(page.locator("main")).to_be_visible(),
        f"{split}edit/": lambda: expect(page.locator("form")).not_to_have_count(0),
        f"{split}yaml/": lambda: expect(page.locator("form")).not_to_have_count(0),
        f"/clusters/{cluster}/policy/report/": lambda: expect(page.locator("body")).to_be_visible(),
        f"/clusters/{cluster}/objects/": lambda: expect(page.locator("main")).to_be_visible(),
        f"/clusters/{cluster}/new/trafficsplits/": lambda: expect(page.locator("form")).not_to_have_count(0),
        "/clusters/": lambda: expect(page.locator("main")).to_be_visible(),
        "/audit/": lambda: expect(page.locator("main")).to_be_visible(),
        "/admin/": lambda: expect(page.locator("#content")).to_be_visible(),
        "/admin/clusters/cluster/": lambda: expect(page.locator("#content")).to_be_visible(),
        f"/admin/auth/user/{ada.pk}/change/": lambda: expect(page.locator("#content")).to_be_visible(),
        "/api/docs/": lambda: expect(page.locator(".opblock").first).to_be_visible(timeout=30_000),
    }
    for path, ready in pages.items():
        assert page.goto(path).status == 200, path
        ready()
        page.wait_for_load_state("networkidle")
        assert page.evaluate("() => window.__cspViolations") == [], path
    assert [line for line in console if "Content Security Policy" in line or "Content-Security-Policy" in line] == []
