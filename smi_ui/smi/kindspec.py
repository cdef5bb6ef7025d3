"""What a kind is: its identity (`KindInfo`), its whole specification (`KindSpec`) and the registry.

Each kind is one module under `smi/kinds/` holding one `KindSpec`: names and versions, the
version-neutral model class, the shapes per version, how to read and write it, its checks,
what each CRD publisher and each installation layout does with it, and the *traits* generic
code asks for (weighted backends, edge source, access rule, route spec). `smi/kinds/`
freezes them into one `Registry` at import, which every layer reads; no other table is
keyed by a kind's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class KindInfo:
    """What a cluster and a client need to know about one kind: its names, group and versions."""

    kind: str
    group: str
    plural: str
    singular: str
    short_names: tuple[str, ...]
    versions: tuple[str, ...]  # oldest first; every version the spec ever defined
    namespaced: bool = True

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def latest_version(self) -> str:
        return self.versions[-1]

    def api_version(self, version: str) -> str:
        return f"{self.group}/{version}"

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{self.group}"


@dataclass(frozen=True)
class Patch:
    """One difference between a publisher's CRD and the generated base, with the reason it exists."""

    kind: str
    versions: tuple[str, ...]
    op: str  # "retype" | "require" | "add" | "drop"
    path: str  # dotted field path, `[]` for array items: "spec.backends[].weight"
    why: str
    value: Any = None  # the new type, or the Node to add

    def describe(self) -> str:
        change = {
            "retype": f"type {self.value}",
            "require": "required",
            "add": "declared",
            "drop": "not declared",
        }[self.op]
        return f"{self.kind} {'/'.join(self.versions)}: {self.path} {change} ({self.why})"


@dataclass(frozen=True)
class Published:
    """What one CRD publisher ships for a kind: versions with a schema, versions without one, patches."""

    structural: tuple[str, ...] = ()
    schemaless: tuple[str, ...] = ()
    patches: tuple[Patch, ...] = ()


@dataclass(frozen=True)
class WeightGroup:
    """One set of backends whose weights are relative to each other (a split; one rule of a route)."""

    key: str  # stable within the object: "backends", "rules[0]"...
    services: tuple[str | None, ...]
    weights: tuple[Any, ...]  # Fraction | None, in the object's own units


@dataclass(frozen=True)
class WeightedBackends:
    """Trait: the kind spreads traffic over weighted backends, in one or more weight groups.

    `groups(obj)` lists them; `with_weights(obj, key, weights)` returns the object with one
    group's weights replaced (exact Fractions, one per backend, in order).
    """

    groups: Callable[[Any], list[WeightGroup]]
    with_weights: Callable[[Any, str, Sequence[Any]], Any]
    root: Callable[[Any], str | None]  # the Service clients address, if the kind has one


@dataclass(frozen=True)
class EdgeSource:
    """Trait: the kind draws topology edges. `edges(normalized)` -> [(from service, to service, backend key)].

    The backend key is what the object's `shares` are keyed by (the backend's service as written).
    """

    edges: Callable[[Mapping[str, Any]], list[tuple[str, str, Any]]]


@dataclass(frozen=True)
class AccessRule:
    """Trait: the kind allows traffic between identities; read by the policy graph and the demo's traffic.

    `pairs(obj)` -> [((source namespace, account), (destination namespace, account))] it allows.
    """

    pairs: Callable[[Any], list[tuple[tuple[str, str], tuple[str, str]]]]


@dataclass(frozen=True)
class RouteSpec:
    """Trait: the kind defines matches other kinds refer to by name (route groups, port routes)."""


@dataclass(frozen=True)
class Traits:
    """The traits generic code asks the registry for; None means the kind lacks it."""

    weighted: WeightedBackends | None = None
    edge_source: EdgeSource | None = None
    access_rule: AccessRule | None = None
    route_spec: RouteSpec | None = None


TRAIT_NAMES = ("weighted", "edge_source", "access_rule", "route_spec")


