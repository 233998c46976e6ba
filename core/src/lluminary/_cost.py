"""Cost from usage and catalogue prices, with cached and reasoning tokens priced correctly.

Prices are dollars per million tokens. Cache reads and writes fall back to the input price and
reasoning tokens to the output price when the catalogue gives no separate price.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping

import attrs

from ._errors import RequestValidationError
from ._types import ChatRequest, Cost, EmbedRequest, ModelInfo, PriceTier, ToolCallPart, ToolResultPart, Usage

_PER_TOKEN = 1e-6


def compute_cost(usage: Usage, info: ModelInfo | None) -> Cost | None:
    """The cost of ``usage`` at ``info``'s prices, or None when the prices are unknown."""
    if info is None or info.input_price is None:
        return None
    input_price = info.input_price
    output_price = info.output_price
    read_price = info.cache_read_price
    write_price = info.cache_write_price
    if info.tiers:
        tier = _tier(info.tiers, usage.input_tokens)
        if tier is not None:
            input_price = tier.input_price if tier.input_price is not None else input_price
            output_price = tier.output_price if tier.output_price is not None else output_price
            read_price = tier.cache_read_price if tier.cache_read_price is not None else read_price
            write_price = tier.cache_write_price if tier.cache_write_price is not None else write_price
    output_price = output_price if output_price is not None else 0.0
    read_price = read_price if read_price is not None else input_price
    write_price = write_price if write_price is not None else input_price
    uncached = max(usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens, 0)
    reasoning = min(usage.reasoning_tokens, usage.output_tokens) if info.reasoning_price is not None else 0
    output = (usage.output_tokens - reasoning) * output_price + reasoning * (info.reasoning_price or 0.0)
    return Cost(
        input=uncached * input_price * _PER_TOKEN,
        output=output * _PER_TOKEN,
        cache_read=usage.cache_read_tokens * read_price * _PER_TOKEN,
        cache_write=usage.cache_write_tokens * write_price * _PER_TOKEN,
    )


def _tier(tiers: tuple[PriceTier, ...], input_tokens: int) -> PriceTier | None:
    """The highest tier ``input_tokens`` is above, if any."""
    best: PriceTier | None = None
    for tier in tiers:
        if input_tokens > tier.above and (best is None or tier.above > best.above):
            best = tier
    return best


# Suffixes that name a snapshot of the same model: dates (-2024-08-06, -20250929, -0125, -09-2025),
# versions (-001, -v1:0), and Google's -preview-06-17 / -exp-0827 style.
_SNAPSHOT = re.compile(
    r"^-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{3,4}|\d{2}-\d{4}|latest|v\d+(?::\d+)?"
    r"|(?:preview|exp)(?:-\d{2}-\d{2,4}|-\d{4})?)$"
)


class Catalogue:
    """Model lookup by ``"provider:model"``, falling back to dated snapshots of a known model
    (``gpt-4o-2024-08-06`` and ``claude-sonnet-4-5-20250929`` take their base model's prices) and
    then to ``lookup`` (the plugins' ``lluminary_model_info``, for ids no list can hold: ARNs,
    inference profiles) and last to the provider's ``"provider:*"`` entry. Only snapshot suffixes
    match, so ``gpt-4o-mini`` never takes ``gpt-4o``'s prices. Each answer is remembered."""

    def __init__(self, models: list[ModelInfo], lookup: Callable[[str], ModelInfo | None] | None = None) -> None:
        self._by_id = {m.id: m for m in models}
        self._resolved: dict[str, ModelInfo | None] = {}
        self._lookup = lookup

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[ModelInfo]:
        return iter(self._by_id.values())

    def get(self, model: str) -> ModelInfo | None:
        found = self._by_id.get(model)
        if found is not None:
            return found
        if model in self._resolved:
            return self._resolved[model]
        provider, _, name = model.partition(":")
        best: ModelInfo | None = None
        for known_id, info in self._by_id.items():
            known_provider, _, known_name = known_id.partition(":")
            if known_provider != provider or not name.startswith(known_name):
                continue
            if _SNAPSHOT.match(name[len(known_name) :]) and (best is None or len(known_id) > len(best.id)):
                best = info
        if best is None and self._lookup is not None:
            best = self._lookup(model)  # ARNs, inference profiles, deployment names
        result = best or self._by_id.get(f"{provider}:*")
        self._resolved[model] = result
        return result


def estimate_tokens(request: ChatRequest | EmbedRequest) -> int:
    """Input tokens, estimated offline (about four characters a token, rounded up, plus a few per
    message): good enough to reserve a budget, never used to bill."""
    if isinstance(request, EmbedRequest):
        return sum(len(text) for text in request.inputs) // 4 + len(request.inputs)
    chars = len(request.system or "")
    for message in request.messages:
        chars += 16
        for part in message.content:
            text = getattr(part, "text", None)
            if isinstance(text, str):
                chars += len(text)
            elif isinstance(part, ToolCallPart):
                chars += len(str(part.arguments)) + len(part.name)
            elif isinstance(part, ToolResultPart):
                chars += len(str(part.content))
            else:
                chars += 1_000  # an image: a rough, generous share
    for tool in request.tools:
        chars += len(tool.name) + len(tool.description or "") + len(str(tool.parameters))
    return chars // 4 + 1


def prices_entry(model: str, prices: Mapping[str, float] | ModelInfo) -> ModelInfo:
    """A catalogue entry from a user's prices: ``{"input": 0.59, "output": 0.79}`` per million
    tokens (also ``cache_read``, ``cache_write``, ``reasoning``)."""
    if isinstance(prices, ModelInfo):
        return prices if prices.id == model else attrs.evolve(prices, id=model)
    unknown = set(prices) - {"input", "output", "cache_read", "cache_write", "reasoning"}
    if unknown:
        raise RequestValidationError(f"prices for {model!r}: unknown keys {sorted(unknown)}")
    return ModelInfo(
        model,
        input_price=prices.get("input"),
        output_price=prices.get("output"),
        cache_read_price=prices.get("cache_read"),
        cache_write_price=prices.get("cache_write"),
        reasoning_price=prices.get("reasoning"),
    )
