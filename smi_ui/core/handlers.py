"""Django's ASGI handler with a fixed set of request threads per process.

Django's stock ASGI handler runs each request's synchronous code (middleware, DRF views,
database access) on a thread made for that request alone, and joins it afterwards on yet
another new thread. Nothing bounds how many there are: with a hundred clients waiting on
one process there are a hundred threads contending for the GIL and for the database pool,
and requests that wait longer than the pool's timeout fail. Here each request borrows one
of `threads` long-lived threads; requests beyond that wait (cheaply, on the event loop)
for a free one. Within a request nothing changes: its sync code still runs on one thread.
Probes (`unqueued_paths`) never wait behind user requests: a busy process is still alive.

Bodies are bounded too: one declaring, or sending, more than DATA_UPLOAD_MAX_MEMORY_SIZE
bytes is answered 413 (the API's JSON error body under /api/) without being read further,
where Django would spool any size to disk first.
"""

from __future__ import annotations

import asyncio
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpResponse

from smi_ui.api.errors import json_error
from smi_ui.api.parsers import max_body_bytes


class _BodyTooLarge(Exception):
    """The request body is (or says it is) larger than the limit."""


@dataclass
class _Workers:
    """The threads and the admission limit of one event loop (tests run several loops)."""

    slots: asyncio.Semaphore
    idle: list[ThreadPoolExecutor] = field(default_factory=list)


class PooledThreadsASGIHandler(ASGIHandler):
    """At most `threads` HTTP requests run at once, each on a reused thread."""

    def __init__(self, threads: int, *, unqueued_paths: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.threads = max(1, threads)
        self.unqueued_paths = unqueued_paths
        self._workers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Workers] = weakref.WeakKeyDictionary()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            if scope["type"] == "http" and _declared_length(scope) > max_body_bytes():
                raise _BodyTooLarge
            await self._serve(scope, receive, send)
        except _BodyTooLarge:
            await self.send_response(_too_large(scope), send)

    async def _serve(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") in self.unqueued_paths:
            await super().__call__(scope, receive, send)  # Django's own way (which refuses non-HTTP)
            return
        workers = self._workers_of(asyncio.get_running_loop())
        async with workers.slots:
            executor = workers.idle.pop() if workers.idle else self._new_thread()
            try:
                async with ThreadSensitiveContext(executor=executor):
                    await self.handle(scope, receive, send)
            finally:
                workers.idle.append(executor)

    async def read_body(self, receive: Any) -> Any:
        """Django's body reading, stopped as soon as more than the limit has arrived."""
        limit, received = max_body_bytes(), 0

        async def bounded() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge
            return message

        return await super().read_body(bounded)

    def _workers_of(self, loop: asyncio.AbstractEventLoop) -> _Workers:
        workers = self._workers.get(loop)
        if workers is None:
            workers = self._workers[loop] = _Workers(asyncio.Semaphore(self.threads))
        return workers

    def _new_thread(self) -> ThreadPoolExecutor:
        # One worker: a ThreadSensitiveContext needs an executor that runs calls one at a time, in order.
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="http")


def _declared_length(scope: dict[str, Any]) -> int:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


def _too_large(scope: dict[str, Any]) -> HttpResponse:
    message = f"the request body is larger than {max_body_bytes()} bytes"
    if str(scope.get("path", "")).startswith("/api/"):
        response: HttpResponse = json_error(413, message, "too-large")
    else:
        response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    response["Connection"] = "close"
    return response
