"""Running async test code from synchronous tests.

The browser tests keep Playwright's event loop running on the main thread for the whole
session, so no test may start a loop there: each runs its coroutine on a fresh loop in a
thread of its own.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def run_on_own_loop(coroutine: Coroutine[Any, Any, Any], timeout: float = 120) -> Any:
    """Run `coroutine` to completion on a new loop in another thread; return its result."""
    with ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, coroutine).result(timeout=timeout)


def on_fresh_loop(scenario: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., None]:
    """Decorate an async test so that it runs on a fresh loop of its own."""
    @functools.wraps(scenario)
    def test(*args: Any, **kwargs: Any) -> None:
        run_on_own_loop(scenario(*args, **kwargs), timeout=60)
    return test
