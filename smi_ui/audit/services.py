"""Recording write attempts in the audit log, attributed from the request context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import chain, context
from .models import AuditEntry


@dataclass
class Attempt:
    """What was tried on which object; the changes layer fills it in as the attempt progresses."""

    action: str
    cluster_id: int | None = None
    cluster_name: str = ""
    api_version: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""
    base_resource_version: str = ""
    dry_run: bool = False
    forced: bool = False
    summary: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def record_attempt(attempt: Attempt, *, outcome: str, message: str = "", errors: list[dict[str, Any]] | None = None,
                   resource_version: str = "") -> AuditEntry:
    """Append one entry for an attempt; who/where come from the current request context."""
    ctx = context.current()
    return chain.append(
        {
            "actor": ctx.actor,
            "actor_id": ctx.actor_id,
            "source": ctx.source,
            "ip": ctx.ip,
            "user_agent": ctx.user_agent,
            "request_id": ctx.request_id,
            "action": attempt.action,
            "cluster_id": attempt.cluster_id,
            "cluster_name": attempt.cluster_name,
            "api_version": attempt.api_version,
            "kind": attempt.kind,
            "namespace": attempt.namespace,
            "name": attempt.name,
            "base_resource_version": attempt.base_resource_version or "",
            "resource_version": resource_version or "",
            "dry_run": attempt.dry_run,
            "forced": attempt.forced,
            "outcome": outcome,
            "summary": attempt.summary[:2000],
            "message": message[:4000],
            "errors": errors or [],
            "before": attempt.before,
            "after": attempt.after,
        }
    )
