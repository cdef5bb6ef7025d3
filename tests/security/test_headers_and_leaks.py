"""Security headers, websocket origins, and what the API and the logs let slip.

Each test is an attack or a probe a careless deployment invites, and asserts the fixed behaviour.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from asgiref.testing import ApplicationCommunicator
from channels.testing import WebsocketCommunicator
from daphne.access import AccessLogGenerator

from smi_ui.asgi import application
from smi_ui.live.origins import origin_allowed
from smi_ui.ops.logging import redact_query, redacting
from smi_ui.ops.proxy import forwarded_client, trusted_networks
from tests.conditions import wait_for
from tests.edit_support import make_user, token_client
from tests.loops import on_fresh_loop, run_on_own_loop

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [sources]}."""
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


# --- Content-Security-Policy ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login/", "/", "/api/docs/"])
def test_pages_carry_a_policy_whose_scripts_come_only_from_this_origin(client, admin_user, path):
    if path != "/login/":
        client.force_login(admin_user)
    response = client.get(path, HTTP_HOST="localhost:8000")
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["connect-src"] == ["'self'", "ws://localhost:8000"]


def test_dashboard_pages_allow_no_inline_style_only_the_api_docs_do(client, admin_user):
    client.force_login(admin_user)
    assert directives(client.get("/")["Content-Security-Policy"])["style-src"] == ["'self'"]
    assert "'unsafe-inline'" in directives(client.get("/api/docs/")["Content-Security-Policy"])["style-src"]


