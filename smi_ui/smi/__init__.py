"""The pure SMI model: kinds, versions, parse/serialize, validation, JSON schemas, weight maths.

No Django here: sync, the writer, the API and the sandbox cluster all build on this package.

- `kinds/`: one module per kind (its `KindSpec`) and the `REGISTRY` every layer reads;
  `kindspec` says what a specification holds; `layouts`: which versions real clusters serve.
- `shapes`: the field descriptions of every kind/version, read by codec, validation and schemas.
- `model`: what every kind's version-neutral dataclass shares.
- `codec`: `parse(manifest)` and `serialize(obj, version)`, lossless for what the model ignores.
- `validate`: `validate_manifest(manifest)` and `validate_object(obj)`, with `STRICTER_THAN_CRD`.
- `schema`: `crd_schema(kind, version, flavour)` like each publisher's CRD, and `model_schema`.
- `shares`: effective shares of TrafficSplit backends and exact re-weighting.
- `quantity`: Kubernetes quantities, exactly.
"""

from .codec import is_smi, parse, resolve, serialize, version_of
from .errors import FieldError, InvalidManifest, NotAnSMIObject, NotExpressible, SMIError, UnsupportedAPIVersion
from .kinds.http_route_group import HeaderFilter, HTTPMatch, HTTPRouteGroup
from .kinds.port_route import PortRoute
from .kinds.tcp_route import TCPRoute
from .kinds.traffic_split import RouteGroupRef, TrafficSplit
from .kinds.traffic_target import IdentityRef, TrafficRule, TrafficTarget
from .kinds.udp_route import UDPRoute
from .model import Backend, SMIObject
from .schema import crd_schema, model_schema, unknown_fields
from .shares import apply_shares, apply_weights, effective_shares, integer_weights, split_shares
from .validate import STRICTER_THAN_CRD, validate_manifest, validate_object

__all__ = [
    "STRICTER_THAN_CRD",
    "Backend",
    "FieldError",
    "HTTPMatch",
    "HTTPRouteGroup",
    "HeaderFilter",
    "IdentityRef",
    "InvalidManifest",
    "NotAnSMIObject",
    "NotExpressible",
    "PortRoute",
    "RouteGroupRef",
    "SMIError",
    "SMIObject",
    "TCPRoute",
    "TrafficRule",
    "TrafficSplit",
    "TrafficTarget",
    "UDPRoute",
    "UnsupportedAPIVersion",
    "apply_shares",
    "apply_weights",
    "crd_schema",
    "effective_shares",
    "integer_weights",
    "is_smi",
    "model_schema",
    "parse",
    "resolve",
    "serialize",
    "split_shares",
    "unknown_fields",
    "validate_manifest",
    "validate_object",
    "version_of",
]
