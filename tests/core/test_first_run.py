"""What `make run` does on a fresh machine: migrate, create the first admin, serve, log in.

Runs the real commands in subprocesses against a fresh data directory, the way a
newcomer runs them, and logs in over HTTP at the URL the server prints.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def fresh_env(tmp_path):
    hidden = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "KUBECONFIG"}
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env.update(
        HOME=str(tmp_path / "home"),  # no ~/.kube/config: the newcomer's machine
        DJANGO_SETTINGS_MODULE="smi_ui.settings",
        SMI_UI_DATA_DIR=str(tmp_path / "data"),
        SECRET_KEY_FILE=str(tmp_path / "data" / "secret_key"),
    )
    return env


def test_settings_refuse_to_start_without_a_secret_key_when_not_debugging(fresh_env):
    env = {k: v for k, v in fresh_env.items() if k != "SECRET_KEY_FILE"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_secret_key_file_is_generated_once_and_private(fresh_env, tmp_path):
    _manage(fresh_env, "check")
    key_file = tmp_path / "data" / "secret_key"
    first = key_file.read_text()
    _manage(fresh_env, "check")
    assert key_file.read_text() == first and len(first.strip()) >= 50
    assert key_file.stat().st_mode & 0o077 == 0


def test_first_admin_password_is_printed_once(fresh_env):
    _manage(fresh_env, "migrate", "--noinput")
    first = _manage(fresh_env, "ensure_admin")
    assert re.search(r"password: \S{20,}", first)
    second = _manage(fresh_env, "ensure_admin")
    assert "password:" not in second and "Administrator account(s): admin" in second


def _read_banner(server: subprocess.Popen) -> list[str]:
    """The lines of the startup banner (between its two rules), read as the server prints them."""
    lines: list[str] = []
    inside = False
    for line in server.stdout:
        if line.startswith("====="):
            if inside:
                return lines
            inside = True
        elif inside:
            lines.append(line.strip())
    raise AssertionError("the server ended before printing its banner")


def _log_in(url: str, password: str) -> tuple[str, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(url + "login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    data = urllib.parse.urlencode({"username": "admin", "password": password, "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(url + "login/", data=data, headers={"Referer": url + "login/"})
    overview = opener.open(request, timeout=10)
    assert overview.geturl() == url
    return overview.read().decode(), jar


def test_served_dashboard_logs_in_with_the_banner_and_stops_cleanly(fresh_env, tmp_path):
    _manage(fresh_env, "migrate", "--noinput")
    password = re.search(r"password: (\S+)", _manage(fresh_env, "ensure_admin")).group(1)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=REPO, env=fresh_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        banner = _read_banner(server)  # printed once the server accepts connections
        url = f"http://127.0.0.1:{port}/"
        assert f"smi-ui is ready:  {url}" in banner
        assert "Log in as:  admin" in banner and f"Password:   {password}" in banner
        assert f"Access log: {tmp_path / 'data' / 'access.log'}" in banner
        page, jar = _log_in(url, password)
        assert "demo" in page and "TrafficSplit" in page  # no kubeconfig here: the demo cluster is registered
        assert_demo_traffic_is_live(fresh_env, url, jar)
        assert "GET /login/" in (tmp_path / "data" / "access.log").read_text()  # not on the terminal
    finally:
        server.terminate()
        rest, _ = server.communicate(timeout=30)
    assert "Connection refused" not in rest and "Traceback" not in rest, rest
    assert "GET /" not in rest


def test_the_banner_stops_showing_the_password_once_it_is_changed(fresh_env):
    _manage(fresh_env, "migrate", "--noinput")
    password = re.search(r"password: (\S+)", _manage(fresh_env, "ensure_admin")).group(1)
    show = ("from smi_ui.core.management.commands.serve import banner; print(banner('http://x/', []))")
    assert f"Password:   {password}" in _manage(fresh_env, "shell", "-c", show)
    _manage(fresh_env, "shell", "-c", "from django.contrib.auth.models import User; "
            "u = User.objects.get(username='admin'); u.set_password('a-new-password-of-mine'); u.save()")
    again = _manage(fresh_env, "shell", "-c", show)
    assert password not in again and "manage.py changepassword admin" in again


def assert_demo_traffic_is_live(env: dict[str, str], url: str, jar: http.cookiejar.CookieJar) -> None:
    """The demo simulates its traffic: a logged-in browser's websocket receives live figures."""
    from websockets.sync.client import connect

    cluster_id = _manage(env, "shell", "--verbosity", "0", "-c", "from smi_ui.clusters.models import Cluster; "
                                             "print(Cluster.objects.get(name='demo').pk)").strip()
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)
    ws_url = url.replace("http://", "ws://") + f"ws/live/clusters/{cluster_id}/namespaces/bookstore/"
    with connect(ws_url, additional_headers={"Cookie": cookies}, origin=url.rstrip("/"),
                 open_timeout=10) as socket_:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = json.loads(socket_.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message["type"] == "metrics.delta" and message.get("available") and message.get("edges"):
                assert any(figures["rps"] > 0 for figures in message["edges"].values())
                return
        raise AssertionError("no live figures from the demo cluster within 60 s")
