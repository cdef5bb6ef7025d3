"""Object lifecycle and metadata rules the sandbox copies from a real kube-apiserver.

Each test's docstring states the real server's behaviour it checks; kubectl (unmodified)
is the independent client wherever the behaviour is visible to it.
"""

from __future__ import annotations

import pytest
import yaml

from .support import Api, split, splits_path

covers = pytest.mark.covers

TCP_ROUTE = {"apiVersion": "specs.smi-spec.io/v1alpha4", "kind": "TCPRoute",
             "metadata": {"name": "db", "namespace": "default"}, "spec": {"matches": {"ports": [5432]}}}


@pytest.fixture
def api(sandbox) -> Api:
    return Api(sandbox.url)


# ---- printer columns ----------------------------------------------------------------------------

@covers("verbs.table")
def test_kubectl_get_prints_only_the_columns_a_crd_declares(sandbox, api):
    """Real: apiextensions-apiserver's table convertor serves NAME plus the version's
    additionalPrinterColumns, and adds an Age column only when the CRD declares none
    (serveDefaultColumnsIfEmpty); every published TrafficSplit CRD declares just Service."""
    api.post(splits_path(), split("web"))
    api.post("/apis/specs.smi-spec.io/v1alpha4/namespaces/default/tcproutes", TCP_ROUTE)
    splits = sandbox.kubectl("get", "trafficsplits", check=True).stdout.splitlines()
    assert [line.split() for line in splits] == [["NAME", "SERVICE"], ["web", "web"]]
    wide = sandbox.kubectl("get", "trafficsplits", "-o", "wide", check=True).stdout.splitlines()
    assert wide[0].split() == ["NAME", "SERVICE"]
    routes = sandbox.kubectl("get", "tcproutes", check=True).stdout.splitlines()
    assert routes[0].split() == ["NAME", "AGE"] and routes[1].split()[0] == "db"


@covers("verbs.table", "resources.crds")
def test_declared_columns_are_typed_prioritised_and_read_by_json_path(sandbox, api):
    """Real: each declared column keeps its type, format and priority (priority > 0 only with
    -o wide); `integer` cells are numbers, `date` cells are ages, a path that finds nothing
    gives an empty cell, and `string` cells print other values as Go's fmt does."""
    crd = api.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/tcproutes.specs.smi-spec.io").body
    for version in crd["spec"]["versions"]:
        version["additionalPrinterColumns"] = [
            {"name": "Port", "type": "integer", "jsonPath": ".spec.matches.ports[0]"},
            {"name": "Ports", "type": "string", "jsonPath": ".spec.matches.ports", "priority": 1},
            {"name": "Missing", "type": "string", "jsonPath": ".spec.nothing"},
            {"name": "Created", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ]
    assert api.put(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}",
                   crd).status == 200
    api.post("/apis/specs.smi-spec.io/v1alpha4/namespaces/default/tcproutes",
             {**TCP_ROUTE, "spec": {"matches": {"ports": [5432, 6432]}}})
    table = api.request("GET", "/apis/specs.smi-spec.io/v1alpha4/namespaces/default/tcproutes",
                        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}).body
    assert [(c["name"], c["type"], c["priority"]) for c in table["columnDefinitions"]] == [
        ("Name", "string", 0), ("Port", "integer", 0), ("Ports", "string", 1), ("Missing", "string", 0),
        ("Created", "date", 0)]
    [row] = table["rows"]
    assert row["cells"][:4] == ["db", 5432, "[5432 6432]", None]
    assert row["cells"][4].endswith("s")  # an age, e.g. "0s"
    plain = sandbox.kubectl("get", "tcproutes", check=True).stdout.splitlines()
    assert plain[0].split() == ["NAME", "PORT", "MISSING", "CREATED"]
    wide = sandbox.kubectl("get", "tcproutes", "-o", "wide", check=True).stdout.splitlines()
    assert wide[0].split() == ["NAME", "PORT", "PORTS", "MISSING", "CREATED"]
    assert wide[1].split()[:4] == ["db", "5432", "[5432", "6432]"]


# ---- events -------------------------------------------------------------------------------------

@covers("resources.builtin", "verbs.list")
def test_kubectl_get_events_finds_none(sandbox):
    """Real: core v1 `events` and `events.k8s.io/v1` `events` are always served; a namespace
    nothing has reported on lists no events, and kubectl says so and exits 0."""
    result = sandbox.kubectl("get", "events")
    assert (result.returncode, result.stdout, result.stderr.strip()) == (
        0, "", "No resources found in default namespace.")
    new_api = sandbox.kubectl("get", "events.events.k8s.io", "-A")
    assert (new_api.returncode, new_api.stderr.strip()) == (0, "No resources found")
    rows = {line.split()[0] + " " + line.split()[2]: line.split()
            for line in sandbox.kubectl("api-resources", check=True).stdout.splitlines()[1:]}
    assert rows["events v1"][1:] == ["ev", "v1", "true", "Event"]
    assert rows["events events.k8s.io/v1"][1:] == ["ev", "events.k8s.io/v1", "true", "Event"]


@covers("resources.builtin", "verbs.table")
def test_a_created_event_is_listed_with_the_event_columns(sandbox):
    """Real: events can be created like any object, and kube-apiserver's event table is
    LAST SEEN, TYPE, REASON, OBJECT, MESSAGE (NAME and the rest only with -o wide)."""
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.1", "namespace": "default"},
             "involvedObject": {"kind": "TrafficSplit", "name": "web", "namespace": "default"},
             "reason": "Shifted", "message": "weights changed ", "type": "Normal",
             "source": {"component": "rollouts"}, "firstTimestamp": "2026-01-01T00:00:00Z",
             "lastTimestamp": "2026-01-01T00:00:00Z", "count": 2}
    sandbox.kubectl("create", "-f", "-", input=yaml.safe_dump(event), check=True)
    lines = sandbox.kubectl("get", "events", check=True).stdout.splitlines()
    assert lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert lines[1].split()[1:] == ["Normal", "Shifted", "trafficsplit/web", "weights", "changed"]
    wide = sandbox.kubectl("get", "events", "-o", "wide", check=True).stdout.splitlines()
    assert wide[0].split()[-4:] == ["FIRST", "SEEN", "COUNT", "NAME"]
    assert wide[1].split()[-2:] == ["2", "web.1"]
