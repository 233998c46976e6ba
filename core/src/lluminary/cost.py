"""Cost from usage and catalogue prices, with cached and reasoning tokens priced correctly.

Prices are dollars per million tokens. Cache reads and writes fall back to the input price and
reasoning tokens to the output price when the catalogue gives no separate price.
"""

from __future__ import annotations

from .types import Cost, ModelInfo, Usage

_PER_TOKEN = 1e-6


def compute_cost(usage: Usage, info: ModelInfo | None) -> Cost | None:
    """The cost of ``usage`` at ``info``'s prices, or None when the prices are unknown."""
    if info is None or info.input_price is None:
        return None
    input_price = info.input_price
    output_price = info.output_price if info.output_price is not None else 0.0
    read_price = info.cache_read_price if info.cache_read_price is not None else input_price
    write_price = info.cache_write_price if info.cache_write_price is not None else input_price
    uncached = max(usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens, 0)
    reasoning = min(usage.reasoning_tokens, usage.output_tokens) if info.reasoning_price is not None else 0
    output = (usage.output_tokens - reasoning) * output_price + reasoning * (info.reasoning_price or 0.0)
    return Cost(
        input=uncached * input_price * _PER_TOKEN,
        output=output * _PER_TOKEN,
        cache_read=usage.cache_read_tokens * read_price * _PER_TOKEN,
        cache_write=usage.cache_write_tokens * write_price * _PER_TOKEN,
    )


class Catalogue:
    """Model lookup by ``"provider:model"``, falling back to the provider's ``"provider:*"`` entry
    and to dated snapshots of a known model (``gpt-4o-2024-08-06`` → ``gpt-4o``)."""

    def __init__(self, models: list[ModelInfo]) -> None:
        self._by_id = {m.id: m for m in models}

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_id.values())

    def get(self, model: str) -> ModelInfo | None:
        found = self._by_id.get(model)
        if found is not None:
            return found
        provider, _, name = model.partition(":")
        # Longest catalogue id that the requested name extends with a "-" suffix (a snapshot).
        best: ModelInfo | None = None
        for known_id, info in self._by_id.items():
            known_provider, _, known_name = known_id.partition(":")
            extends = known_provider == provider and name.startswith(known_name + "-")
            if extends and (best is None or len(known_id) > len(best.id)):
                best = info
        return best or self._by_id.get(f"{provider}:*")
