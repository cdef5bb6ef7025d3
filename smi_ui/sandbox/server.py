"""Running a sandbox cluster: in a background thread for tests, in the foreground for the demo.

`SandboxCluster` owns an event loop thread with the aiohttp server, exposes the URL and
kubeconfigs for clients, and offers control methods (direct object changes, fault
injection) that tests call from their own thread.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import secrets
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from aiohttp import web

from smi_ui.smi.layouts import DEFAULT_LAYOUT, Layout
from smi_ui.smi.layouts import layout as layout_named

from .app import LoggedRequest, SandboxApp
from .auth import Authorizer, Rule, User
from .cluster import ClusterState
from .faults import Faults, RequestMatcher, api_requests
from .manifests import ObjectSource, load_objects
from .resources import SchemaProvider
from .simulator import DEMO_FLOWS, PROMETHEUS_PATH, EdgeTraffic, Flow, TrafficSimulator, mesh_resources
from .tls import ServingCertificate, generate
from .watch import WatchHub

T = TypeVar("T")
_PROJECT_SCHEMAS = object()


def project_schemas() -> SchemaProvider | None:
    """The SMI model's `crd_schema`, or None while that module does not exist yet."""
    try:
        from smi_ui.smi.schema import crd_schema
    except ImportError:
        return None

    def provider(kind: str, version: str, flavour: str) -> dict[str, Any] | None:
        try:
            return crd_schema(kind, version, flavour)
        except (KeyError, ValueError, LookupError):
            return None

    return provider


