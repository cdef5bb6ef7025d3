"""The pure SMI model: kinds, versions, parse/serialize, validation, JSON schemas, weight maths.

No Django here: sync, the writer, the API and the sandbox cluster all build on this package.

- `kinds`, `layouts`: which kinds and versions exist, and which ones real clusters serve.
- `shapes`: the field descriptions of every kind/version, read by codec, validation and schemas.
- `model`: one dataclass per kind, version-neutral.
- `codec`: `parse(manifest)` and `serialize(obj, version)`, lossless for what the model ignores.
- `validate`: `validate_manifest(manifest)` and `validate_object(obj)`, with `STRICTER_THAN_CRD`.
- `schema`: `crd_schema(kind, version, flavour)` like each publisher's CRD, and `model_schema`.
- `shares`: effective shares of TrafficSplit backends and exact re-weighting.
- `quantity`: Kubernetes quantities, exactly.
"""

from .codec import is_smi, parse, resolve, serialize, version_of
from .errors import FieldError, InvalidManifest, NotAnSMIObject, NotExpressible, SMIError, UnsupportedAPIVersion
from .model import (
    Backend,
    HeaderFilter,
    HTTPMatch,
    HTTPRouteGroup,
    IdentityRef,
    RouteGroupRef,
    SMIObject,
    TCPRoute,
    TrafficRule,
    TrafficSplit,
    TrafficTarget,
    UDPRoute,
)
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
