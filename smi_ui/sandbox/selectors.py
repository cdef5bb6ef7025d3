"""Label and field selectors, parsed and matched as apimachinery does (`labels.Parse`, `fields.ParseSelector`).

Used by list, watch and deletecollection; a malformed selector is a 400 with the
parser's complaint, an unsupported field label is `field label not supported: x`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .objectmeta import label_value, qualified_name
from .status import ApiError, bad_request

_SPECIAL = set("(),=!<> \t\n")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # =, !=, in, notin, exists, !, gt, lt
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.operator in ("=", "in"):
            return present and value in self.values
        if self.operator in ("!=", "notin"):
            return not present or value not in self.values
        if self.operator == "exists":
            return present
        if self.operator == "!":
            return not present
        if self.operator in ("gt", "lt"):
            if not present:
                return False
            try:
                number = int(value or "")
            except ValueError:
                return False
            limit = int(self.values[0])
            return number > limit if self.operator == "gt" else number < limit
        return False


class LabelSelector:
    """A parsed `labelSelector`: every requirement must hold (AND)."""

    def __init__(self, requirements: list[Requirement]):
        self.requirements = requirements

    def matches(self, labels: dict[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif text.startswith(("==", "!="), index):
            tokens.append(text[index:index + 2])
            index += 2
        elif char in "(),=!<>":
            tokens.append(char)
            index += 1
        else:
            start = index
            while index < len(text) and text[index] not in _SPECIAL:
                index += 1
            tokens.append(text[start:index])
    return tokens


def _is_identifier(token: str | None) -> bool:
    return bool(token) and token[0] not in "(),=!<>"


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse `a=b,c!=d,e in (f,g),h notin (i),j,!k,l>3`; raise a 400 ApiError on bad input."""
    if not text or not text.strip():
        return LabelSelector([])
    tokens = _tokens(text)
    requirements: list[Requirement] = []
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def fail(found: str | None, expected: str) -> ApiError:
        return bad_request(f"unable to parse requirement: found '{found or ''}', expected: {expected}")

    while position < len(tokens):
        current = peek()
        if current == "!":
            position += 1
            key = peek()
            if not _is_identifier(key):
                raise fail(key, "identifier")
            position += 1
            requirements.append(Requirement(_check_key(key or ""), "!"))
        elif _is_identifier(current):
            key = _check_key(current or "")
            position += 1
            operator = peek()
            if operator in (None, ","):
                requirements.append(Requirement(key, "exists"))
            elif operator in ("=", "==", "!="):
                position += 1
                value = peek()
                if value in (None, ","):
                    value = ""
                elif not _is_identifier(value):
                    raise fail(value, "identifier")
                else:
                    position += 1
                requirements.append(Requirement(key, "!=" if operator == "!=" else "=", (_check_value(value),)))
            elif operator in ("in", "notin"):
                position += 1
                if peek() != "(":
                    raise fail(peek(), "'('")
                position += 1
                values: list[str] = []
                while True:
                    value = peek()
                    if value == ")":
                        position += 1
                        break
                    if value == ",":
                        values.append("")
                        position += 1
                        continue
                    if not _is_identifier(value):
                        raise fail(value, "',', ')' or identifier")
                    values.append(_check_value(value or ""))
                    position += 1
                    if peek() == ",":
                        position += 1
                    elif peek() != ")":
                        raise fail(peek(), "',' or ')'")
                if not values:
                    raise bad_request("unable to parse requirement: "
                                      "for 'in', 'notin' operators, values set can't be empty")
                requirements.append(Requirement(key, operator, tuple(values)))
            elif operator in (">", "<"):
                position += 1
                value = peek()
                if not _is_identifier(value):
                    raise fail(value, "identifier")
                position += 1
                try:
                    int(value or "")
                except ValueError:
                    raise bad_request(f"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an "
                                      f"integer, got {value}") from None
                requirements.append(Requirement(key, "gt" if operator == ">" else "lt", (value or "",)))
            else:
                raise fail(operator, "'=', '!=', '==', 'in', notin'")
        else:
            raise fail(current, "!, identifier")
        if peek() == ",":
            position += 1
            if peek() is None:
                raise fail(None, "identifier after ','")
        elif peek() is not None:
            raise fail(peek(), "','")
    return LabelSelector(requirements)


def _check_key(key: str) -> str:
    problems = qualified_name(key)
    if problems:
        raise bad_request(f'unable to parse requirement: key: Invalid value: "{key}": {problems[0]}')
    return key


def _check_value(value: str) -> str:
    problems = label_value(value)
    if problems:
        raise bad_request(f'unable to parse requirement: values[0][key]: Invalid value: "{value}": {problems[0]}')
    return value


# field label -> how to read it from an object
FieldGetter = Callable[[dict[str, Any]], str]

COMMON_FIELDS: dict[str, FieldGetter] = {
    "metadata.name": lambda o: o.get("metadata", {}).get("name", ""),
    "metadata.namespace": lambda o: o.get("metadata", {}).get("namespace", ""),
}
EXTRA_FIELDS: dict[str, dict[str, FieldGetter]] = {
    "Pod": {
        "spec.nodeName": lambda o: (o.get("spec") or {}).get("nodeName", ""),
        "spec.serviceAccountName": lambda o: (o.get("spec") or {}).get("serviceAccountName", ""),
        "status.phase": lambda o: (o.get("status") or {}).get("phase", ""),
        "status.podIP": lambda o: (o.get("status") or {}).get("podIP", ""),
    },
    "Namespace": {"status.phase": lambda o: (o.get("status") or {}).get("phase", "")},
}


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    equal: bool
    value: str


class FieldSelector:
    """A parsed `fieldSelector` for one kind (only fields that kind supports)."""

    def __init__(self, requirements: list[FieldRequirement], getters: dict[str, FieldGetter]):
        self.requirements = requirements
        self._getters = getters

    def matches(self, obj: dict[str, Any]) -> bool:
        for requirement in self.requirements:
            actual = self._getters[requirement.field](obj)
            if (actual == requirement.value) != requirement.equal:
                return False
        return True

    def exact_name(self) -> str | None:
        for requirement in self.requirements:
            if requirement.field == "metadata.name" and requirement.equal:
                return requirement.value
        return None


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts, current, escaped = [], "", False
    for char in text:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _unescape(value: str) -> str:
    out, escaped = "", False
    for char in value:
        if escaped:
            out += char
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out += char
    return out


def parse_field_selector(text: str | None, kind: str) -> FieldSelector:
    getters = dict(COMMON_FIELDS)
    getters.update(EXTRA_FIELDS.get(kind, {}))
    requirements: list[FieldRequirement] = []
    if text and text.strip():
        for part in _split_unescaped(text, ","):
            if not part:
                continue
            operator = next((op for op in ("!=", "==", "=") if op in part), None)
            if operator is None:
                raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
            field, _, value = part.partition(operator)
            equal = operator != "!="
            field = field.strip()
            if field not in getters:
                raise bad_request(f"field label not supported: {field}")
            requirements.append(FieldRequirement(field, equal, _unescape(value)))
    return FieldSelector(requirements, getters)
