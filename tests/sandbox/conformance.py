"""The protocol features the sandbox promises, each to be proven by at least one passing test.

Tests name what they prove with ``@pytest.mark.covers("feature", ...)``; the conftest
records the features of passing tests and prints the table at the end of the run, so a
feature without a passing test shows as such instead of being claimed.
"""

from __future__ import annotations

# layout -> (same verdict and status code, also the same message, documents): filled by test_real_verdicts
VERDICT_AGREEMENT: dict[str, tuple[int, int, int]] = {}

FEATURES: dict[str, str] = {
    # discovery and OpenAPI
    "discovery.version": "/version",
    "discovery.legacy": "/api, /api/v1, /apis, /apis/<g>, /apis/<g>/<v> with complete APIResourceList entries",
    "discovery.aggregated": "aggregated discovery (apidiscovery.k8s.io/v2) as kubectl 1.32 asks for it",
    "openapi.v3": "/openapi/v3 documents that make kubectl send fieldValidation=Strict",
    # resources
    "resources.builtin": "core v1 Namespaces/Services/ServiceAccounts/Pods, apps/v1 Deployments",
    "resources.layouts": "SMI CRDs in the layout's versions (OSM TrafficSplit v1alpha2 only, smi-sdk-go v1alpha4)",
    "resources.crds": "apiextensions.k8s.io/v1 CustomResourceDefinitions listing the SMI CRDs with schemas",
    # verbs
    "verbs.list": "list namespaced and across all namespaces, list resourceVersion, paging",
    "verbs.label-selector": "labelSelector with =, !=, in, notin, exists, !exists",
    "verbs.field-selector": "fieldSelector on metadata.name / metadata.namespace",
    "verbs.get": "get; 404 NotFound Status for a missing object",
    "verbs.create": "create answers 201; 409 AlreadyExists",
    "verbs.update": "PUT; 409 Conflict on a stale resourceVersion",
    "verbs.patch-merge": "application/merge-patch+json",
    "verbs.patch-json": "application/json-patch+json (incl. test operations)",
    "verbs.patch-strategic": "application/strategic-merge-patch+json for built-in kinds (415 for custom)",
    "verbs.apply": "server-side apply: fieldManager, force, conflicts, create on apply",
    "verbs.delete": "delete with uid/resourceVersion preconditions; object or Status answer as upstream",
    "verbs.deletecollection": "deletecollection with selectors",
    "verbs.table": "Table responses (Accept: as=Table) that kubectl prints",
    "verbs.dry-run": "dryRun=All validates without storing, events or counter bumps",
    # object metadata
    "meta.resource-version": "cluster-wide resourceVersion counter stamped on every write",
    "meta.identity": "uid and creationTimestamp",
    "meta.generation": "generation bumped on spec changes only",
    "meta.managed-fields": "managedFields: manager names, operation Update/Apply, time",
    # watch
    "watch.stream": "chunked JSON-lines ADDED/MODIFIED/DELETED events",
    "watch.resume": "watch from a resourceVersion replays the events after it",
    "watch.initial-state": "resourceVersion 0 / absent starts with ADDED for the current state",
    "watch.bookmarks": "allowWatchBookmarks BOOKMARK events",
    "watch.timeout": "timeoutSeconds ends the stream",
    "watch.expired": "ERROR event with a 410 Expired Status for a resourceVersion older than the window",
    "watch.selectors": "?watch=true list form with label/field selector filtering",
    # errors
    "errors.invalid": "422 Invalid Status with causes, message in the real server's form",
    "errors.strict": "fieldValidation=Strict 400 'strict decoding error: unknown field'",
    "errors.warn": "fieldValidation=Warn 299 Warning header, pruned object",
    "errors.ignore": "fieldValidation=Ignore (and pruning) drops unknown fields silently",
    "errors.namespace-not-found": "404 `namespaces \"x\" not found` for a missing namespace",
    "errors.unserved": "404 for unserved versions and unknown resources",
    "errors.method-not-allowed": "405 MethodNotAllowed where upstream answers it",
    # security
    "auth.tokens": "bearer token authentication, 401 Unauthorized Status",
    "auth.forbidden": "per-token rules, 403 Forbidden in RBAC's wording",
    "auth.access-review": "SelfSubjectAccessReview (kubectl auth can-i) and SelfSubjectRulesReview",
    "auth.impersonation": "Impersonate-User/-Group honoured when allowed, 403 otherwise",
    "tls": "HTTPS with a generated CA in the kubeconfig's certificate-authority-data",
    # faults
    "faults.drop-watches": "end every open watch",
    "faults.refuse-connections": "close the listener (connection refused), resume on the same port",
    "faults.latency": "added latency",
    "faults.errors": "500 and 429 (Retry-After) for the next N requests",
    # clients
    "client.kubectl": "kubectl works unmodified (apply/unchanged, get, patch, replace, watch, SSA, can-i, --as)",
    "client.python-sync": "official Python client (sync): list, watch, create, patch, 409, 422",
    "client.python-async": "official Python client (kubernetes.aio): list, watch, create, patch, 409, 422",
    # fidelity
    "verdicts.smi-sdk-go": "same verdicts as a real kube-apiserver for every corpus document (smi-sdk-go CRDs)",
    "verdicts.osm": "same verdicts as a real kube-apiserver for every corpus document (OSM CRDs)",
    "verdicts.linkerd-smi": "same verdicts as a real kube-apiserver for every corpus document (linkerd-smi CRDs)",
    "verdicts.traefik-mesh": "same verdicts as a real kube-apiserver for every corpus document (Traefik CRDs)",
    # building blocks
    "schema.structural": "structural schema pruning and validation ported from kube-apiserver",
}
