"""URL converters built from the kind registry, so a registered kind's pages exist without a URL edit."""

from __future__ import annotations

from smi_ui.smi.kinds import REGISTRY


class WeightedPluralConverter:
    """The plural of a kind with weighted backends (`trafficsplits`): the weights page's kinds; others 404."""

    regex = "[a-z0-9]+"

    def to_python(self, value: str) -> str:
        spec = REGISTRY.from_url(value)
        if spec is None or spec.plural != value or not spec.has("weighted"):
            raise ValueError(value)
        return value

    def to_url(self, value: str) -> str:
        return value
