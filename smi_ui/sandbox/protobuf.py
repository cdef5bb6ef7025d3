"""The little protobuf kubectl needs: a few request bodies, and an (empty) OpenAPI v2 document.

kubectl's typed clients (`kubectl create namespace`, `create serviceaccount`,
`auth can-i`, `auth whoami`) post `application/vnd.kubernetes.protobuf`, not JSON. This
reads the Kubernetes envelope (`k8s\\0` + runtime.Unknown) and the messages of those
kinds into the JSON shape; anything else gets a 415, as a server without that codec
would answer. Responses are always JSON, which those clients also accept.

kubectl also reads `/openapi/v2` in protobuf only (to validate kinds the v3 documents do not
describe); `openapi_v2_document` encodes a valid document without definitions, which tells
it "no client-side schema for this kind", as a real server says for unknown kinds.
"""

from __future__ import annotations

from typing import Any

from .status import ApiError

PROTOBUF = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"

# A message schema: field number -> (JSON name, type, nested schema or None, repeated)
Schema = dict[int, tuple[str, str, Any, bool]]

_MAP_ENTRY: Schema = {1: ("key", "string", None, False), 2: ("value", "string", None, False)}
OBJECT_META: Schema = {
    1: ("name", "string", None, False),
    2: ("generateName", "string", None, False),
    3: ("namespace", "string", None, False),
    5: ("uid", "string", None, False),
    6: ("resourceVersion", "string", None, False),
    7: ("generation", "int", None, False),
    11: ("labels", "map", _MAP_ENTRY, True),
    12: ("annotations", "map", _MAP_ENTRY, True),
    14: ("finalizers", "string", None, True),
}
_LOCAL_REFERENCE: Schema = {1: ("name", "string", None, False)}
_RESOURCE_ATTRIBUTES: Schema = {
    1: ("namespace", "string", None, False),
    2: ("verb", "string", None, False),
    3: ("group", "string", None, False),
    4: ("version", "string", None, False),
    5: ("resource", "string", None, False),
    6: ("subresource", "string", None, False),
    7: ("name", "string", None, False),
}
_NON_RESOURCE_ATTRIBUTES: Schema = {1: ("path", "string", None, False), 2: ("verb", "string", None, False)}

KINDS: dict[tuple[str, str], Schema] = {
    ("v1", "Namespace"): {
        1: ("metadata", "message", OBJECT_META, False),
        2: ("spec", "message", {1: ("finalizers", "string", None, True)}, False),
    },
    ("v1", "ServiceAccount"): {
        1: ("metadata", "message", OBJECT_META, False),
        3: ("imagePullSecrets", "message", _LOCAL_REFERENCE, True),
        4: ("automountServiceAccountToken", "bool", None, False),
    },
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): {
        1: ("metadata", "message", OBJECT_META, False),
        2: ("spec", "message", {1: ("resourceAttributes", "message", _RESOURCE_ATTRIBUTES, False),
                                2: ("nonResourceAttributes", "message", _NON_RESOURCE_ATTRIBUTES, False)}, False),
    },
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): {
        1: ("metadata", "message", OBJECT_META, False),
        2: ("spec", "message", {1: ("namespace", "string", None, False)}, False),
    },
    ("authentication.k8s.io/v1", "SelfSubjectReview"): {1: ("metadata", "message", OBJECT_META, False)},
}
_ENVELOPE: Schema = {
    1: ("typeMeta", "message", {1: ("apiVersion", "string", None, False), 2: ("kind", "string", None, False)}, False),
    2: ("raw", "bytes", None, False),
}


def _unsupported() -> ApiError:
    return ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media "
                    "types include: application/json, application/yaml")


def _varint(data: bytes, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if position >= len(data):
            raise _unsupported()
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, raw value) for every field of a message."""
    fields = []
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, position = _varint(data, position)
        elif wire == 2:
            length, position = _varint(data, position)
            value = data[position:position + length]
            position += length
        elif wire == 1:
            value, position = data[position:position + 8], position + 8
        elif wire == 5:
            value, position = data[position:position + 4], position + 4
        else:
            raise _unsupported()
        fields.append((number, wire, value))
    return fields


def _message(data: bytes, schema: Schema) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for number, _, value in _fields(data):
        if number not in schema:
            continue
        name, kind, nested, repeated = schema[number]
        if kind == "string":
            decoded: Any = value.decode("utf-8")
        elif kind == "bytes":
            decoded = value
        elif kind in ("int", "bool"):
            decoded = bool(value) if kind == "bool" else value
        elif kind == "map":
            entry = _message(value, nested)
            out.setdefault(name, {})[entry.get("key", "")] = entry.get("value", "")
            continue
        else:
            decoded = _message(value, nested)
        if repeated:
            out.setdefault(name, []).append(decoded)
        else:
            out[name] = decoded
    return out


def decode(body: bytes) -> dict[str, Any]:
    """A protobuf-encoded object of a supported kind as its JSON form; 415 for anything else."""
    if not body.startswith(MAGIC):
        raise _unsupported()
    envelope = _message(body[len(MAGIC):], _ENVELOPE)
    type_meta = envelope.get("typeMeta", {})
    api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
    schema = KINDS.get((api_version, kind))
    if schema is None:
        raise _unsupported()
    obj = _message(envelope.get("raw", b""), schema)
    return {"apiVersion": api_version, "kind": kind, **obj}


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _length_delimited(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | 2) + _encode_varint(len(payload)) + payload


OPENAPI_V2 = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def openapi_v2_document(version: str) -> bytes:
    """gnostic openapi_v2.Document{swagger: "2.0", info: {title, version}, paths: {}}."""
    info = _length_delimited(1, b"Kubernetes") + _length_delimited(2, version.encode())
    return _length_delimited(1, b"2.0") + _length_delimited(2, info) + _length_delimited(8, b"")
