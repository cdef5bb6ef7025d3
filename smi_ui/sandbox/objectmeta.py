"""ObjectMeta validation with apimachinery's exact messages (names, namespace, labels, annotations).

`metadata.name` errors are the first thing a user meets ("a lowercase RFC 1123 subdomain
must consist of ..."), so the wording, examples and regexes are copied from
k8s.io/apimachinery/pkg/util/validation.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from . import fielderrors as fe
from .fielderrors import FieldError

NameRule = Literal["subdomain", "label", "dns1035", "path-segment"]

_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
              "and must start and end with an alphanumeric character")
_SUBDOMAIN_FMT = _LABEL_FMT + "(\\." + _LABEL_FMT + ")*"
_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                  "and must start and end with an alphanumeric character")
_DNS1035_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                "start with an alphabetic character, and end with an alphanumeric character")
_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QNAME_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', "
              "and must start and end with an alphanumeric character")
_LABEL_VALUE_FMT = f"({_QNAME_FMT})?"
_LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                    "and must start and end with an alphanumeric character")
_ANNOTATIONS_LIMIT = 256 * 1024


def _full(fmt: str) -> re.Pattern[str]:
    return re.compile(f"^{fmt}$")


_LABEL_RE = _full(_LABEL_FMT)
_SUBDOMAIN_RE = _full(_SUBDOMAIN_FMT)
_DNS1035_RE = _full(_DNS1035_FMT)
_QNAME_RE = _full(_QNAME_FMT)
_LABEL_VALUE_RE = _full(_LABEL_VALUE_FMT)


def regex_error(message: str, fmt: str, *examples: str) -> str:
    """validation.RegexError: note the double space Go's loop leaves between examples."""
    if not examples:
        return f"{message} (regex used for validation is '{fmt}')"
    text = message + " (e.g. "
    for index, example in enumerate(examples):
        if index:
            text += " or "
        text += f"'{example}', "
    return text + f"regex used for validation is '{fmt}')"


def _max_len(length: int) -> str:
    return f"must be no more than {length} characters"


def dns1123_subdomain(value: str) -> list[str]:
    errors = []
    if len(value) > 253:
        errors.append(_max_len(253))
    if not _SUBDOMAIN_RE.match(value):
        errors.append(regex_error(_SUBDOMAIN_MSG, _SUBDOMAIN_FMT, "example.com"))
    return errors


