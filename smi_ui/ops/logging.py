"""Structured logs: one JSON object per line, with the request id of the request being served."""

from __future__ import annotations

import logging

from smi_ui.audit.context import current


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (empty outside a request) so log lines join up with audit entries."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current().request_id
        return True
