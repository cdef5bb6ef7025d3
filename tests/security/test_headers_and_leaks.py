"""Security headers, websocket origins, and what the API and the logs let slip.

Each test is an attack or a probe a careless deployment invites, and asserts the fixed behaviour.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from channels.testing import WebsocketCommunicator

from smi_ui.asgi import application
from smi_ui.live.origins import origin_allowed
from tests.loops import on_fresh_loop

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