def dns1123_label(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append(_max_len(63))
    if not _LABEL_RE.match(value):
        if _SUBDOMAIN_RE.match(value):
            errors.append("must not contain dots")
        else:
            errors.append(regex_error(_LABEL_MSG, _LABEL_FMT, "my-name", "123-abc"))
    return errors


def dns1035_label(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append(_max_len(63))
    if not _DNS1035_RE.match(value):
        errors.append(regex_error(_DNS1035_MSG, _DNS1035_FMT, "my-name", "abc-123"))
    return errors


def path_segment(value: str) -> list[str]:
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{bad}'" for bad in ("/", "%") if bad in value]


NAME_RULES = {
    "subdomain": dns1123_subdomain,
    "label": dns1123_label,
    "dns1035": dns1035_label,
    "path-segment": path_segment,
}


def qualified_name(value: str) -> list[str]:
    errors: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend("prefix part " + msg for msg in dns1123_subdomain(prefix))
    else:
        return ["a qualified name " + regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part " + _max_len(63))
    if not _QNAME_RE.match(name):
        errors.append("name part " + regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc"))
    return errors


def label_value(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append(_max_len(63))
    if not _LABEL_VALUE_RE.match(value):
        errors.append(regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


def check_types(metadata: Any) -> str | None:
    """Why `metadata` cannot be decoded into ObjectMeta (Go's json error), or None."""
    if not isinstance(metadata, dict):
        return "json: cannot unmarshal into Go struct field of type v1.ObjectMeta"
    for key in ("name", "generateName", "namespace", "uid", "resourceVersion"):
        if key in metadata and metadata[key] is not None and not isinstance(metadata[key], str):
            return (f"json: cannot unmarshal {_go_kind(metadata[key])} into Go struct field "
                    f"ObjectMeta.metadata.{key} of type string")
    for key in ("labels", "annotations"):
        value = metadata.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            return (f"json: cannot unmarshal {_go_kind(value)} into Go struct field "
                    f"ObjectMeta.metadata.{key} of type map[string]string")
        for item in value.values():
            if item is not None and not isinstance(item, str):
                return (f"json: cannot unmarshal {_go_kind(item)} into Go struct field "
                        f"ObjectMeta.metadata.{key} of type string")
    return None


def _go_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def validate_metadata(metadata: dict[str, Any], namespaced: bool, name_rule: NameRule) -> list[FieldError]:
    """ValidateObjectMetaAccessor: the checks every kind's metadata gets, in upstream order."""
    errors: list[FieldError] = []
    check_name = NAME_RULES[name_rule]
    generate_name = metadata.get("generateName") or ""
    if generate_name:
        errors.extend(fe.invalid("metadata.generateName", generate_name, msg)
                      for msg in check_name(_strip_generate_suffix(generate_name, name_rule)))
    name = metadata.get("name") or ""
    if not name:
        errors.append(fe.required("metadata.name", "name or generateName is required"))
    else:
        errors.extend(fe.invalid("metadata.name", name, msg) for msg in check_name(name))
    namespace = metadata.get("namespace") or ""
    if namespaced:
        if not namespace:
            errors.append(fe.required("metadata.namespace"))
        else:
            errors.extend(fe.invalid("metadata.namespace", namespace, msg) for msg in dns1123_label(namespace))
    elif namespace:
        errors.append(fe.FieldError("Forbidden", "metadata.namespace", fe.OMIT, "not allowed on this type"))
    generation = metadata.get("generation")
    if isinstance(generation, int) and generation < 0:
        errors.append(fe.invalid("metadata.generation", generation, "must be greater than or equal to 0"))
    for key, value in (metadata.get("labels") or {}).items():
        errors.extend(fe.invalid("metadata.labels", key, msg) for msg in qualified_name(key))
        errors.extend(fe.invalid("metadata.labels", value or "", msg) for msg in label_value(value or ""))
    annotations = metadata.get("annotations") or {}
    total = 0
    for key, value in annotations.items():
        errors.extend(fe.invalid("metadata.annotations", key, msg) for msg in qualified_name(key.lower()))
        total += len(key) + len(value or "")
    if total > _ANNOTATIONS_LIMIT:
        errors.append(fe.too_long("metadata.annotations", _ANNOTATIONS_LIMIT))
    return errors


def _strip_generate_suffix(prefix: str, rule: NameRule) -> str:
    """Upstream validates a generateName prefix with a trailing '-' allowed."""
    if rule in ("subdomain", "label", "dns1035"):
        return prefix[:-1] if prefix.endswith("-") else prefix
    return prefix


def validate_metadata_update(metadata: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """ValidateObjectMetaAccessorUpdate's rules that the server does not mend itself, in upstream order.

    A deleting object takes no new finalizers (what would remove them?), and `uid` is
    immutable: an update that sends none keeps the stored one, a different one is refused.
    """
    errors: list[FieldError] = []
    if old.get("deletionTimestamp"):
        extra = sorted(set(_strings(metadata.get("finalizers"))) - set(_strings(old.get("finalizers"))))
        if extra:
            found = "[]string{" + ", ".join(fe.go_quote(name) for name in extra) + "}"
            errors.append(fe.FieldError("Forbidden", "metadata.finalizers", fe.OMIT,
                                        f"no new finalizers can be added if the object is being deleted, "
                                        f"found new finalizers {found}"))
    uid = metadata.get("uid")
    if uid and uid != old.get("uid"):
        errors.append(fe.invalid("metadata.uid", uid, "field is immutable"))
    return errors


def _strings(values: Any) -> list[str]:
    return [value for value in values or [] if isinstance(value, str)]


def mark_deleting(metadata: dict[str, Any], now: str) -> bool:
    """The registry's markAsDeleting for an object its finalizers hold; False when it already was.

    The first mark bumps `generation` (for kinds that track it), so controllers that
    compare observedGeneration notice the deletion; the grace period becomes 0.
    """
    if metadata.get("deletionTimestamp"):
        return False
    if isinstance(metadata.get("generation"), int) and metadata["generation"] > 0:
        metadata["generation"] += 1
    metadata["deletionTimestamp"] = now
    metadata["deletionGracePeriodSeconds"] = 0
    return True
