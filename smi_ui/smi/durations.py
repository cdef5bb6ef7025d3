"""Go durations (`30s`, `1m0s`, `1h2m3.5s`, `500ms`), as the SMI metrics API writes its windows."""

from __future__ import annotations

UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def go_duration_seconds(text: str | None) -> float | None:
    """The duration in seconds; None when absent, unreadable or not positive."""
    if not text:
        return None
    total, number, index = 0.0, "", 0
    while index < len(text):
        char = text[index]
        if char.isdigit() or char == ".":
            number += char
            index += 1
            continue
        unit = "ms" if text.startswith("ms", index) else char
        if not number or unit not in UNITS:
            return None
        try:
            total += float(number) * UNITS[unit]
        except ValueError:  # "1.2.3s"
            return None
        number, index = "", index + len(unit)
    return None if number or total <= 0 else total
