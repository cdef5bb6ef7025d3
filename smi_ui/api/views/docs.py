"""The interactive API docs (Swagger UI from drf-spectacular-sidecar) under the site's CSP.

The split view serves Swagger UI's start-up script as its own request instead of inline, so
`script-src 'self'` holds here too. Swagger UI's page carries a small inline stylesheet and
its icons are `data:` images: this page alone allows those two, nothing else changes.
"""

from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularSwaggerSplitView

DOCS_POLICY = {"style-src": [UNSAFE_INLINE], "img-src": ["data:"]}


@method_decorator(csp_update(DOCS_POLICY), name="dispatch")
class ApiDocs(SpectacularSwaggerSplitView):
    """Swagger UI with its script loaded from this origin."""
