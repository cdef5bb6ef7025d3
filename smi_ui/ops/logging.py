"""Log lines: the request id of the request being served, and request paths without query values.

Query strings carry what people searched for and filtered on (names, users, free text) and,
when a client puts one there by mistake, tokens; a log is read by more people than the
dashboard is. The access log therefore shows each query parameter's name but never its value.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote

from smi_ui.audit.context import current

REDACTED = "[redacted]"
#: Query parameters named in a log line; a longer query shows how many more there were.
MAX_LOGGED_PARAMETERS = 20
MAX_PARAMETER_NAME = 100


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (empty outside a request) so log lines join up with audit entries."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current().request_id
        return True


def redact_query(target: str) -> str:
    """`/path?a=1&b=secret` as `/path?a=[redacted]&b=[redacted]`: parameter names stay, values never do."""
    path, separator, query = target.partition("?")
    if not separator:
        return path
    names = [name for name, _ in parse_qsl(query, keep_blank_values=True)]
    shown = [f"{quote(name[:MAX_PARAMETER_NAME], safe='[]')}={REDACTED}" for name in names[:MAX_LOGGED_PARAMETERS]]
    if len(names) > MAX_LOGGED_PARAMETERS:
        shown.append(f"[{len(names) - MAX_LOGGED_PARAMETERS} more]")
    return f"{path}?{'&'.join(shown)}" if shown else f"{path}?{REDACTED}"


ActionLogger = Callable[[str, str, dict[str, Any]], None]


def redacting(action_logger: ActionLogger) -> ActionLogger:
    """Wrap the ASGI server's access logger so that the paths it writes carry no query values."""
    def log(protocol: str, action: str, details: dict[str, Any]) -> None:
        if isinstance(details.get("path"), str):
            details = {**details, "path": redact_query(details["path"])}
        action_logger(protocol, action, details)
    return log
