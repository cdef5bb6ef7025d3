"""The one place that answers "may this user do this, there?" and "where may this user look?".

Every list, detail, edit and export (and, later, every websocket subscription) asks here.
A grant covers a cluster (or all) and a namespace (or all); a user holds the grants made
to them and to their groups. Superusers may do everything everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from smi_ui.smi.kinds import REGISTRY

from .models import Grant
from .roles import ROLE_ACTIONS, Action

_CACHE_ATTRIBUTE = "_smi_ui_scopes"


@dataclass(frozen=True)
class Scope:
    """Where a grant applies: None cluster = every cluster, empty namespace = every namespace."""

    cluster_id: int | None
    namespace: str

    def covers(self, cluster_id: int | None, namespace: str) -> bool:
        """Namespaced targets need the namespace (or all); cluster-wide targets (namespace "") need all."""
        if self.cluster_id is not None and self.cluster_id != cluster_id:
            return False
        return not self.namespace or self.namespace == namespace

    @property
    def unlimited(self) -> bool:
        return self.cluster_id is None and not self.namespace


def scopes_for(user: Any, action: Action) -> list[Scope]:
    """Every scope in which `user` may perform `action` (cached on the user object for one request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return [Scope(None, "")]
    cache: dict[Action, list[Scope]] | None = getattr(user, _CACHE_ATTRIBUTE, None)
    if cache is None:
        cache = _load_scopes(user)
        setattr(user, _CACHE_ATTRIBUTE, cache)
    return cache.get(action, [])


def forget_cached_scopes(user: Any) -> None:
    """Drop the per-request cache (after grants change within the same request or test)."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def _load_scopes(user: Any) -> dict[Action, list[Scope]]:
    grants = Grant.objects.filter(Q(user=user) | Q(group__in=user.groups.all())).values_list(
        "role", "cluster_id", "namespace"
    )
    by_action: dict[Action, list[Scope]] = {}
    for role, cluster_id, namespace in grants:
        for action in ROLE_ACTIONS.get(role, ()):
            by_action.setdefault(action, []).append(Scope(cluster_id, namespace))
    return by_action


def is_weighted(kind: str) -> bool:
    """Whether the edit-weights grant covers `kind`: every kind with weighted backends, nothing else."""
    return REGISTRY.has_trait(kind, "weighted")


def may(user: Any, action: Action, *, cluster_id: int | None, namespace: str, kind: str | None = None) -> bool:
    """Whether `user` may perform `action` on `kind` objects in (cluster, namespace)."""
    if action == Action.EDIT_WEIGHTS and kind is not None and not is_weighted(kind):
        return False
    if action == Action.MANAGE_ACCESS:
        return any(scope.unlimited for scope in scopes_for(user, action))
    return any(scope.covers(cluster_id, namespace) for scope in scopes_for(user, action))


def may_anywhere(user: Any, action: Action) -> bool:
    """Whether `user` holds `action` in at least one scope (to tell 403 from "nothing to show")."""
    return bool(scopes_for(user, action))


def visible_q(user: Any, action: Action = Action.VIEW, *, cluster_field: str = "cluster_id",
              namespace_field: str = "namespace") -> Q:
    """A filter for rows addressed by (cluster, namespace) that `user` may see with `action`."""
    return _scopes_q(scopes_for(user, action), cluster_field, namespace_field)


def visible_namespaces_q(user: Any, *, cluster_field: str = "cluster_id", name_field: str = "name") -> Q:
    """A filter for Namespace objects: a namespace-limited grant shows that namespace itself."""
    return _scopes_q(scopes_for(user, Action.VIEW), cluster_field, name_field)


def visible_clusters_q(user: Any, *, pk_field: str = "pk") -> Q:
    """A filter for clusters in which `user` may see anything at all."""
    scopes = scopes_for(user, Action.VIEW)
    if any(scope.cluster_id is None for scope in scopes):
        return Q()
    ids = {scope.cluster_id for scope in scopes}
    return Q(**{f"{pk_field}__in": sorted(ids)}) if ids else Q(pk__in=[])


def _scopes_q(scopes: Iterable[Scope], cluster_field: str, namespace_field: str) -> Q:
    query = Q(pk__in=[])  # matches nothing: no scope, no rows
    for scope in scopes:
        if scope.unlimited:
            return Q()
        part = Q()
        if scope.cluster_id is not None:
            part &= Q(**{cluster_field: scope.cluster_id})
        if scope.namespace:
            part &= Q(**{namespace_field: scope.namespace})
        query |= part
    return query
