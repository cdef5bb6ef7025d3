"""Every page tells the same story: one enforcement mode per cluster, the same finding counts on the overview,
the topology, the policy page and its report, and the findings on the pages of the objects they concern.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from smi_ui.accounts.roles import Role
from tests.edit_support import make_user
from tests.policy.conftest import watched_world  # noqa: F401 - fixture

SEVERITIES = ("error", "warning")


def overview_counts(body: str, cluster: str) -> dict[str, int]:
    row = next(part for part in body.split("<tr>") if f'href="/clusters/{cluster}/policy/"' in part)
    summary = re.search(r'data-testid="findings-summary">(.*?)</a>', row, re.S).group(1)
    found = dict.fromkeys(SEVERITIES, 0)
    for number, severity in re.findall(r"(\d+) (error|warning)s?", summary):
        found[severity] = int(number)
    return found


def listed_counts(body: str) -> dict[str, int]:
    return {severity: len(re.findall(rf'<tr class="finding severity-{severity}"', body)) for severity in SEVERITIES}


def access_mode(body: str) -> str:
    """The first word the page states the mode with (`on` / `off`)."""
    return re.search(r'data-testid="access-mode">Access control: <strong>(\w+)', body).group(1)


def topology_payload(body: str) -> dict:
    return json.loads(unescape(re.search(r'<script id="topology-data" type="application/json">(.*?)</script>',
                                         body, re.S).group(1)))


def pages(client, cluster: str) -> dict[str, str]:
    base = f"/clusters/{cluster}"
    found = {}
    for name, url in (("overview", "/"), ("topology", f"{base}/topology/"), ("policy", f"{base}/policy/"),
                      ("report", f"{base}/policy/report/")):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        found[name] = response.content.decode()
    found["topology.json"] = client.get(f"{base}/topology.json").content.decode()
    return found


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("access_control", [True, False])
def test_overview_topology_policy_and_report_agree_while_traffic_is_watched(watched_world, client, settings,  # noqa: F811
                                                                          access_control):
    settings.SMI_ACCESS_CONTROL = {watched_world.cluster.name: access_control}
    client.force_login(make_user("audrey", Role.AUDITOR))
    name = watched_world.cluster.name
    seen = pages(client, name)
    counts = {"overview": overview_counts(seen["overview"], name), "policy": listed_counts(seen["policy"]),
              "report": listed_counts(seen["report"])}
    for payload in (topology_payload(seen["topology"]), json.loads(seen["topology.json"])):
        counts["topology"] = {"error": payload["findingCounts"]["errors"],
                              "warning": payload["findingCounts"]["warnings"]}
        assert len(payload["findings"]) == len(re.findall(r'data-code="unallowed-traffic"', seen["policy"]))
        assert payload["accessControl"] is access_control
    expected = {"error": 4 if access_control else 1, "warning": 0}  # 3 unallowed edges + the planted mistake
    assert counts == dict.fromkeys(counts, expected)
    modes = {page: access_mode(seen[page]) for page in ("topology", "policy", "report")}
    modes["overview"] = re.search(r'data-testid="overview-access-mode">access control (\w+)', seen["overview"]).group(1)
    assert modes == dict.fromkeys(modes, "on" if access_control else "off")
    assert "not known" not in seen["policy"] and "unknown" not in seen["report"]


@pytest.mark.django_db
def test_the_planted_mistake_shows_on_its_object_page_and_in_the_objects_list(world, client):
    client.force_login(make_user("vic", Role.VIEWER))
    base = f"/clusters/{world.cluster.name}"
    detail = client.get(f"{base}/objects/storefront/traffictargets/frontend-to-checkout/").content.decode()
    problems = re.search(r'data-testid="object-problems">(.*?)</section>', detail, re.S).group(1)
    assert 'data-code="missing-route"' in problems and "checkout-routes" in problems
    working = client.get(f"{base}/objects/storefront/traffictargets/frontend-to-catalog/").content.decode()
    assert 'data-testid="object-problems"' not in working

    listing = client.get(f"{base}/objects/?namespace=storefront&kind=TrafficTarget").content.decode()
    cells = {}
    for row in listing.split("<tr>")[1:]:
        link = re.search(r'/traffictargets/([^/]+)/"', row)
        if link:
            cells[link.group(1)] = re.search(r'<td data-testid="problems">(.*?)</td>', row, re.S).group(1)
    assert "1 error" in cells.pop("frontend-to-checkout")
    assert cells and all(cell == "" for cell in cells.values()), cells


@pytest.mark.django_db(transaction=True)
def test_workloads_and_services_with_unallowed_traffic_show_it_on_their_pages(watched_world, client):  # noqa: F811
    client.force_login(make_user("vic", Role.VIEWER))
    base = f"/clusters/{watched_world.cluster.name}"
    detail = client.get(f"{base}/objects/bookstore/deployments/bookthief/").content.decode()
    problems = re.search(r'data-testid="object-problems">(.*?)</section>', detail, re.S).group(1)
    assert problems.count('data-code="unallowed-traffic"') == 2  # to bookstore-v1 and to bookstore-v2
    listing = client.get(f"{base}/objects/?namespace=bookstore&kind=Deployment").content.decode()
    row = next(part for part in listing.split("<tr>") if "/deployments/bookthief/" in part)
    assert "2 errors" in row
    # the Service in front of the destination shows the traffic it receives without an allowing rule
    service = client.get(f"{base}/objects/bookstore/services/bookstore-v1/").content.decode()
    problems = re.search(r'data-testid="object-problems">(.*?)</section>', service, re.S).group(1)
    assert problems.count('data-code="unallowed-traffic"') == 1 and "bookstore/bookthief" in problems
