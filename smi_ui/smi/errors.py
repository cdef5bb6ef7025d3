"""Errors of the SMI model, as values with structure (path, code, reason), never strings to parse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One problem in a manifest, addressed like the apiserver does: `spec.backends[0].weight`."""

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.message} [{self.code}]"


class SMIError(Exception):
    """Base class of every error raised by `smi_ui.smi`."""


class UnsupportedAPIVersion(SMIError):
    """A manifest whose group/version/kind the model does not read or write.

    Covers the pre-release `smi-spec.io/v1alpha1` group, drafts such as `split.smi-spec.io/v1beta1`
    and access v1alpha4 (IdentityBinding), unknown kinds in SMI groups, and non-SMI objects.
    """

    def __init__(self, group: str, version: str, kind: str, reason: str) -> None:
        self.group = group
        self.version = version
        self.kind = kind
        self.reason = reason
        api_version = f"{group}/{version}" if group else version
        super().__init__(f"{kind or '<no kind>'} in {api_version or '<no apiVersion>'} is not supported: {reason}")


class NotAnSMIObject(UnsupportedAPIVersion):
    """The manifest belongs to another API (a Deployment, a Service...)."""


class InvalidManifest(SMIError):
    """The manifest cannot be mapped onto the model: a modelled field has the wrong type."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(str(error) for error in self.errors))


class NotExpressible(SMIError):
    """The object holds something the target version has no field for (or no exact spelling of)."""

    def __init__(self, field: str, version: str, reason: str) -> None:
        self.field = field
        self.version = version
        self.reason = reason
        super().__init__(f"{field} cannot be written in {version}: {reason}")


def type_name(value: Any) -> str:
    """The JSON type of a value, as error messages name it (`integer`, `object`...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
