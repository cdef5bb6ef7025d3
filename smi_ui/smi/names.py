"""Name rules of Kubernetes and HTTP that SMI objects must follow."""

from __future__ import annotations

import re

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL_PATTERN = rf"^{_LABEL}$"
DNS1123_SUBDOMAIN_PATTERN = rf"^{_LABEL}(\.{_LABEL})*$"
# RFC 9110 token: the characters allowed in a header field name.
HEADER_NAME_PATTERN = r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$"

_LABEL_RE = re.compile(DNS1123_LABEL_PATTERN, re.ASCII)
_SUBDOMAIN_RE = re.compile(DNS1123_SUBDOMAIN_PATTERN, re.ASCII)
_HEADER_NAME_RE = re.compile(HEADER_NAME_PATTERN, re.ASCII)


def is_dns1123_label(value: object) -> bool:
    """Service, ServiceAccount and namespace names: at most 63 of `a-z0-9-`, alphanumeric at both ends."""
    return isinstance(value, str) and len(value) <= DNS1123_LABEL_MAX and bool(_LABEL_RE.fullmatch(value))


def is_dns1123_subdomain(value: object) -> bool:
    """Object names (`metadata.name`): dot-separated labels, at most 253 characters."""
    return isinstance(value, str) and len(value) <= DNS1123_SUBDOMAIN_MAX and bool(_SUBDOMAIN_RE.fullmatch(value))


def is_http_token(value: object) -> bool:
    """A valid HTTP header field name."""
    return isinstance(value, str) and bool(_HEADER_NAME_RE.fullmatch(value))
