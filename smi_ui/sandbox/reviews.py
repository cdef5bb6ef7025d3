"""The self-review APIs: SelfSubjectAccessReview (`kubectl auth can-i`), SelfSubjectRulesReview
(`can-i --list`) and SelfSubjectReview (`kubectl auth whoami`).

They are create-only and never stored: the answer is computed from the caller's identity.
"""

from __future__ import annotations

from typing import Any

from .auth import Attributes, Authorizer, Identity
from .resources import ResourceType
from .status import bad_request

DISCOVERY_PATHS = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/openapi", "/openapi/*", "/version",
                   "/version/"]


def review(authorizer: Authorizer, resource_type: ResourceType, identity: Identity, body: Any) -> dict[str, Any]:
    """The review object with its `status` filled in for `identity`."""
    if not isinstance(body, dict):
        raise bad_request("the body of a review must be an object")
    spec = body.get("spec") or {}
    result: dict[str, Any] = {"kind": resource_type.kind, "apiVersion": resource_type.api_version,
                              "metadata": {"creationTimestamp": None}}
    if resource_type.kind == "SelfSubjectAccessReview":
        result["spec"] = spec
        result["status"] = access_review(authorizer, spec, identity)
    elif resource_type.kind == "SelfSubjectRulesReview":
        result["spec"] = spec
        result["status"] = {
            "resourceRules": authorizer.resource_rules(identity, spec.get("namespace", "")),
            "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": DISCOVERY_PATHS}],
            "incomplete": False,
        }
    else:
        result["status"] = {"userInfo": {"username": identity.name, "groups": list(identity.groups)}}
    return result


def access_review(authorizer: Authorizer, spec: dict[str, Any], identity: Identity) -> dict[str, Any]:
    resource = spec.get("resourceAttributes")
    if resource:
        attributes = Attributes(resource.get("verb", ""), resource.get("group", ""), resource.get("resource", ""),
                                resource.get("namespace", ""), resource.get("name", ""),
                                resource.get("subresource", ""))
    else:
        non_resource = spec.get("nonResourceAttributes") or {}
        attributes = Attributes(non_resource.get("verb", ""), path=non_resource.get("path", ""))
    allowed = authorizer.allowed(identity, attributes)
    status: dict[str, Any] = {"allowed": allowed}
    if allowed:
        status["reason"] = f'allowed by sandbox rules for user "{identity.name}"'
    return status