@dataclass(frozen=True, kw_only=True, eq=False)
class KindSpec(KindInfo):
    """Everything the project knows about one kind; `smi/kinds/<kind>.py` holds one."""

    family: str = "smi"
    model: type  # the version-neutral dataclass (an `SMIObject`)
    shapes: Mapping[str, Any]  # version -> shapes.Node
    read: Callable[..., dict[str, Any]]  # (reader, kind, version) -> model fields
    write: Callable[..., None]  # (obj, target version, fragment, header shape) -> fills the fragment
    containers: tuple[str, ...]  # roles of the modelled containers, outermost first (moved on conversion)
    checks: Callable[[dict[str, Any], str], list[Any]]  # spec rules beyond the CRD schema
    # versions seen in the wild, with why they are not read
    unsupported_versions: Mapping[str, str] = field(default_factory=dict)
    published: Mapping[str, Published] = field(default_factory=dict)  # publisher -> its CRDs for this kind
    served_in: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # layout -> versions served (storage first)
    traits: Traits = field(default_factory=Traits)
    # a minimal new object (version, namespace) -> model, what an editor starts from; None: an empty model
    starter: Callable[[str, str], Any] | None = None
    # extra `kubectl get` columns the publishers' CRDs declare (the sandbox installs them)
    printer_columns: tuple[Mapping[str, str], ...] = ()

    def __post_init__(self) -> None:
        self.model.INFO = self  # the model class answers `obj.INFO` with its specification

    def has(self, trait: str) -> bool:
        return getattr(self.traits, trait) is not None


class Registry:
    """The registered kinds, frozen at import: by name, by (group, plural), by group, by trait."""

    def __init__(self, specs: Sequence[KindSpec], refused_groups: Mapping[str, str] = _EMPTY) -> None:
        self._install(tuple(specs), dict(refused_groups))

    def _install(self, specs: tuple[KindSpec, ...], refused_groups: dict[str, str]) -> None:
        self._specs = specs
        self._by_name = MappingProxyType({spec.kind: spec for spec in specs})
        self._by_plural = MappingProxyType({(spec.group, spec.plural): spec for spec in specs})
        self._groups = tuple(dict.fromkeys(spec.group for spec in specs))
        self._refused = MappingProxyType(refused_groups)

    def __iter__(self) -> Iterator[KindSpec]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def names(self) -> list[str]:
        return list(self._by_name)

    def get(self, name: str | None) -> KindSpec | None:
        return self._by_name.get(name) if isinstance(name, str) else None

    def __getitem__(self, name: str) -> KindSpec:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"unknown SMI kind {name!r}") from None

    def by_plural(self, group: str, plural: str) -> KindSpec | None:
        return self._by_plural.get((group, plural))

    def by_plural_only(self, plural: str) -> KindSpec | None:
        """The kind a URL path names by its plural alone (`trafficsplits`), whatever its group."""
        return next((spec for spec in self._specs if spec.plural == plural), None)

    def from_url(self, name: str | None) -> KindSpec | None:
        """A kind named the way URLs and query strings name it: its plural (`trafficsplits`) or its kind."""
        if not isinstance(name, str):
            return None
        return self.by_plural_only(name.lower()) or self._by_name.get(name)

    def groups(self) -> tuple[str, ...]:
        """Every registered API group, in registration order: what discovery scans."""
        return self._groups

    def in_group(self, group: str) -> tuple[KindSpec, ...]:
        return tuple(spec for spec in self._specs if spec.group == group)

    def with_trait(self, trait: str) -> tuple[KindSpec, ...]:
        if trait not in TRAIT_NAMES:
            raise KeyError(f"unknown trait {trait!r}; known: {', '.join(TRAIT_NAMES)}")
        return tuple(spec for spec in self._specs if spec.has(trait))

    def has_trait(self, name: str | None, trait: str) -> bool:
        """Whether the kind named `name` is registered and has `trait`."""
        spec = self.get(name)
        return spec is not None and spec.has(trait)

    def refused_group(self, group: str) -> str | None:
        """Why a group that looks like a registered family's is not read (pre-release, aggregated APIs)."""
        return self._refused.get(group)

    def plurals_pattern(self) -> str:
        """A regular expression matching every registered plural (URL converters)."""
        return "|".join(sorted((spec.plural for spec in self._specs), key=len, reverse=True))

    @contextmanager
    def including(self, *specs: KindSpec) -> Iterator[Registry]:
        """Tests only: the registry with `specs` added, for the duration of a `with` block."""
        saved = (self._specs, dict(self._refused))
        self._install((*self._specs, *specs), dict(self._refused))
        try:
            yield self
        finally:
            self._install(*saved)


class LiveMapping(Mapping[str, Any]):
    """A read-only mapping computed from the registry each time it is read (publishers, layouts)."""

    def __init__(self, build: Callable[[], Mapping[str, Any]]) -> None:
        self._build = build

    def __getitem__(self, key: str) -> Any:
        return self._build()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._build())

    def __len__(self) -> int:
        return len(self._build())

    def __repr__(self) -> str:
        return repr(dict(self._build()))


def split_api_version(api_version: str) -> tuple[str, str]:
    """`group/version` -> (group, version); a bare `v1` has the empty core group."""
    if "/" in api_version:
        group, _, version = api_version.partition("/")
        return group, version
    return "", api_version
