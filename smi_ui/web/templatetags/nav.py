"""Template helpers for the navigation: only links to what the user may open are offered."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from smi_ui.accounts.permissions import may_anywhere
from smi_ui.accounts.roles import Action

register = template.Library()


@register.simple_tag
def may_read_audit(user: Any) -> bool:
    return may_anywhere(user, Action.AUDIT)


@register.simple_tag
def object_url(cluster: str, namespace: str, plural: str, name: str) -> str:
    """The object page's URL, or "" when a name from the cluster cannot be one.

    References such as a TrafficSplit backend are not validated by the API server: a
    service named "a/b" or "" must render as text, not break the page.
    """
    try:
        return reverse("web:object", args=[cluster, namespace, plural, name])
    except NoReverseMatch:
        return ""
