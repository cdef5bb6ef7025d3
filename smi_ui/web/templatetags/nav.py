"""Template helpers for the navigation: only links to what the user may open are offered."""

from __future__ import annotations

from typing import Any

from django import template

from smi_ui.accounts.permissions import may_anywhere
from smi_ui.accounts.roles import Action

register = template.Library()


@register.simple_tag
def may_read_audit(user: Any) -> bool:
    return may_anywhere(user, Action.AUDIT)
