"""Turning request input (a JSON object or YAML text) into one manifest, or saying exactly why not."""

from __future__ import annotations

import datetime
from typing import Any

import yaml

from .errors import InvalidEdit, problem

MAX_YAML_BYTES = 512 * 1024


def manifest_from_input(manifest: Any = None, yaml_text: Any = None, *, path: str = "manifest") -> dict[str, Any]:
    """The manifest given as a structured object or as YAML text (exactly one of them)."""
    if (manifest is None) == (yaml_text is None):
        raise InvalidEdit([problem(path, "give the object either as `manifest` (JSON) or as `yaml` (text)",
                                   "required")])
    if yaml_text is not None:
        return _from_yaml(yaml_text)
    if not isinstance(manifest, dict):
        raise InvalidEdit([problem(path, "the manifest must be an object", "type")])
    errors = json_problems(manifest, "")
    if errors:
        raise InvalidEdit(errors)
    return manifest


def _from_yaml(text: Any) -> dict[str, Any]:
    if not isinstance(text, str):
        raise InvalidEdit([problem("yaml", "yaml must be text", "type")])
    if len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise InvalidEdit([problem("yaml", f"the YAML is larger than {MAX_YAML_BYTES} bytes", "too-large")])
    try:
        documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        raise InvalidEdit([problem("yaml", f"not valid YAML{where}: {reason}", "yaml")]) from None
    except (ValueError, RecursionError) as error:
        raise InvalidEdit([problem("yaml", f"not valid YAML: {error}", "yaml")]) from None
    if len(documents) != 1:
        raise InvalidEdit([problem("yaml", f"expected exactly one object, found {len(documents)}", "documents")])
    document = _plain(documents[0])
    if not isinstance(document, dict):
        raise InvalidEdit([problem("yaml", "the YAML document must be an object (a mapping)", "type")])
    errors = json_problems(document, "")
    if errors:
        raise InvalidEdit(errors)
    return document


def _plain(value: Any) -> Any:
    """YAML timestamps become strings, as Kubernetes would read them; everything else stays."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def json_problems(value: Any, path: str) -> list[dict[str, str]]:
    """What JSON (and the cluster) cannot carry: non-string keys, binary, NaN, NUL characters."""
    errors: list[dict[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if not isinstance(key, str):
                errors.append(problem(child, f"keys must be strings, not {type(key).__name__}", "type"))
            elif not _is_unicode(key):
                errors.append(problem(path or "<root>", "keys must be valid Unicode", "encoding"))
                continue
            elif "\x00" in key:
                errors.append(problem(child.replace("\x00", "\\0"), "keys must not contain NUL characters", "nul"))
            errors.extend(json_problems(item, child))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            errors.extend(json_problems(item, f"{path}[{index}]"))
    elif isinstance(value, str):
        if "\x00" in value:
            errors.append(problem(path, "text must not contain NUL characters", "nul"))
        elif not _is_unicode(value):
            errors.append(problem(path, "text must be valid Unicode (no lone surrogates)", "encoding"))
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            errors.append(problem(path, "numbers must be finite", "type"))
    elif not (value is None or isinstance(value, bool | int)):
        errors.append(problem(path, f"{type(value).__name__} values cannot be written to a cluster", "type"))
    return errors[:100]


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
