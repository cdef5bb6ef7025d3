"""Bearer-token authentication, rule-based authorization and impersonation.

A deliberately small stand-in for RBAC: each token maps to a user with groups and
rules (verbs x group/resources x namespaces [x names]). Denials carry RBAC's wording
(`User "alice" cannot patch resource "trafficsplits" in API group "split.smi-spec.io"
in the namespace "default"`) so clients and people see what a real cluster says.
With no tokens configured, every request is an all-powerful admin (the demo's default).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .status import ApiError, forbidden, unauthorized

MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"


@dataclass(frozen=True)
class Rule:
    """An RBAC-like PolicyRule: `verbs` on `resources` of `groups`, in `namespaces`, optionally only `names`.

    `"*"` is a wildcard everywhere; `""` is the core group; a subresource is written
    `pods/status` (and `pods/*` covers all of them). `namespaces=("*",)` also covers
    cluster-scoped resources.
    """

    verbs: tuple[str, ...]
    groups: tuple[str, ...] = ("*",)
    resources: tuple[str, ...] = ("*",)
    namespaces: tuple[str, ...] = ("*",)
    names: tuple[str, ...] = ()

    def allows(self, verb: str, group: str, resource: str, namespace: str, name: str) -> bool:
        if "*" not in self.verbs and verb not in self.verbs:
            return False
        if "*" not in self.groups and group not in self.groups:
            return False
        if not any(_resource_matches(pattern, resource) for pattern in self.resources):
            return False
        if "*" not in self.namespaces and namespace not in self.namespaces:
            return False
        return not self.names or name in self.names

    def as_resource_rule(self) -> dict[str, Any]:
        rule: dict[str, Any] = {"verbs": list(self.verbs), "apiGroups": list(self.groups),
                                "resources": list(self.resources)}
        if self.names:
            rule["resourceNames"] = list(self.names)
        return rule


def _resource_matches(pattern: str, resource: str) -> bool:
    if pattern in ("*", resource):
        return True
    return pattern.endswith("/*") and resource.startswith(pattern[:-1])


ALLOW_ALL = (Rule(("*",)),)


@dataclass(frozen=True)
class User:
    """Who a token authenticates as, and what it may do."""

    name: str
    groups: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Identity:
    name: str
    groups: tuple[str, ...]
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Attributes:
    """What a request wants to do, as RBAC sees it."""

    verb: str
    group: str = ""
    resource: str = ""
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    path: str = ""  # non-resource requests (/version, /apis, /openapi/v3)

    @property
    def is_resource(self) -> bool:
        return bool(self.resource)


class Authorizer:
    """Authenticates tokens, authorizes attributes and resolves impersonation headers."""

    def __init__(self, tokens: Mapping[str, User] | None = None,
                 group_rules: Mapping[str, Iterable[Rule]] | None = None):
        self.tokens = dict(tokens or {})
        self.group_rules = {name: tuple(rules) for name, rules in (group_rules or {}).items()}
        self.group_rules.setdefault(MASTERS, ALLOW_ALL)
        self.users_by_name = {user.name: user for user in self.tokens.values()}

    @property
    def enabled(self) -> bool:
        return bool(self.tokens)

    def authenticate(self, authorization: str | None, path: str) -> Identity:
        if not self.enabled:
            return Identity("admin", (MASTERS, AUTHENTICATED))
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            if authorization is None and path in ("/version", "/healthz", "/livez", "/readyz"):
                return Identity("system:anonymous", ("system:unauthenticated",))
            raise unauthorized()
        user = self.tokens.get(token.strip())
        if user is None:
            raise unauthorized()
        return Identity(user.name, (*user.groups, AUTHENTICATED))

    def rules_for(self, identity: Identity) -> tuple[Rule, ...]:
        rules: list[Rule] = []
        user = self.users_by_name.get(identity.name)
        if user is not None:
            rules.extend(user.rules)
        for group in identity.groups:
            rules.extend(self.group_rules.get(group, ()))
        return tuple(rules)

    def allowed(self, identity: Identity, attributes: Attributes) -> bool:
        if not attributes.is_resource:
            return identity.name != "system:anonymous" or attributes.path in ("/version", "/healthz")
        resource = attributes.resource + (f"/{attributes.subresource}" if attributes.subresource else "")
        return any(rule.allows(attributes.verb, attributes.group, resource, attributes.namespace, attributes.name)
                   for rule in self.rules_for(identity))

    def require(self, identity: Identity, attributes: Attributes) -> None:
        if not self.allowed(identity, attributes):
            raise denial(identity, attributes)

    def impersonate(self, identity: Identity, user: str | None, groups: list[str]) -> Identity:
        """Apply `Impersonate-User`/`Impersonate-Group`; 403 unless the caller may `impersonate` them."""
        if not user and not groups:
            return identity
        if not user:
            raise ApiError(500, "InternalError",
                           "Internal error occurred: requested impersonation of groups without a user")
        self.require(identity, Attributes("impersonate", "", "users", "", user))
        for group in groups:
            self.require(identity, Attributes("impersonate", "", "groups", "", group))
        target = self.users_by_name.get(user)
        if groups:
            impersonated_groups = tuple(groups)
        else:
            impersonated_groups = target.groups if target else ()
        return Identity(user, (*impersonated_groups, AUTHENTICATED))

    def resource_rules(self, identity: Identity, namespace: str) -> list[dict[str, Any]]:
        rules = [
            {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
             "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]},
        ]
        rules.extend(r.as_resource_rule() for r in self.rules_for(identity)
                     if "*" in r.namespaces or namespace in r.namespaces)
        return rules


def denial(identity: Identity, attributes: Attributes) -> ApiError:
    """RBAC's 403 wording for a resource request."""
    resource = attributes.resource + (f"/{attributes.subresource}" if attributes.subresource else "")
    why = (f'User "{identity.name}" cannot {attributes.verb} resource "{resource}" '
           f'in API group "{attributes.group}"')
    why += f' in the namespace "{attributes.namespace}"' if attributes.namespace else " at the cluster scope"
    return forbidden(attributes.group, attributes.resource, attributes.name or None, why)
