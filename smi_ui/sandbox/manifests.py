"""Loading objects for a sandbox from YAML text, files, or already-parsed dicts."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

ObjectSource = dict[str, Any] | str | Path


def load_objects(sources: Iterable[ObjectSource] | ObjectSource | None) -> list[dict[str, Any]]:
    """Flatten dicts, multi-document YAML strings and YAML files (`*.yaml`, `*.yml`) into objects.

    `List` kinds are unpacked; empty documents are skipped.
    """
    if sources is None:
        return []
    if isinstance(sources, (dict, str, Path)):
        sources = [sources]
    objects: list[dict[str, Any]] = []
    for source in sources:
        if isinstance(source, dict):
            documents: list[Any] = [source]
        elif isinstance(source, Path):
            documents = list(yaml.safe_load_all(source.read_text()))
        else:
            documents = list(yaml.safe_load_all(source))
        for document in documents:
            if not document:
                continue
            if not isinstance(document, dict):
                raise ValueError(f"a manifest document must be a mapping, got {type(document).__name__}")
            if document.get("kind", "").endswith("List") and isinstance(document.get("items"), list):
                objects.extend(load_objects(document["items"]))
            else:
                objects.append(document)
    return objects
