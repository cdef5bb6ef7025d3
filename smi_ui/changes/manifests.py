"""Turning request input (a JSON object or YAML text) into one manifest, or saying exactly why not.

Input is hostile until proven otherwise, so every step costs at most linear time in its
size: YAML anchors and aliases are refused (expanding them is exponential: a few hundred
bytes of nested aliases stand for billions of nodes), so are duplicate mapping keys
(kubectl and the API server refuse them too), documents nested deeper than `MAX_DEPTH`
and texts larger than `MAX_YAML_BYTES`. Walks over a document are iterative and visit
each node once.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent, CollectionStartEvent, NodeEvent

from .errors import InvalidEdit, problem

MAX_YAML_BYTES = 512 * 1024
#: Levels of mappings and lists a manifest (or an API body) may nest; SMI objects need fewer than ten.
MAX_DEPTH = 64
MAX_PROBLEMS = 100

_BaseLoader: tuple[type, ...] = (Composer, yaml.CSafeLoader) if yaml.__with_libyaml__ else (yaml.SafeLoader,)


class RefusedYAML(ConstructorError):
    """YAML that is valid but not accepted here; `code` says why."""

    def __init__(self, code: str, message: str, mark: Any) -> None:
        super().__init__(None, None, message, mark)
        self.code = code


class ManifestLoader(*_BaseLoader):  # type: ignore[misc]
    """PyYAML's safe loader (libyaml's parser when present) refusing anchors, aliases, duplicate keys, deep nesting.

    Composition is PyYAML's Python composer, so each event is seen here before it becomes a node.
    Timestamps become text (as Kubernetes reads a manifest's YAML as JSON).
    """

    def __init__(self, stream: str) -> None:
        _BaseLoader[-1].__init__(self, stream)
        Composer.__init__(self)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise RefusedYAML("yaml-alias", f"aliases (*{event.anchor}) are not accepted", event.start_mark)
        if isinstance(event, NodeEvent) and event.anchor is not None:
            raise RefusedYAML("yaml-alias", f"anchors (&{event.anchor}) are not accepted", event.start_mark)
        if not isinstance(event, CollectionStartEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise RefusedYAML("too-deep", f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # `<<:` would override keys unseen, as aliases do
                    raise RefusedYAML("yaml-merge-key", "merge keys (<<) are not accepted: write the keys out",
                                      key_node.start_mark)
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:
                    continue  # an unhashable key: SafeConstructor names it below
                if first is not None:
                    raise RefusedYAML("yaml-duplicate-key", f"duplicate key {key!r} (first at line {first.line + 1})",
                                      key_node.start_mark)
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: Any) -> str:
        value = super().construct_yaml_timestamp(node)
        return value.isoformat() if isinstance(value, datetime.date) else value


ManifestLoader.add_constructor("tag:yaml.org,2002:timestamp", ManifestLoader.construct_yaml_timestamp)


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


def load_yaml_documents(text: str) -> list[Any]:
    """Every non-empty document of `text`, loaded by `ManifestLoader`; YAML errors name line and column."""
    try:
        return [doc for doc in yaml.load_all(text, Loader=ManifestLoader) if doc is not None]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = error.problem or str(error)
        if isinstance(error, RefusedYAML):
            raise InvalidEdit([problem("yaml", f"{reason}{where}", error.code)]) from None
        if "nesting depth" in reason:  # libyaml's own limit, met while it scans ahead
            raise InvalidEdit([problem("yaml", f"nested deeper than {MAX_DEPTH} levels{where}", "too-deep")]) from None
        raise InvalidEdit([problem("yaml", f"not valid YAML{where}: {reason}", "yaml")]) from None
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        raise InvalidEdit([problem("yaml", f"not valid YAML: {error}", "yaml")]) from None


def _from_yaml(text: Any) -> dict[str, Any]:
    if not isinstance(text, str):
        raise InvalidEdit([problem("yaml", "yaml must be text", "type")])
    if len(text) > MAX_YAML_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise InvalidEdit([problem("yaml", f"the YAML is larger than {MAX_YAML_BYTES} bytes", "too-large")])
    documents = load_yaml_documents(text)
    if len(documents) != 1:
        raise InvalidEdit([problem("yaml", f"expected exactly one object, found {len(documents)}", "documents")])
    document = documents[0]
    if not isinstance(document, dict):
        raise InvalidEdit([problem("yaml", "the YAML document must be an object (a mapping)", "type")])
    errors = json_problems(document, "")
    if errors:
        raise InvalidEdit(errors)
    return document


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any, Any, int]]:
    """`(path, key, value, depth)` of every value in a JSON-like document, in document order.

    Iterative (no recursion limit to hit) and stopping below `MAX_DEPTH`: a value that deep
    is yielded with its depth but its children are not.
    """
    stack: list[tuple[str, Any, Any, int]] = [(path, None, value, 1)]
    while stack:
        item = stack.pop()
        yield item
        here, _, current, depth = item
        if depth > MAX_DEPTH:
            continue
        if isinstance(current, dict):
            children = [(f"{here}.{key}" if here else str(key), key, child, depth + 1)
                        for key, child in current.items()]
        elif isinstance(current, list):
            children = [(f"{here}[{index}]", None, child, depth + 1) for index, child in enumerate(current)]
        else:
            continue
        stack.extend(reversed(children))


def too_deep(value: Any) -> str | None:
    """The path of the first value nested deeper than `MAX_DEPTH`, or None."""
    for path, _, _, depth in walk(value):
        if depth > MAX_DEPTH:
            return path
    return None


def json_problems(value: Any, path: str) -> list[dict[str, str]]:
    """What JSON (and the cluster) cannot carry: non-string keys, binary, NaN, NUL characters, deep nesting."""
    errors: list[dict[str, str]] = []
    skipped: tuple[str, ...] = ()  # under a key that is not valid Unicode nothing more is looked at
    for here, key, item, depth in walk(value, path):
        if skipped and here.startswith(skipped):
            continue
        if depth > MAX_DEPTH:
            errors.append(problem(here, f"nested deeper than {MAX_DEPTH} levels", "too-deep"))
            break
        if key is not None:
            parent = here[: len(here) - len(str(key)) - 1] if here != str(key) else ""
            if not isinstance(key, str):
                errors.append(problem(here, f"keys must be strings, not {type(key).__name__}", "type"))
            elif not _is_unicode(key):
                errors.append(problem(parent or "<root>", "keys must be valid Unicode", "encoding"))
                skipped = (*skipped, here + ".", here + "[")
                continue
            elif "\x00" in key:
                errors.append(problem(here.replace("\x00", "\\0"), "keys must not contain NUL characters", "nul"))
        errors.extend(_value_problems(item, here))
        if len(errors) >= MAX_PROBLEMS:
            break
    return errors[:MAX_PROBLEMS]


def _value_problems(value: Any, path: str) -> list[dict[str, str]]:
    if isinstance(value, dict | list) or value is None or isinstance(value, bool | int):
        return []
    if isinstance(value, str):
        if "\x00" in value:
            return [problem(path, "text must not contain NUL characters", "nul")]
        if not _is_unicode(value):
            return [problem(path, "text must be valid Unicode (no lone surrogates)", "encoding")]
        return []
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return [problem(path, "numbers must be finite", "type")]
        return []
    return [problem(path, f"{type(value).__name__} values cannot be written to a cluster", "type")]


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
