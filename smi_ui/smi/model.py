"""The version-neutral model's common parts: every kind's dataclass (in its `kinds/` module) builds on these.

Fields the document omits are None (not empty), so that writing an object back produces
the document that was read; validation, not the model, decides what is required. Every
object remembers the version it came from and the document itself (`source`), which the
codec uses to keep everything the model does not describe (labels, unknown fields...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar, Literal

from .kindspec import KindInfo

HeaderShape = Literal["map", "list"]


@dataclass(kw_only=True)
class SMIObject:
    """What every SMI object has: metadata, the version it was read from, and its source document."""

    INFO: ClassVar[KindInfo]

    version: str
    metadata: dict[str, Any] | None = None
    source: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def kind(self) -> str:
        return self.INFO.kind

    @property
    def api_version(self) -> str:
        return self.INFO.api_version(self.version)

    def _meta(self, key: str, expected: type) -> Any:
        value = self.metadata.get(key) if isinstance(self.metadata, dict) else None
        return value if isinstance(value, expected) else None

    @property
    def name(self) -> str | None:
        return self._meta("name", str)

    @property
    def namespace(self) -> str | None:
        return self._meta("namespace", str)

    @property
    def labels(self) -> dict[str, str]:
        return dict(self._meta("labels", dict) or {})

    @property
    def annotations(self) -> dict[str, str]:
        return dict(self._meta("annotations", dict) or {})

    @property
    def owner_references(self) -> list[dict[str, Any]]:
        return [ref for ref in self._meta("ownerReferences", list) or [] if isinstance(ref, dict)]


@dataclass(kw_only=True)
class Backend:
    """A backend Service and its weight; weights are relative (exact, any version's units)."""

    service: str | None = None
    weight: Fraction | None = None
