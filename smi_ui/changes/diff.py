"""Showing what an edit changes: both versions as YAML and a unified diff between them."""

from __future__ import annotations

import copy
import difflib
from typing import Any

import yaml

# Fields that change on every write or only record bookkeeping: noise in a diff.
_VOLATILE_METADATA = ("managedFields", "resourceVersion", "generation")


def for_display(document: dict[str, Any] | None) -> dict[str, Any] | None:
    """A copy without server bookkeeping (managedFields, resourceVersion, generation)."""
    if document is None:
        return None
    copied = copy.deepcopy(document)
    metadata = copied.get("metadata")
    if isinstance(metadata, dict):
        for key in _VOLATILE_METADATA:
            metadata.pop(key, None)
    return copied


def to_yaml(document: dict[str, Any] | None) -> str:
    if document is None:
        return ""
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False, allow_unicode=True)


def unified_diff(before: dict[str, Any] | None, after: dict[str, Any] | None, *, name: str = "object",
                 labels: tuple[str, str] = ("current", "after")) -> str:
    """The diff a reviewer reads: bookkeeping left out, so only real changes show.

    `labels` name the two sides in the headers (an edit: current/after; a comparison: the two revisions).
    """
    old = to_yaml(for_display(before)).splitlines(keepends=True)
    new = to_yaml(for_display(after)).splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, fromfile=f"{name} ({labels[0]})", tofile=f"{name} ({labels[1]})"))
