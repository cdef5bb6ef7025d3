"""Who is acting, from where: carried by contextvars so any code path can attribute a change.

The request middleware binds the client's address, user agent and a request id; the API
binds the authenticated user once DRF has authenticated it (token users are only known
then); management commands bind the CLI source. Threads and Channels consumers copy
contextvars, so the same attribution reaches code run on behalf of the request.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(frozen=True)
class RequestContext:
    """The attribution of the current unit of work (an HTTP request, a CLI command...)."""

    request_id: str = ""
    ip: str = ""
    user_agent: str = ""
    actor: str = ""
    actor_id: int | None = None
    source: str = "dashboard"


_EMPTY = RequestContext()
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("smi_ui_request_context",
                                                                                 default=None)


def current() -> RequestContext:
    return _current.get() or _EMPTY


def new_request_id(offered: str | None = None) -> str:
    """The caller's X-Request-ID when it is a sane token, else a fresh one (never trust free text)."""
    if offered and _REQUEST_ID.match(offered):
        return offered
    return uuid.uuid4().hex


@contextlib.contextmanager
def bound(**values: Any) -> Iterator[RequestContext]:
    """Bind attribution fields for the duration of a block, restoring the outer context after."""
    token = _current.set(replace(current(), **values))
    try:
        yield current()
    finally:
        _current.reset(token)


def bind_user(user: Any, *, source: str | None = None) -> None:
    """Attach the authenticated user to the current context (until the enclosing `bound` ends)."""
    values: dict[str, Any] = {"actor": getattr(user, "get_username", lambda: "")() or "",
                              "actor_id": getattr(user, "pk", None)}
    if source:
        values["source"] = source
    _current.set(replace(current(), **values))
