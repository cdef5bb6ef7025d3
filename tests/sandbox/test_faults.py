"""Fault injection: the sandbox can be as unhealthy as a real API server, on demand."""

from __future__ import annotations

import socket
import time

import pytest

from .support import Api, split, splits_path, wait_for

covers = pytest.mark.covers


@covers("faults.errors")
def test_the_next_requests_fail_with_500_then_429_with_retry_after(sandbox):
    api = Api(sandbox.url)
    sandbox.cluster.fail_next(2, status=500)
    first, second, third = (api.get(splits_path()) for _ in range(3))
    assert (first.status, first.reason) == (500, "InternalError") and second.status == 500
    assert third.status == 200
    sandbox.cluster.fail_next(1, status=429, retry_after=3)
    throttled = api.post(splits_path(), split("web"))
    assert (throttled.status, throttled.reason, throttled.headers["Retry-After"]) == (429, "TooManyRequests", "3")
    assert throttled.body["details"] == {"retryAfterSeconds": 3}
    assert api.get("/apis").status == 200  # discovery is not hit by default


@covers("faults.latency")
def test_latency_slows_every_answer(sandbox):
    api = Api(sandbox.url)
    sandbox.cluster.set_latency(0.3)
    started = time.monotonic()
    assert api.get(splits_path()).status == 200
    assert time.monotonic() - started >= 0.3
    sandbox.cluster.clear_faults()


@covers("faults.drop-watches")
def test_dropping_watches_ends_every_open_stream(sandbox):
    api = Api(sandbox.url)
    with api.watch(splits_path()) as first, api.watch(splits_path(None)) as second:
        wait_for(lambda: sandbox.cluster.open_watches == 2, what="two open watches")
        assert sandbox.cluster.drop_watches() == 2
        assert first.next_event() is None and second.next_event() is None


@covers("faults.refuse-connections")
def test_refusing_connections_closes_the_port_then_serves_again_on_it(sandbox):
    api = Api(sandbox.url)
    port = sandbox.cluster.port
    with api.watch(splits_path()) as stream:
        with sandbox.cluster.refusing_connections():
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
            assert stream.next_event() is None
        assert sandbox.cluster.port == port
    assert api.get(splits_path()).status == 200


@covers("faults.refuse-connections")
def test_connections_opened_before_the_outage_cannot_be_used_during_it(sandbox):
    import http.client

    keep_alive = http.client.HTTPConnection("127.0.0.1", sandbox.cluster.port, timeout=5)
    keep_alive.request("GET", "/version")
    assert keep_alive.getresponse().read()
    with sandbox.cluster.refusing_connections():
        with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
            keep_alive.request("GET", "/version")
            keep_alive.getresponse().read()
    keep_alive.close()
    assert Api(sandbox.url).get("/version").status == 200