def test_api_docs_load_their_start_up_script_from_this_origin(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/api/docs/").content.decode()
    assert '<script src="/api/docs/?script="></script>' in page
    assert "<script>" not in page  # nothing inline for script-src 'self' to refuse
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_a_refused_foreign_host_still_gets_the_policy(client):
    response = client.get("/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"] and policy["connect-src"] == ["'self'"]


def test_secure_pages_name_the_secure_websocket_origin(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/", HTTP_HOST="localhost", secure=True)
    assert "wss://localhost" in directives(response["Content-Security-Policy"])["connect-src"]


# --- HTTPS: HSTS and the redirect -------------------------------------------------------------


def test_hsts_is_sent_on_https_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = client.get("/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_no_hsts_when_not_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 0
    assert "Strict-Transport-Security" not in client.get("/login/", secure=True)


def test_plain_http_is_redirected_but_probes_are_not(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/login/", HTTP_HOST="localhost")
    assert response.status_code == 301 and response["Location"] == "https://localhost/login/"
    assert client.get("/healthz", HTTP_HOST="localhost").status_code == 200


def _settings_under(**environment: str) -> list[str]:
    """HSTS seconds and the redirect flag as settings compute them from this environment."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("SECURE_COOKIES", "BEHIND_TLS_PROXY", "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT")}
    env.update(environment, DJANGO_SETTINGS_MODULE="tests.settings")
    code = "from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT)"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.split()


def test_https_settings_follow_secure_cookies_and_the_tls_proxy():
    assert _settings_under() == ["0", "False"]
    assert _settings_under(SECURE_COOKIES="true") == ["31536000", "True"]
    assert _settings_under(BEHIND_TLS_PROXY="true") == ["31536000", "True"]
    assert _settings_under(BEHIND_TLS_PROXY="true", SECURE_HSTS_SECONDS="3600") == ["3600", "True"]


# --- websocket origins ------------------------------------------------------------------------


@on_fresh_loop
async def test_websocket_from_another_port_of_the_same_host_is_refused():
    path = "/ws/live/clusters/1/namespaces/bookstore/"
    connection = WebsocketCommunicator(application, path,
                                       headers=[(b"host", b"localhost:8000"), (b"origin", b"http://localhost:9999")])
    connected, _ = await connection.connect()
    assert not connected
    await connection.disconnect()


def handshake(origin: str, host: str = "localhost:8000", **scope) -> dict:
    return {"type": "websocket", "headers": [(b"host", host.encode()), (b"origin", origin.encode())], **scope}


def test_only_the_pages_own_scheme_host_and_port_may_open_a_websocket():
    assert origin_allowed(handshake("http://localhost:8000"))
    assert not origin_allowed(handshake("http://localhost:9999"))
    assert not origin_allowed(handshake("https://localhost:8000"))  # another scheme is another origin
    assert not origin_allowed(handshake("http://localhost"))  # port 80
    assert origin_allowed(handshake("http://localhost", host="localhost"))
    assert not origin_allowed(handshake("http://evil.example:8000", host="evil.example:8000"))  # not allowed host
    assert not origin_allowed(handshake("null"))
    assert not origin_allowed({"type": "websocket", "headers": [(b"host", b"localhost:8000")]})


def test_origins_behind_a_tls_proxy_and_trusted_origins(settings):
    settings.BEHIND_TLS_PROXY = True
    settings.ALLOWED_HOSTS = ["smi.example.com"]
    behind = [(b"host", b"smi.example.com"), (b"x-forwarded-proto", b"https")]
    assert origin_allowed({"type": "websocket", "headers": [*behind, (b"origin", b"https://smi.example.com")]})
    assert not origin_allowed({"type": "websocket", "headers": [*behind, (b"origin", b"http://smi.example.com")]})
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.org"]
    assert origin_allowed({"type": "websocket", "headers": [*behind, (b"origin", b"https://ui.example.org")]})
    assert not origin_allowed({"type": "websocket", "headers": [*behind, (b"origin", b"https://ui.example.org:8443")]})


# --- /api/clusters/: what only readers of the whole cluster see -------------------------------


@pytest.fixture
def troubled_cluster():
    from smi_ui.clusters.models import Cluster

    return Cluster.objects.create(name="prod", api_server="https://10.20.30.40:6443", server_version="v1.36.2",
                                  state="stale", last_error="watch of trafficsplits in namespace payments: 403")


@pytest.mark.parametrize("path", ["/api/clusters/", "/api/clusters/prod/"])
def test_a_namespace_limited_viewer_gets_no_api_server_nor_sync_error(troubled_cluster, path):
    nina = token_client(make_user("nina", "viewer", cluster=troubled_cluster, namespace="web"))
    answer = nina.get(path).json()
    cluster = answer["results"][0] if "results" in answer else answer
    assert cluster["name"] == "prod" and cluster["state"] == "stale"
    assert (cluster["api_server"], cluster["server_version"], cluster["last_error"]) == (None, None, None)
    assert "10.20.30.40" not in json.dumps(answer) and "payments" not in json.dumps(answer)


@pytest.mark.parametrize("path", ["/api/clusters/", "/api/clusters/prod/"])
def test_a_reader_of_the_whole_cluster_gets_them(troubled_cluster, path):
    carl = token_client(make_user("carl", "viewer", cluster=troubled_cluster))
    answer = carl.get(path).json()
    cluster = answer["results"][0] if "results" in answer else answer
    assert cluster["api_server"] == "https://10.20.30.40:6443"
    assert cluster["last_error"] == "watch of trafficsplits in namespace payments: 403"


def test_the_overview_and_the_api_take_the_same_decision(client, troubled_cluster):
    for user, shown in ((make_user("nina", "viewer", cluster=troubled_cluster, namespace="web"), False),
                        (make_user("carl", "viewer", cluster=troubled_cluster), True)):
        client.force_login(user)
        page = client.get("/").content.decode()
        api = token_client(user).get("/api/clusters/prod/").json()
        assert ("10.20.30.40" in page) is shown is (api["api_server"] is not None)
        assert ("payments" in page) is shown is (api["last_error"] is not None)


# --- logs: query values never written --------------------------------------------------------


def test_the_access_log_names_query_parameters_but_not_their_values():
    logged = io.StringIO()
    access_log = redacting(AccessLogGenerator(logged))
    access_log("http", "complete", {"path": "/api/audit/?actor=alice&search=s3cret%20plan&token=", "status": 200,
                                    "method": "GET", "client": "203.0.113.7:4242", "size": 10, "time_taken": 0.1})
    line = logged.getvalue()
    assert '"GET /api/audit/?actor=[redacted]&search=[redacted]&token=[redacted]" 200' in line
    assert "alice" not in line and "s3cret" not in line
    assert redact_query("/api/objects/") == "/api/objects/"
    assert redact_query("/x?" + "&".join(f"k{i}=v" for i in range(50))).endswith("k19=[redacted]&[30 more]")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_deployed_web_server_writes_no_query_value_to_its_access_log(tmp_path):
    deployed = yaml.safe_load((REPO / "deploy" / "base" / "web.yaml").read_text())
    (container,) = deployed["spec"]["template"]["spec"]["containers"]
    command = container["args"]
    assert command[:3] == ["python", "-m", "smi_ui.ops.webserver"]
    port = free_port()
    log = tmp_path / "access.log"
    command = [sys.executable if part == "python" else part for part in command]
    command[command.index("-p") + 1] = str(port)
    command[command.index("-b") + 1] = "127.0.0.1"
    command[-1:-1] = ["--access-log", str(log)]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "SMI_UI_DATA_DIR": str(tmp_path)}
    server = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/healthz?token=s3cret-value&namespace=payments"
        wait_for(lambda: _answers(url), timeout=30, what="the web server to answer")
        wait_for(lambda: log.exists() and "/healthz" in log.read_text(), timeout=10, what="the access log line")
    finally:
        server.terminate()
        server.wait(10)
    line = log.read_text()
    assert "GET /healthz?token=[redacted]&namespace=[redacted]" in line
    assert "s3cret-value" not in line and "payments" not in line


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


# --- the client's address behind the TLS proxy -----------------------------------------------

TRUSTED = trusted_networks(("127.0.0.0/8", "10.0.0.0/8"))


def test_x_forwarded_for_is_believed_only_from_trusted_proxies():
    assert forwarded_client("10.1.2.3", ["203.0.113.7"], TRUSTED) == "203.0.113.7"  # the ingress names the client
    assert forwarded_client("198.51.100.9", ["203.0.113.7"], TRUSTED) == "198.51.100.9"  # no proxy of ours
    # a client's own X-Forwarded-For, appended to by the ingress: the hop the ingress saw wins
    assert forwarded_client("10.1.2.3", ["6.6.6.6, 203.0.113.7"], TRUSTED) == "203.0.113.7"
    assert forwarded_client("10.1.2.3", ["203.0.113.7, 10.9.9.9"], TRUSTED) == "203.0.113.7"  # two proxies
    assert forwarded_client("10.1.2.3", ["127.0.0.1"], TRUSTED) == "10.1.2.3"  # a pod cannot pass as loopback
    assert forwarded_client("10.1.2.3", ["6.6.6.6, not-an-address, 10.9.9.9"], TRUSTED) == "10.1.2.3"
    assert forwarded_client("10.1.2.3", ["[2001:db8::1]:443"], TRUSTED) == "2001:db8::1"


async def _metrics_status(peer: str, forwarded_for: str | None) -> int:
    headers = [(b"host", b"localhost")] + ([(b"x-forwarded-for", forwarded_for.encode())] if forwarded_for else [])
    scope = {"type": "http", "http_version": "1.1", "method": "GET", "path": "/metrics", "raw_path": b"/metrics",
             "query_string": b"", "root_path": "", "scheme": "http", "headers": headers, "client": (peer, 50000),
             "server": ("127.0.0.1", 8000)}
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(timeout=20)
    await communicator.receive_output(timeout=20)
    return start["status"]


def test_the_request_address_is_the_forwarded_client_only_behind_the_proxy(settings):
    """/metrics answers loopback clients only: it shows which address the request was given."""
    settings.METRICS_TOKEN = ""
    settings.BEHIND_TLS_PROXY = False
    assert run_on_own_loop(_metrics_status("127.0.0.1", "203.0.113.7")) == 200  # the header is ignored
    settings.BEHIND_TLS_PROXY = True
    assert run_on_own_loop(_metrics_status("127.0.0.1", "203.0.113.7")) == 403  # the client is 203.0.113.7
    assert run_on_own_loop(_metrics_status("10.0.0.5", "127.0.0.1")) == 403  # a pod claiming loopback
    assert run_on_own_loop(_metrics_status("127.0.0.1", None)) == 200


# --- the demo cluster -------------------------------------------------------------------------


def test_the_demo_cluster_refuses_anonymous_writes_and_serves_its_token(settings, tmp_path):
    from smi_ui.clusters.demo import start_demo_cluster
    from smi_ui.clusters.sync import access_for
    from smi_ui.kube.client import transport_for

    settings.DATA_DIR = tmp_path
    sandbox, cluster = start_demo_cluster()
    try:
        path = f"{sandbox.url}/apis/split.smi-spec.io/v1alpha4/namespaces/bookstore/trafficsplits"
        body = json.dumps({"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
                           "metadata": {"name": "hijack", "namespace": "bookstore"},
                           "spec": {"service": "bookstore", "backends": [{"service": "evil", "weight": 100}]}})
        anonymous = urllib.request.Request(path, data=body.encode(), method="POST",
                                           headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(anonymous, timeout=10)
        assert refused.value.code == 401
        for wrong in ("Bearer guessed", "Basic YWRtaW46YWRtaW4="):
            anonymous.add_header("Authorization", wrong)
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(anonymous, timeout=10)
            assert refused.value.code == 401
        assert sandbox.get("split.smi-spec.io/v1alpha4", "TrafficSplit", "hijack", "bookstore") is None
        with urllib.request.urlopen(f"{sandbox.url}/version", timeout=10) as version:  # public, as on a real server
            assert version.status == 200
        # The dashboard's registration carries the token: it reads and writes.
        transport = transport_for(access_for(cluster))
        assert transport.get_json(path.removeprefix(sandbox.url))["kind"] == "TrafficSplitList"
        created = transport.request("POST", path.removeprefix(sandbox.url), body=json.loads(body))
        assert created["metadata"]["name"] == "hijack"
    finally:
        sandbox.stop()
