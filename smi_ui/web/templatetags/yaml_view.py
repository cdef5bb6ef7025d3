"""YAML shown with its keys marked, so the page can colour them; every piece is escaped first."""

from __future__ import annotations

import re

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_KEY = re.compile(r"^(\s*(?:- )?)([^\s:'\"#-][^:]*?|'[^']*'|\"[^\"]*\"):(\s|$)")


def _line(line: str) -> str:
    match = _KEY.match(line)
    if not match:
        return format_html("{}", line)
    return format_html('{}<span class="yk">{}</span>:{}', match.group(1), match.group(2), line[match.end(2) + 1:])


@register.filter
def highlighted_yaml(text: str) -> SafeString:
    """Each line as `indent <span class="yk">key</span>: rest`; keys and values are escaped text."""
    return mark_safe("\n".join(_line(line) for line in (text or "").splitlines()))  # noqa: S308 - parts escaped
