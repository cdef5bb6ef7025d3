"""The access policy while someone watches live traffic: traffic no rule allows is a finding on every policy page,
linked to the workloads and the topology it concerns (it used to break the page: such findings name no target).
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from smi_ui.accounts.roles import Role
from tests.edit_support import make_user
from tests.policy.conftest import watched_world  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)

#: What the demo's simulator sends without an allowing rule (bookthief has none; checkout-routes is missing).
UNALLOWED = {("bookstore/bookthief", "bookstore/bookstore-v1"), ("bookstore/bookthief", "bookstore/bookstore-v2"),
             ("storefront/frontend", "storefront/checkout")}


def rows_of(body: str, code: str) -> list[str]:
    return re.findall(rf'<tr class="finding [^"]*" data-code="{code}">(.*?)</tr>', body, re.S)


def test_the_policy_page_shows_traffic_no_rule_allows_while_it_is_watched(watched_world, client):  # noqa: F811
    client.force_login(make_user("audrey", Role.AUDITOR))
    base = f"/clusters/{watched_world.cluster.name}"
    response = client.get(f"{base}/policy/")
    assert response.status_code == 200
    body = response.content.decode()
    rows = rows_of(body, "unallowed-traffic")
    assert len(rows) == len(UNALLOWED)
    seen = set()
    for row in rows:
        # the finding links both workloads and the topology of the destination's namespace
        (source, destination) = re.findall(r'href="[^"]*/objects/([^/]+)/deployments/([^/]+)/"', row)
        seen.add((f"{source[0]}/{source[1]}", f"{destination[0]}/{destination[1]}"))
        assert f'href="{base}/topology/?namespace={destination[0]}"' in row
        assert "no TrafficTarget rule in effect allows it" in row
    assert seen == UNALLOWED
    assert len(rows_of(body, "missing-route")) == 1  # the planted mistake is still listed beside them
    assert '<strong>on</strong>' in body and "not known" not in body  # the enforcement mode is stated

    report = client.get(f"{base}/policy/report/").content.decode()
    assert len(rows_of(report, "unallowed-traffic")) == len(UNALLOWED)
    exported = list(csv.DictReader(io.StringIO(client.get(f"{base}/policy/findings.csv").content.decode())))
    assert sum(row["code"] == "unallowed-traffic" for row in exported) == len(UNALLOWED)
    # each names both Deployments and the Services in front of them
    assert {row["concerns"] for row in exported if row["code"] == "unallowed-traffic"} >= {
        "Deployment:bookstore/bookthief Service:bookstore/bookthief Deployment:bookstore/bookstore-v1 "
        "Service:bookstore/bookstore Service:bookstore/bookstore-v1"}


def test_a_namespace_limited_reader_sees_only_the_traffic_within_their_namespace(watched_world, client):  # noqa: F811
    client.force_login(make_user("nina", Role.VIEWER, cluster=watched_world.cluster, namespace="storefront"))
    body = client.get(f"/clusters/{watched_world.cluster.name}/policy/").content.decode()
    rows = rows_of(body, "unallowed-traffic")
    assert len(rows) == 1 and "storefront/frontend → storefront/checkout" in rows[0]
    assert "bookthief" not in body


def test_permissive_clusters_raise_no_traffic_findings_and_say_so(watched_world, client, settings):  # noqa: F811
    settings.SMI_ACCESS_CONTROL = {watched_world.cluster.name: False}
    client.force_login(make_user("audrey", Role.AUDITOR))
    body = client.get(f"/clusters/{watched_world.cluster.name}/policy/").content.decode()
    assert rows_of(body, "unallowed-traffic") == []
    assert "<strong>off (permissive)</strong>" in body
