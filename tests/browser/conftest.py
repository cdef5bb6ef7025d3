"""Real Chromium (the Debian package) driven by Playwright, against the dashboard served over HTTP.

The dashboard runs in a thread (`http_server`) over a transactional test database holding the
demo world imported from a sandbox cluster. Skipped, saying why, where /usr/bin/chromium is absent.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import SyncToAsync
from django.db import connections

from tests.edit_support import asgi_server, http_server, world, world_factory  # noqa: F401 - fixtures

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")


@pytest.fixture(scope="package")
def browser(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """One Chromium for this package, started after the test database and closed when the package ends.

    Playwright's sync API keeps an event loop on the test thread while it runs: closing it with
    the package leaves the thread free for the async tests that follow. The ORM calls made
    between browser steps are synchronous, so Django's async-safety guard is lifted meanwhile.
    """
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: install the Debian package `chromium` to run browser tests")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser: Any, http_server: str) -> Iterator[Callable[..., Any]]:  # noqa: F811
    """Pages in fresh browser contexts (separate sessions), closed at the end of the test."""
    contexts: list[Any] = []

    def open_page(theme: str = "light", base_url: str | None = None) -> Any:
        """`base_url` serves another server (e.g. `asgi_server` for pages that need websockets)."""
        context = browser.new_context(base_url=base_url or http_server, viewport={"width": 1360, "height": 900},
                                      color_scheme=theme, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def log_in(page: Any, username: str, password: str | None = None) -> None:
    page.goto("/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password or f"{username}-password-long")
    page.click('button[type="submit"], input[type="submit"]')
    page.wait_for_url("**/")
    sync_api.expect(page.locator(".who")).to_have_text(username)


def screenshot(page: Any, name: str) -> None:
    """Save the page in both themes under artifacts/screenshots/ (CI keeps the folder)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for theme in ("light", "dark"):
        page.evaluate("theme => { document.documentElement.dataset.theme = theme; }", theme)
        page.wait_for_function("theme => getComputedStyle(document.documentElement).colorScheme === theme", arg=theme)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{theme}.png"), full_page=True)



@pytest.fixture
def fast_polling(settings: Any) -> Iterator[None]:
    """Live figures refreshed every second; pollers stopped and the async thread's connection closed afterwards.

    Modules whose pages watch live traffic use it with `pytest.mark.usefixtures("fast_polling")`.
    """
    from smi_ui.metrics.pollers import pollers

    settings.METRICS_POLL_SECONDS = 1
    yield
    pollers.stop_all()
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(10)
