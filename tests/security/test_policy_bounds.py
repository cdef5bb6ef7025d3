"""Quadratic policy cannot slow the policy pages: one TrafficTarget with N sources and one HTTPRouteGroup with
N matches allow N² (source, route) rows. The page stays small and fast (summarised cells, paginated matrix,
the analysis computed once per inventory change); the CSV export still has every row, streamed.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time

import pytest
from django.core.cache import cache
from django.http import StreamingHttpResponse
from django.test import AsyncRequestFactory, RequestFactory

from smi_ui.accounts.roles import Role
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.services import upsert_object
from smi_ui.policy import selectors
from smi_ui.web.views.policy import streamed
from tests.web.conftest import logged_in  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

N = 800
MAX_SECONDS = 2.0
MAX_HTML_BYTES = 2 * 1024 * 1024


def quadratic_policy(cluster: Cluster, n: int) -> None:
    """The attack: N matches in one route group, N sources in one target that names the group."""
    upsert_object(cluster.pk, {
        "apiVersion": "specs.smi-spec.io/v1alpha4", "kind": "HTTPRouteGroup",
        "metadata": {"name": "wide", "namespace": "shop", "uid": "g", "resourceVersion": "1"},
        "spec": {"matches": [{"name": f"m{i}", "pathRegex": f"/p{i}", "methods": ["GET"]} for i in range(n)]}})
    upsert_object(cluster.pk, {
        "apiVersion": "access.smi-spec.io/v1alpha3", "kind": "TrafficTarget",
        "metadata": {"name": "everyone", "namespace": "shop", "uid": "t", "resourceVersion": "2"},
        "spec": {"destination": {"kind": "ServiceAccount", "name": "api", "namespace": "shop"},
                 "rules": [{"kind": "HTTPRouteGroup", "name": "wide"}],
                 "sources": [{"kind": "ServiceAccount", "name": f"caller-{i}", "namespace": "shop"}
                             for i in range(n)]}})


@pytest.fixture
def big(logged_in):  # noqa: F811
    cache.clear()
    cluster = Cluster.objects.create(name="big", api_server="https://example.invalid")
    quadratic_policy(cluster, N)
    return cluster, logged_in("vic", Role.VIEWER)


def timed_get(client, url):
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return response, elapsed


def test_the_policy_page_of_n_squared_routes_is_fast_and_small(big):
    cluster, client = big
    # a warm process (modules imported, templates compiled) on an empty cluster: the big one is not analysed yet
    Cluster.objects.create(name="warm", api_server="https://example.invalid")
    timed_get(client, "/clusters/warm/policy/")
    response, first = timed_get(client, f"/clusters/{cluster.name}/policy/")
    html = response.content
    assert first < MAX_SECONDS, f"first view took {first:.2f} s"
    assert len(html) < MAX_HTML_BYTES, f"{len(html)} bytes of HTML"
    body = html.decode()
    # the cell of the one destination summarises its N routes and links to their paginated list
    assert f"all {N} routes" in body and 'data-testid="more-routes"' in body
    assert 'data-testid="rows-pager"' in body  # N sources: the matrix is paginated
    _, again = timed_get(client, f"/clusters/{cluster.name}/policy/")
    assert again < MAX_SECONDS
    # "who can reach api" lists N sources of N routes each, the printable report the whole matrix: bounded too
    identity, elapsed = timed_get(client, f"/clusters/{cluster.name}/policy/?identity=shop/api")
    assert elapsed < MAX_SECONDS and len(identity.content) < MAX_HTML_BYTES
    assert f"and {N - 100} more sources" in identity.content.decode()
    report, elapsed = timed_get(client, f"/clusters/{cluster.name}/policy/report/")
    assert elapsed < MAX_SECONDS and len(report.content) < MAX_HTML_BYTES
    assert f"and {N - 4} more ({N} routes; all in the access CSV)" in report.content.decode()
    print(f"N={N}: first view {first:.2f} s, second {again:.2f} s, {len(html) / 1024:.0f} KiB of HTML")


def test_the_pair_detail_pages_through_all_routes(big):
    cluster, client = big
    url = f"/clusters/{cluster.name}/policy/?source=shop/caller-7&destination=shop/api"
    response, elapsed = timed_get(client, url + "&routes=8")
    body = response.content.decode()
    assert elapsed < MAX_SECONDS and len(response.content) < MAX_HTML_BYTES
    assert 'data-testid="pair-view"' in body and "page 8 of 8" in body
    assert "GET /p799" in body and "GET /p0 " not in body  # the last page holds the last routes, not the first


def test_the_analysis_is_computed_once_per_inventory_change_and_per_reader_scope(big, monkeypatch,
                                                                               logged_in):  # noqa: F811
    cluster, client = big
    calls = []
    analyse = selectors.analyse
    monkeypatch.setattr(selectors, "analyse", lambda policy: calls.append(1) or analyse(policy))
    for _ in range(3):
        timed_get(client, f"/clusters/{cluster.name}/policy/")
    timed_get(client, "/")
    assert len(calls) == 1, "one analysis for every view of an unchanged inventory"
    upsert_object(cluster.pk, {"apiVersion": "v1", "kind": "ServiceAccount",
                               "metadata": {"name": "api", "namespace": "shop", "uid": "sa", "resourceVersion": "3"}})
    timed_get(client, f"/clusters/{cluster.name}/policy/")
    assert len(calls) == 2, "a change of the inventory is analysed again"
    # the new analysis replaced the old one: changes do not pile up analyses in the cache
    assert len([key for key in cache._cache if "policy-analysis" in key]) == 1
    limited = logged_in("nina", Role.VIEWER, cluster=cluster, namespace="other")
    body = timed_get(limited, f"/clusters/{cluster.name}/policy/")[0].content.decode()
    assert len(calls) == 3, "a reader with other grants gets an analysis of what they may see"
    assert "caller-7" not in body


def test_the_access_csv_streams_every_one_of_the_n_squared_rows(big):
    cluster, client = big
    started = time.perf_counter()
    response = client.get(f"/clusters/{cluster.name}/policy/access.csv")
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    elapsed = time.perf_counter() - started
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == N * N
    assert {(row["source"], row["match"]) for row in rows} >= {("caller-0", "m0"), (f"caller-{N - 1}", f"m{N - 1}")}
    print(f"N={N}: access CSV of {len(rows)} rows, {len(text) / 1e6:.1f} MB in {elapsed:.1f} s")


def test_under_asgi_the_export_is_an_async_stream_not_a_list():
    """Django collects a plain iterator into a list before sending it over ASGI: the export must not be one."""
    produced = []

    def chunks():
        for index in range(3):
            produced.append(index)
            yield f"line {index}\n"

    request = AsyncRequestFactory().get("/clusters/big/policy/access.csv")
    response = StreamingHttpResponse(streamed(request, chunks()), content_type="text/csv")
    assert response.is_async

    async def first_chunk():
        iterator = aiter(response.streaming_content)
        return await anext(iterator)

    assert asyncio.run(first_chunk()) == b"line 0\n"
    assert produced == [0], "one chunk produced per chunk sent, not the whole export up front"
    plain = iter(["x"])
    assert streamed(RequestFactory().get("/"), plain) is plain  # WSGI streams plain iterators as they are
