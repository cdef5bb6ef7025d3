"""Helpers shared by the SMI tests: YAML as Kubernetes reads it, the shared test data, fixtures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

FIXTURES = Path(__file__).parent / "fixtures"
REPO_ROOT = Path(__file__).resolve().parents[2]


class KubeYAMLLoader(yaml.SafeLoader):
    """Safe YAML without timestamp resolution: kubectl turns `2020-01-01` into a string, not a date."""


KubeYAMLLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_all(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=KubeYAMLLoader))


def load_one(text: str) -> Any:
    return yaml.load(text, Loader=KubeYAMLLoader)  # noqa: S506 - a SafeLoader subclass


def fixture_documents(name: str) -> list[dict[str, Any]]:
    return [doc for doc in load_all((FIXTURES / name).read_text()) if doc]


def fixture_document(name: str, kind: str, api_version: str) -> dict[str, Any]:
    for doc in fixture_documents(name):
        if doc["kind"] == kind and doc["apiVersion"] == api_version:
            return doc
    raise LookupError(f"no {kind} {api_version} in {name}")


def smi_spec_dir() -> Path:
    """The shared SMI test data (`../shared/smi-spec`, or $SMI_SPEC_DIR); skips the test when absent."""
    configured = os.environ.get("SMI_SPEC_DIR")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "smi-spec"
    if not (path / "crds").is_dir():
        pytest.skip(f"SMI test data not found at {path} (set SMI_SPEC_DIR to run the conformance tests)")
    return path
