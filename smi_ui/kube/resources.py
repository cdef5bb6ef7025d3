"""The API resources smi-ui reads and writes, addressed the same way for every kind."""

from __future__ import annotations

from dataclasses import dataclass

from smi_ui.smi.kinds import REGISTRY, KindInfo


@dataclass(frozen=True)
class Resource:
    """One group/version/resource, enough to build every URL the client needs."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The REST path: cluster-wide lists when namespace is None."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{name}"
        return base


NAMESPACES = Resource("", "v1", "namespaces", "Namespace", namespaced=False)
SERVICES = Resource("", "v1", "services", "Service")
SERVICE_ACCOUNTS = Resource("", "v1", "serviceaccounts", "ServiceAccount")
PODS = Resource("", "v1", "pods", "Pod")
DEPLOYMENTS = Resource("apps", "v1", "deployments", "Deployment")

#: Kinds that link SMI objects to workloads: always synced, whatever SMI CRDs exist.
CORE_RESOURCES: tuple[Resource, ...] = (NAMESPACES, SERVICES, SERVICE_ACCOUNTS, DEPLOYMENTS)


def smi_resource(info: KindInfo, version: str) -> Resource:
    return Resource(info.group, version, info.plural, info.kind)


def smi_kind_for(group: str, plural: str) -> KindInfo | None:
    return REGISTRY.by_plural(group, plural)
