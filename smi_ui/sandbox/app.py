"""The HTTP face of the sandbox: an aiohttp application that speaks the Kubernetes API.

One handler takes every request through the same steps as kube-apiserver's filter
chain - injected faults, authentication, impersonation, authorization - then routes it
to discovery, OpenAPI, the review APIs or a resource verb, and encodes the answer
(JSON, YAML, Table or a watch stream).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

import yaml
from aiohttp import web

from . import discovery, openapi, protobuf, tables
from . import status as statuses
from .auth import Attributes, Authorizer, Identity
from .cluster import ClusterState, DeleteOptions, WriteOptions
from .decoding import VALIDATION_MODES, parse_body, parse_json
from .faults import Faults
from .fielderrors import OMIT, FieldError, not_supported
from .resources import ResourceType
from .reviews import review
from .routing import RequestInfo, request_info
from .selectors import parse_field_selector, parse_label_selector
from .simulator import METRICS_API_PREFIX, PROMETHEUS_PATH, TrafficSimulator, metrics_api_document
from .status import ApiError
from .store import Compacted
from .watch import WatchHub, WatchRequest, run_watch

logger = logging.getLogger(__name__)
TABLE_CONTENT_TYPE = "application/json;as=Table;g=meta.k8s.io;v=v1"
LIST_TOO_OLD = "The resourceVersion for the provided list is too old."
CONTINUE_TOO_OLD = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of the "
    "results. Continuing with the provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may show up in the list.")


class PageNotFound(Exception):
    """A path no API group/version serves: upstream's NotFound handler answers in plain text, not a Status."""


def page_not_found() -> web.Response:
    return web.Response(status=404, text="404 page not found\n", content_type="text/plain")


@dataclass
class LoggedRequest:
    """What tests can assert about requests clients sent (method, path, query, user, content type).

    `user` is empty when the request failed before authentication (faults, 401).
    """

    method: str
    path: str
    query: dict[str, str]
    user: str
    content_type: str
    accept: str
    user_agent: str


@dataclass(frozen=True)
class Negotiated:
    table: bool = False
    table_version: str = "v1"
    metadata_only: bool = False
    yaml: bool = False


def negotiate(accept: str, info: RequestInfo) -> Negotiated:
    """Pick the response form the client asked for first (Table, PartialObjectMetadata, YAML, JSON)."""
    if not accept:
        return Negotiated()
    json_ok = False
    for entry in accept.split(","):
        media, *param_texts = [p.strip() for p in entry.split(";")]
        params = {p.split("=", 1)[0]: p.split("=", 1)[1] for p in param_texts if "=" in p}
        if media in ("application/json", "*/*", "application/*"):
            kind = params.get("as")
            if kind == "Table" and params.get("g") == "meta.k8s.io" and info.verb in ("get", "list", "watch"):
                return Negotiated(table=True, table_version=params.get("v", "v1"))
            if kind in ("PartialObjectMetadata", "PartialObjectMetadataList") and params.get("g") == "meta.k8s.io":
                return Negotiated(metadata_only=True)
            if kind is None:
                json_ok = True
                break
        elif media == "application/yaml":
            return Negotiated(yaml=True)
    if not json_ok:
        raise statuses.not_acceptable("application/json, application/yaml, application/vnd.kubernetes.protobuf")
    return Negotiated()