class SandboxCluster:
    """An in-memory Kubernetes API server on a loopback port.

    Usage: ``with SandboxCluster(layout="osm", objects=[...]) as cluster: cluster.url``.

    - `layout`: which SMI CRDs (and versions) are installed; `schemas` supplies their
      openAPIV3Schema (default: the SMI model's `crd_schema`; None installs schemaless CRDs).
    - `tokens`: bearer token -> `User`; without tokens every request is an admin. kubectl only
      sends bearer tokens over HTTPS, so pair `tokens` with `tls=True` for kubectl.
    - `watch_window`: events kept per resource; older resourceVersions get 410 Expired.
    - `bookmark_interval`: seconds between BOOKMARK events on watches that allow them.
    - `restore`: a `snapshot()` of an earlier run: its objects, uids and resourceVersions carry on.
    """

    def __init__(
        self,
        layout: str | Layout = DEFAULT_LAYOUT,
        objects: Iterable[ObjectSource] | ObjectSource | None = None,
        *,
        tls: bool = False,
        tokens: Mapping[str, User] | None = None,
        group_rules: Mapping[str, Iterable[Rule]] | None = None,
        watch_window: int = 1000,
        bookmark_interval: float = 60.0,
        schemas: SchemaProvider | None | object = _PROJECT_SCHEMAS,
        host: str = "127.0.0.1",
        port: int = 0,
        restore: dict[str, Any] | None = None,
    ):
        self.layout = layout_named(layout) if isinstance(layout, str) else layout
        self.host = host
        self.port = port
        self.tls = tls
        self.tokens = dict(tokens or {})
        self._schemas = project_schemas() if schemas is _PROJECT_SCHEMAS else schemas
        self._objects = load_objects(objects)
        self._watch_window = watch_window
        self._restore = restore
        self.faults = Faults()
        self.hub = WatchHub(bookmark_interval)
        self.authorizer = Authorizer(self.tokens, group_rules)
        self._open_token = secrets.token_urlsafe(16)
        self.certificate: ServingCertificate | None = generate((host, "localhost")) if tls else None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.state: ClusterState | None = None
        self.app: SandboxApp | None = None

    # ---- lifecycle ----------------------------------------------------------------------------

    def start(self) -> SandboxCluster:
        loop = asyncio.new_event_loop()
        self._loop = loop
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._startup())
            except BaseException as error:  # reported to the starting thread
                failure.append(error)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name=f"sandbox-{self.layout.name}", daemon=True)
        self._thread.start()
        if not ready.wait(30):
            raise RuntimeError("the sandbox cluster did not start within 30s")
        if failure:
            raise failure[0]
        return self

    async def _startup(self) -> None:
        loop = asyncio.get_running_loop()
        self.state = ClusterState(self.layout, self._schemas, self._watch_window,
                                  defer=lambda callback: loop.call_soon(callback))
        if self._restore is not None:
            self.state.restore(self._restore)
        for obj in self._objects:
            self.state.admin_apply(obj)
        self.app = SandboxApp(self.state, self.authorizer, self.faults, self.hub)
        self._runner = web.AppRunner(self.app.application(), handle_signals=False, access_log=None,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        await self._listen()
        self.app.server_address = f"{self.host}:{self.port}"

    async def _listen(self) -> None:
        assert self._runner is not None
        context = self.certificate.ssl_context() if self.certificate else None
        self._site = web.TCPSite(self._runner, self.host, self.port, ssl_context=context, reuse_address=True)
        await self._site.start()
        if self.port == 0:
            server = self._site._server  # the asyncio server: the only place the bound port is known
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        self.hub.drop_all()
        if self._runner is not None:
            await self._runner.cleanup()

    def snapshot(self) -> dict[str, Any]:
        """Every object and the resourceVersion counter; `SandboxCluster(restore=...)` starts from it."""
        return {"layout": self.layout.name, **self._call(lambda: self._state().store.snapshot())}

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = None
        self._thread = None

    def __enter__(self) -> SandboxCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- addresses and kubeconfigs ----------------------------------------------------------

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def token_for(self, user: str) -> str | None:
        for token, identity in self.tokens.items():
            if identity.name == user:
                return token
        return None

    def kubeconfig(self, user: str = "admin", namespace: str = "default", token: str | None = None) -> dict[str, Any]:
        """A kubeconfig dict; with tokens configured, the user's token (or `token`) is the credential."""
        cluster: dict[str, Any] = {"server": self.url}
        if self.certificate is not None:
            cluster["certificate-authority-data"] = base64.b64encode(self.certificate.ca_pem).decode()
        # Without configured tokens any bearer token is accepted; kubectl still needs one, or it
        # prompts for a username on HTTPS.
        chosen = token or self.token_for(user) or self._open_token
        credentials: dict[str, Any] = {"token": chosen}
        name = f"sandbox-{self.layout.name}"
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": cluster}],
            "users": [{"name": user, "user": credentials}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": user, "namespace": namespace}}],
            "current-context": name,
            "preferences": {},
        }

    def write_kubeconfig(self, path: str | Path, user: str = "admin", namespace: str = "default",
                         token: str | None = None) -> Path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        partial.write_text(yaml.safe_dump(self.kubeconfig(user, namespace, token), sort_keys=False))
        partial.chmod(0o600)
        partial.replace(target)  # readers never see a half-written file
        return target

    # ---- control (runs on the server's loop) ------------------------------------------------

    def _call(self, function: Callable[[], T]) -> T:
        if self._loop is None:
            raise RuntimeError("the sandbox cluster is not running")

        async def run() -> T:
            return function()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(30)

    def _state(self) -> ClusterState:
        if self.state is None:
            raise RuntimeError("the sandbox cluster is not running")
        return self.state

    def apply(self, *sources: ObjectSource) -> list[dict[str, Any]]:
        """Create or replace objects directly (no auth, no strict field validation)."""
        objects = load_objects(list(sources))
        return self._call(lambda: [self._state().admin_apply(copy.deepcopy(o)) for o in objects])

    def delete(self, kind_and_name: dict[str, Any]) -> None:
        """Delete an object given as `{"apiVersion", "kind", "metadata": {"name", "namespace"}}`."""
        self._call(lambda: self._state().admin_delete(kind_and_name))

    def get(self, api_version: str, kind: str, name: str, namespace: str = "default") -> dict[str, Any] | None:
        def read() -> dict[str, Any] | None:
            state = self._state()
            resource_type = state.type_for_object({"apiVersion": api_version, "kind": kind})
            found = state.store.get(resource_type.group_resource, namespace if resource_type.namespaced else "", name)
            return state.output(resource_type, found) if found else None
        return self._call(read)

    def attach_simulator(self, flows: Iterable[Flow] = DEMO_FLOWS, **options: Any) -> TrafficSimulator:
        """Simulate traffic over this cluster's live objects and serve it (SMI metrics API, Prometheus text)."""
        def mesh_objects() -> list[dict[str, Any]]:
            state = self._state()
            return [obj for resource in mesh_resources() for obj in state.store.scan(resource)]

        simulator = TrafficSimulator(mesh_objects, flows, **options)

        def attach() -> None:
            assert self.app is not None
            self.app.simulator = simulator
        self._call(attach)
        return simulator

    def traffic(self) -> list[EdgeTraffic]:
        """The attached simulator's current per-edge traffic, read on the server's loop."""
        return self._call(lambda: self.app.simulator.traffic() if self.app and self.app.simulator else [])

    @property
    def resource_version(self) -> int:
        return self._call(lambda: self._state().store.resource_version)

    @property
    def requests(self) -> list[LoggedRequest]:
        return self._call(lambda: list(self.app.requests) if self.app else [])

    def clear_requests(self) -> None:
        self._call(lambda: self.app.requests.clear() if self.app else None)

    def set_watch_window(self, events: int) -> None:
        """Keep only the last `events` events per resource (0 = none): older resourceVersions get 410."""
        self._call(lambda: self._state().store.resize_window(events))

    def send_bookmarks(self) -> None:
        """Make every open watch that allows bookmarks receive one now."""
        self._call(self.hub.bookmark_all)

    def drop_watches(self) -> int:
        """End every open watch stream (as an API server restart would); returns how many."""
        return self._call(self.hub.drop_all)

    @property
    def open_watches(self) -> int:
        return self._call(lambda: len(self.hub.active))

    def fail_next(self, count: int, status: int = 500, retry_after: int = 1,
                  matcher: RequestMatcher = api_requests) -> None:
        """The next `count` matching requests get a 500 (or 429/503 with Retry-After)."""
        self._call(lambda: self.faults.fail_next(count, status, retry_after, matcher))

    def set_latency(self, seconds: float) -> None:
        self._call(lambda: setattr(self.faults, "latency", seconds))

    def clear_faults(self) -> None:
        self._call(self.faults.clear)

    def stop_listening(self) -> None:
        """Close the listening socket and every open connection: clients get 'connection refused'."""
        async def close() -> None:
            if self.app is not None:
                self.app.refusing = True
            self.hub.drop_all()
            if self._site is not None:
                await self._site.stop()
                self._site = None
            server = self._runner.server if self._runner else None
            for connection in list(getattr(server, "connections", []) or []):
                connection.force_close()
        self._run(close())

    def resume_listening(self) -> None:
        """Listen again on the same port."""
        async def reopen() -> None:
            await self._listen()
            if self.app is not None:
                self.app.refusing = False
        self._run(reopen())

    @contextlib.contextmanager
    def refusing_connections(self) -> Iterator[None]:
        self.stop_listening()
        try:
            yield
        finally:
            self.resume_listening()

    def _run(self, coroutine: Any) -> Any:
        if self._loop is None:
            raise RuntimeError("the sandbox cluster is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(30)

    def accepts_connections(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=1):
            return True
        return False


def run_forever(host: str = "127.0.0.1", port: int = 6443, layout: str = DEFAULT_LAYOUT,
                objects: Iterable[ObjectSource] | None = None, tls: bool = False,
                tokens: Mapping[str, User] | None = None, kubeconfig: str | Path | None = None,
                announce: Callable[[str], None] = print, simulate_traffic: bool = False) -> None:
    """Serve a sandbox cluster in the foreground until interrupted (the demo and `manage.py sandbox`)."""
    cluster = SandboxCluster(layout, objects, tls=tls, tokens=tokens, host=host, port=port)
    cluster.start()
    announce(f"sandbox cluster ({cluster.layout.name}) listening on {cluster.url}")
    if simulate_traffic:
        cluster.attach_simulator()
        announce(f"simulated traffic: SMI metrics API under /apis/metrics.smi-spec.io/, "
                 f"Prometheus text at {cluster.url}{PROMETHEUS_PATH}")
    if kubeconfig:
        user = next(iter(cluster.tokens.values())).name if cluster.tokens else "admin"
        path = cluster.write_kubeconfig(kubeconfig, user=user)
        announce(f"kubeconfig written to {path}")
    stopped = threading.Event()
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


__all__ = ["SandboxCluster", "run_forever", "project_schemas", "Rule", "User", "Authorizer"]
