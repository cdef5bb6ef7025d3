"""The HTTP handler: a bounded set of reused request threads, probes served without waiting."""

import asyncio

import pytest
from asgiref.testing import ApplicationCommunicator

from smi_ui.core.handlers import PooledThreadsASGIHandler


def _scope(path: str) -> dict:
    return {"type": "http", "http_version": "1.1", "method": "GET", "scheme": "http", "path": path,
            "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": [(b"host", b"127.0.0.1")],
            "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80)}


async def _get(application, path: str) -> int:
    communicator = ApplicationCommunicator(application, _scope(path))
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(timeout=10)
    while (await communicator.receive_output(timeout=10)).get("more_body"):
        pass
    await communicator.wait(timeout=10)
    return start["status"]


def test_requests_reuse_a_bounded_set_of_threads():
    application = PooledThreadsASGIHandler(2)

    async def main() -> list[int]:
        statuses = await asyncio.gather(*[_get(application, "/api/no-such-endpoint/") for _ in range(6)])
        workers = application._workers_of(asyncio.get_running_loop())
        assert len(workers.idle) == 2  # six requests, never more than two threads
        return statuses

    assert asyncio.run(main()) == [404] * 6


def test_probes_do_not_wait_for_a_request_thread():
    application = PooledThreadsASGIHandler(1, unqueued_paths=frozenset({"/healthz"}))

    async def main() -> int:
        workers = application._workers_of(asyncio.get_running_loop())
        async with workers.slots:  # the only request thread is busy
            return await _get(application, "/healthz")

    assert asyncio.run(main()) == 200


def test_websockets_are_still_refused_by_the_http_handler():
    with pytest.raises(ValueError):
        asyncio.run(PooledThreadsASGIHandler(1)({"type": "websocket"}, None, None))