class SandboxApp:
    """Builds the aiohttp application around one cluster state."""

    def __init__(self, state: ClusterState, authorizer: Authorizer, faults: Faults, hub: WatchHub,
                 server_address: str = "127.0.0.1:6443"):
        self.state = state
        self.authorizer = authorizer
        self.faults = faults
        self.hub = hub
        self.server_address = server_address
        self.requests: deque[LoggedRequest] = deque(maxlen=5000)
        self.refusing = False  # set while the listener is closed (fault injection)
        self.simulator: TrafficSimulator | None = None  # serves the SMI metrics API when attached

    def application(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    # ---- entry point ------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.refusing:
            # A connection accepted just before the listener closed must not serve the outage.
            if request.transport is not None:
                request.transport.close()
            raise ConnectionResetError("the sandbox is refusing connections")
        audit_id = str(uuid.uuid4())
        try:
            response = await self._handle(request)
        except ApiError as error:
            response = self._status_response(error)
        except PageNotFound:
            response = page_not_found()
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception as error:  # a bug in the sandbox: answer like an apiserver that recovered a panic
            logger.exception("sandbox request %s %s failed", request.method, request.path)
            response = self._status_response(statuses.internal(f"{type(error).__name__}: {error}"))
        if not response.prepared:
            response.headers.setdefault("Audit-Id", audit_id)
            response.headers.setdefault("Cache-Control", "no-cache, private")
        return response

    def _status_response(self, error: ApiError) -> web.Response:
        response = web.json_response(error.status(), status=error.code)
        for key, value in error.headers.items():
            response.headers[key] = value
        return response

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        query = dict(request.query)
        info = request_info(request.method, path, query)
        logged = LoggedRequest(request.method, path, query, "", request.headers.get("Content-Type", ""),
                               request.headers.get("Accept", ""), request.headers.get("User-Agent", ""))
        self.requests.append(logged)  # every request, including the ones that fail below
        if self.faults.latency:
            await asyncio.sleep(self.faults.latency)
        failure = self.faults.failure_for(request.method, path)
        if failure is not None:
            raise failure
        identity = self.authorizer.authenticate(request.headers.get("Authorization"), path)
        identity = self.authorizer.impersonate(identity, request.headers.get("Impersonate-User"),
                                               request.headers.getall("Impersonate-Group", []))
        logged.user = identity.name
        if self.simulator is not None and (path.startswith(METRICS_API_PREFIX) or path == PROMETHEUS_PATH):
            return self._traffic(request, info, identity)
        if not info.is_resource:
            return await self._non_resource(request, path, identity)
        return await self._resource(request, info, query, identity)

    def _traffic(self, request: web.Request, info: RequestInfo, identity: Identity) -> web.Response:
        """The simulator's SMI metrics API (an aggregated API on a real cluster) and its scrape endpoint."""
        assert self.simulator is not None
        if request.method != "GET":
            raise statuses.method_not_allowed()
        if request.path == PROMETHEUS_PATH:  # like a proxy's metrics port: scraped without API authorization
            return web.Response(text=self.simulator.prometheus_text(), content_type="text/plain")
        self.authorizer.require(identity, Attributes(info.verb, info.group, info.resource, info.namespace, info.name,
                                                     info.subresource))
        document = metrics_api_document(self.simulator, request.path, request.query.get("t"))
        if document is None:
            raise statuses.path_not_found()
        return web.json_response(document)

    # ---- non-resource paths -----------------------------------------------------------------

    async def _non_resource(self, request: web.Request, path: str, identity: Identity) -> web.StreamResponse:
        if not self.authorizer.allowed(identity, Attributes(request.method.lower(), path=path)):
            raise ApiError(403, "Forbidden", f'forbidden: User "{identity.name}" cannot get path "{path}"', {})
        if request.method not in ("GET", "HEAD"):
            if path.startswith(("/api", "/apis")):
                raise statuses.method_not_allowed()
            raise statuses.path_not_found()
        catalog = self.state.catalog
        accept = request.headers.get("Accept", "")
        parts = [p for p in path.split("/") if p]
        if path in ("/healthz", "/livez", "/readyz"):
            return web.Response(text="ok", content_type="text/plain")
        if path == "/version":
            return web.json_response(discovery.VERSION_INFO)
        if parts and parts[0] == "openapi":
            return self._openapi(parts, request)
        if parts == ["api"] or parts == ["apis"]:
            aggregated = discovery.wants_aggregated(accept)
            if aggregated:
                document = discovery.aggregated(catalog, parts == ["api"], aggregated)
                tag = discovery.etag(document)
                if request.headers.get("If-None-Match") == tag:
                    return web.Response(status=304, headers={"ETag": tag})
                response = web.Response(text=json.dumps(document), headers={"ETag": tag, "Vary": "Accept"})
                response.headers["Content-Type"] = aggregated
                return response
            if parts == ["api"]:
                return web.json_response(discovery.api_versions(self.server_address))
            return web.json_response(discovery.api_group_list(catalog))
        if len(parts) == 2 and parts[0] == "api":
            if parts[1] in catalog.versions(""):
                return web.json_response(discovery.resource_list(catalog, "", parts[1]))
            raise PageNotFound()
        if len(parts) == 2 and parts[0] == "apis":
            if parts[1] in catalog.groups():
                return web.json_response(discovery.api_group(catalog, parts[1]))
            raise PageNotFound()
        if len(parts) == 3 and parts[0] == "apis":
            if parts[1] in catalog.groups() and parts[2] in catalog.versions(parts[1]):
                return web.json_response(discovery.resource_list(catalog, parts[1], parts[2]))
            raise PageNotFound()
        return page_not_found()

    def _openapi(self, parts: list[str], request: web.Request) -> web.Response:
        catalog = self.state.catalog
        if parts == ["openapi", "v3"]:
            return web.json_response(openapi.root_document(catalog))
        if len(parts) >= 4 and parts[1] == "v3":
            rest = parts[2:]
            if rest[0] == "api" and len(rest) == 2:
                group, version = "", rest[1]
            elif rest[0] == "apis" and len(rest) == 3:
                group, version = rest[1], rest[2]
            else:
                raise statuses.path_not_found()
            document = openapi.group_version_document(catalog, group, version)
            if document is None:
                raise statuses.path_not_found()
            response = web.json_response(document)
            if request.query.get("hash"):
                response.headers["Cache-Control"] = "public, immutable"
            return response
        if parts == ["openapi", "v2"]:
            version = discovery.VERSION_INFO["gitVersion"]
            if "protobuf" in request.headers.get("Accept", ""):
                response = web.Response(body=protobuf.openapi_v2_document(version))
                response.headers["Content-Type"] = protobuf.OPENAPI_V2
                return response
            return web.json_response({"swagger": "2.0", "info": {"title": "Kubernetes", "version": version},
                                      "paths": {}, "definitions": {}})
        raise statuses.path_not_found()

    # ---- resources --------------------------------------------------------------------------

    def _resource_type(self, info: RequestInfo) -> ResourceType:
        catalog = self.state.catalog
        resource_type = catalog.lookup(info.group, info.version, info.resource)
        if resource_type is None:
            built_in = any(not t.custom for t in catalog.in_version(info.group, info.version))
            if built_in:  # a group/version the server itself serves: a Status from its resource router
                raise statuses.path_not_found()
            raise PageNotFound()  # no such group/version (or no CRD serves it): the fall-through handler
        if info.subresource and info.subresource not in resource_type.subresources:
            raise statuses.path_not_found()
        if not resource_type.namespaced and info.namespace and info.resource != "namespaces":
            raise statuses.path_not_found()
        return resource_type

    async def _resource(self, request: web.Request, info: RequestInfo, query: dict[str, str],
                        identity: Identity) -> web.StreamResponse:
        resource_type = self._resource_type(info)
        verb = info.verb
        if verb in ("update", "patch") and not info.name:
            raise statuses.method_not_allowed()
        if verb not in resource_type.verbs and not (info.subresource and verb in ("get", "update", "patch")):
            raise statuses.method_not_allowed()
        if resource_type.namespaced and info.cluster_path_for_namespaced and verb not in ("list", "watch"):
            if verb in ("create", "deletecollection"):
                raise statuses.method_not_allowed()
            raise statuses.path_not_found()
        attributes = Attributes(verb, info.group, info.resource, info.namespace, info.name, info.subresource)
        if resource_type.virtual:
            body = parse_body(await request.read(), request.headers.get("Content-Type", "application/json"))
            return web.json_response(review(self.authorizer, resource_type, identity, body), status=201)
        self.authorizer.require(identity, attributes)
        negotiated = negotiate(request.headers.get("Accept", ""), info)
        namespace = info.namespace if resource_type.namespaced else ""
        if verb == "watch":
            return await self._watch(request, resource_type, info, query, negotiated)
        if verb == "list":
            return self._list(resource_type, info, query, negotiated)
        if verb == "get":
            obj = self.state.get(resource_type, namespace, info.name)
            return self._object_response(resource_type, obj, 200, negotiated, query)
        if verb == "deletecollection":
            labels = parse_label_selector(query.get("labelSelector"))
            fields = parse_field_selector(query.get("fieldSelector"), resource_type.kind)
            options = await self._delete_options(request, query)
            result = self.state.delete_collection(resource_type, namespace or None, labels, fields, options)
            return self._encode(result, 200, negotiated)
        if verb == "delete":
            options = await self._delete_options(request, query)
            result = self.state.delete(resource_type, namespace, info.name, options)
            return self._encode(result, 200, negotiated)
        options = self._write_options(request, query)
        body = await request.read()
        content_type = request.headers.get("Content-Type", "application/json")
        if verb == "create":
            obj = self.state.create(resource_type, namespace, parse_body(body, content_type), options)
            return self._object_response(resource_type, obj, 201, negotiated, query, options.warnings)
        if verb == "update":
            obj = self.state.update(resource_type, namespace, info.name, parse_body(body, content_type), options,
                                    info.subresource)
            return self._object_response(resource_type, obj, 200, negotiated, query, options.warnings)
        if verb == "patch":
            obj, created = self.state.patch(resource_type, namespace, info.name, body, content_type, options,
                                            info.subresource)
            return self._object_response(resource_type, obj, 201 if created else 200, negotiated, query,
                                         options.warnings)
        raise statuses.method_not_allowed()

    def _write_options(self, request: web.Request, query: dict[str, str]) -> WriteOptions:
        dry_run = query.get("dryRun", "")
        if dry_run and dry_run != "All":
            raise statuses.invalid("meta.k8s.io", "CreateOptions", "", [
                not_supported("dryRun", dry_run, ["All"])])
        validation = query.get("fieldValidation") or "Warn"
        if validation not in VALIDATION_MODES:
            raise statuses.bad_request(f"fieldValidation parameter unsupported: {validation}. Supported values "
                                       f"are: Ignore, Warn, Strict")
        return WriteOptions(dry_run=dry_run == "All", field_manager=query.get("fieldManager", ""),
                            user_agent=request.headers.get("User-Agent", ""), field_validation=validation,
                            force=query.get("force") == "true")

    async def _delete_options(self, request: web.Request, query: dict[str, str]) -> DeleteOptions:
        body = await request.read()
        options: dict[str, Any] = {}
        if body.strip():
            parsed = parse_json(body)
            if isinstance(parsed, dict):
                options = parsed
        preconditions = options.get("preconditions") or {}
        dry_run = query.get("dryRun") == "All" or "All" in (options.get("dryRun") or [])
        return DeleteOptions(dry_run=dry_run, uid=preconditions.get("uid"),
                             resource_version=preconditions.get("resourceVersion"),
                             propagation_policy=options.get("propagationPolicy") or query.get("propagationPolicy"))

    # ---- encoding ---------------------------------------------------------------------------

    def _encode(self, document: dict[str, Any], status: int, negotiated: Negotiated,
                warnings: list[str] | None = None, content_type: str = "application/json") -> web.Response:
        if negotiated.yaml:
            response = web.Response(text=yaml.safe_dump(document, sort_keys=False), status=status)
            response.headers["Content-Type"] = "application/yaml"
        else:
            response = web.Response(text=json.dumps(document), status=status)
            response.headers["Content-Type"] = content_type
        for warning in warnings or []:
            response.headers.add("Warning", f"299 - {json.dumps(warning)}")
        return response

    def _object_response(self, resource_type: ResourceType, obj: dict[str, Any], status: int, negotiated: Negotiated,
                         query: dict[str, str], warnings: list[str] | None = None) -> web.Response:
        if negotiated.table:
            document = tables.table(resource_type, [obj], {"resourceVersion": obj["metadata"].get(
                "resourceVersion", "")}, query.get("includeObject", "Metadata"))
            return self._encode(document, status, negotiated, warnings, TABLE_CONTENT_TYPE)
        if negotiated.metadata_only:
            obj = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}
        return self._encode(obj, status, negotiated, warnings)

    def _list(self, resource_type: ResourceType, info: RequestInfo, query: dict[str, str],
              negotiated: Negotiated) -> web.Response:
        labels = parse_label_selector(query.get("labelSelector"))
        fields = parse_field_selector(query.get("fieldSelector"), resource_type.kind)
        namespace = info.namespace if resource_type.namespaced and not info.cluster_path_for_namespaced else None
        if resource_type.kind == "Namespace":
            namespace = None
        exact = self._exact_version(query)
        after, at = self._continue_from(query)
        at = exact if exact is not None else at
        limit = self._limit(query)
        try:
            items, resource_version = self.state.list(resource_type, namespace, labels, fields, after, limit, at)
        except Compacted:
            raise statuses.expired(CONTINUE_TOO_OLD if after is not None else LIST_TOO_OLD) from None
        metadata: dict[str, Any] = {"resourceVersion": resource_version}
        if limit > 0 and len(items) > limit:
            items = items[:limit]
            last = items[-1]["metadata"]
            start = (last.get("namespace", ""), last["name"])
            metadata["continue"] = base64.urlsafe_b64encode(json.dumps(
                {"v": "meta.k8s.io/v1", "rv": int(resource_version), "start": list(start)}).encode()).decode()
            metadata["remainingItemCount"] = self.state.count_after(resource_type, namespace, labels, fields, start,
                                                                    int(resource_version))
        if negotiated.table:
            document = tables.table(resource_type, items, metadata, query.get("includeObject", "Metadata"))
            return self._encode(document, 200, negotiated, content_type=TABLE_CONTENT_TYPE)
        if negotiated.metadata_only:
            document = {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": metadata,
                        "items": [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                   "metadata": i["metadata"]} for i in items]}
            return self._encode(document, 200, negotiated)
        if not resource_type.custom:
            for item in items:
                item.pop("apiVersion", None)
                item.pop("kind", None)
        document = {"apiVersion": resource_type.api_version, "kind": resource_type.list_kind, "metadata": metadata,
                    "items": items}
        return self._encode(document, 200, negotiated)

    @staticmethod
    def _continue_from(query: dict[str, str]) -> tuple[tuple[str, str] | None, int | None]:
        """`continue` tokens remember the last key handed out (namespace, name) and the list's snapshot.

        Later pages are read at that resourceVersion, so a paginated list is one consistent
        snapshot whose resourceVersion does not move (410 once etcd compacted it).
        """
        token = query.get("continue")
        if not token:
            return None, None
        try:
            after = json.loads(base64.urlsafe_b64decode(token.encode()))
            namespace, name = after["start"]
            snapshot = int(after["rv"])
        except (ValueError, KeyError, TypeError):
            raise statuses.bad_request("continue key is not valid: incorrect encoded start resourceVersion "
                                       "(version meta.k8s.io/v1)") from None
        return (str(namespace), str(name)), snapshot

    def _exact_version(self, query: dict[str, str]) -> int | None:
        """`resourceVersionMatch=Exact`: the list as it was at that resourceVersion (410 if compacted)."""
        match = query.get("resourceVersionMatch")
        if not match:
            return None
        requested = query.get("resourceVersion")
        problems = []
        if match not in ("Exact", "NotOlderThan"):
            problems.append(not_supported("resourceVersionMatch", match, ["Exact", "NotOlderThan"]))
        elif not requested:
            problems.append(FieldError("Forbidden", "resourceVersionMatch", OMIT,
                                       "resourceVersionMatch is forbidden unless resourceVersion is provided"))
        elif query.get("continue"):
            problems.append(FieldError("Forbidden", "resourceVersionMatch", OMIT,
                                       "resourceVersionMatch is forbidden when continue is provided"))
        elif match == "Exact" and requested == "0":
            problems.append(FieldError("Forbidden", "resourceVersionMatch", OMIT,
                                       'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'))
        if problems:
            raise statuses.invalid("meta.k8s.io", "ListOptions", "", problems)
        if match != "Exact":
            return None
        try:
            revision = int(requested)
        except ValueError:
            raise statuses.expired(LIST_TOO_OLD) from None
        current = self.state.store.resource_version
        if revision > current:
            raise ApiError(504, "Timeout", f"Too large resource version: {revision}, current: {current}",
                           {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                            "retryAfterSeconds": 1})
        return revision

    @staticmethod
    def _limit(query: dict[str, str]) -> int:
        try:
            return max(0, int(query.get("limit") or 0))
        except ValueError:
            return 0

    async def _watch(self, request: web.Request, resource_type: ResourceType, info: RequestInfo,
                     query: dict[str, str], negotiated: Negotiated) -> web.StreamResponse:
        labels = parse_label_selector(query.get("labelSelector"))
        fields = parse_field_selector(query.get("fieldSelector"), resource_type.kind)
        if info.name:
            fields = parse_field_selector(f"metadata.name={info.name}", resource_type.kind)
        namespace = info.namespace if resource_type.namespaced and not info.cluster_path_for_namespaced else None
        try:
            timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds") else None
        except ValueError:
            timeout = None
        watch_request = WatchRequest(resource_type, namespace, labels, fields, query.get("resourceVersion"),
                                     query.get("allowWatchBookmarks") == "true", timeout,
                                     query.get("sendInitialEvents") == "true")
        response = web.StreamResponse(status=200)
        response.headers["Content-Type"] = TABLE_CONTENT_TYPE if negotiated.table else "application/json"
        response.headers["Cache-Control"] = "no-cache, private"
        response.enable_chunked_encoding()
        await response.prepare(request)
        first_table = [True]

        async def emit(event_type: str, obj: dict[str, Any]) -> None:
            if negotiated.table and event_type in ("ADDED", "MODIFIED", "DELETED"):
                obj = tables.table(resource_type, [obj], {"resourceVersion": obj["metadata"].get("resourceVersion")},
                                   query.get("includeObject", "Metadata"), with_columns=first_table[0])
                first_table[0] = False
            line = json.dumps({"type": event_type, "object": obj}) + "\n"
            await response.write(line.encode())

        try:
            await run_watch(self.state, self.hub, watch_request, emit)
        except (ConnectionResetError, asyncio.CancelledError):
            return response
        try:
            await response.write_eof()
        except ConnectionResetError:
            pass
        return response
