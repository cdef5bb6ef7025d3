"""Fifty clients edit the same TrafficSplit at once over real HTTP: one wins, nobody's update is lost silently."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests

from smi_ui.accounts.roles import Role
from smi_ui.accounts.tokens import issue_token
from smi_ui.audit import chain
from smi_ui.audit.models import AuditEntry
from tests.edit_support import SPLIT_V4, make_user, resource_version, split_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CLIENTS = 50


def test_fifty_concurrent_edits_from_one_base_exactly_one_succeeds(world, http_server):
    operator = make_user("olivia", Role.OPERATOR)
    _, token = issue_token(operator, "load")
    base = resource_version(world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore"))
    url = http_server + split_url(world, "weights/")
    start = threading.Barrier(CLIENTS, timeout=30)
    answers: dict[int, requests.Response] = {}
    failures: list[BaseException] = []

    def edit(number: int) -> None:
        canary = 21 + number  # never the current 20, so every edit is a real change
        try:
            with requests.Session() as session:
                start.wait()
                answers[number] = session.post(url, json={
                    "base_resource_version": base,
                    "weights": {"bookstore-v1": 100 - canary, "bookstore-v2": canary},
                }, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        except BaseException as error:  # reported to the test thread
            failures.append(error)

    threads = [threading.Thread(target=edit, args=(number,)) for number in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert failures == []
    statuses = Counter(response.status_code for response in answers.values())
    assert statuses == {200: 1, 409: CLIENTS - 1}, {n: r.text[:300] for n, r in answers.items()
                                                    if r.status_code not in (200, 409)}
    (winner,) = [number for number, response in answers.items() if response.status_code == 200]
    live = world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore")
    assert [b["weight"] for b in live["spec"]["backends"]] == [100 - (21 + winner), 21 + winner]
    for response in answers.values():
        if response.status_code == 409:
            assert response.json()["current"]["metadata"]["resourceVersion"] != base
    outcomes = Counter(AuditEntry.objects.filter(action="set-weights").values_list("outcome", flat=True))
    assert outcomes == {"succeeded": 1, "conflict": CLIENTS - 1}
    report = chain.verify()
    assert report.ok and report.checked == CLIENTS
    assert [r.method for r in world.real_writes()].count("PUT") >= 1
