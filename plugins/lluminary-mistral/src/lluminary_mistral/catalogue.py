"""Mistral's models with context windows and list prices (US dollars per million tokens).

Prices are La Plateforme's standard (non-batch) rates as published in 2026. Cached prompt tokens
(``prompt_cache_key``) are billed at 10% of the input price, per the API reference. Magistral's
reasoning is billed as ordinary output tokens, so no separate reasoning price is given.
"""

from __future__ import annotations

from lluminary.sdk import ModelInfo

_CHAT = frozenset({"chat", "streaming", "tools", "structured_output"})
_VISION = _CHAT | {"vision"}
_REASONING = _VISION | {"reasoning"}

# id, context window, input price, output price, capabilities
_MODELS: tuple[tuple[str, int, float | None, float | None, frozenset[str]], ...] = (
    ("mistral-medium-3.5", 262_144, 1.5, 7.5, _REASONING),
    ("mistral-medium-latest", 262_144, 1.5, 7.5, _REASONING),
    ("mistral-medium-2508", 131_072, 0.4, 2.0, _VISION),
    ("mistral-medium-2505", 131_072, 0.4, 2.0, _VISION),
    ("mistral-large-2512", 262_144, 0.5, 1.5, _VISION),
    ("mistral-large-latest", 262_144, 0.5, 1.5, _VISION),
    ("mistral-large-2411", 131_072, 2.0, 6.0, _CHAT),
    ("mistral-small-2603", 262_144, 0.1, 0.3, _VISION),
    ("mistral-small-latest", 262_144, 0.1, 0.3, _VISION),
    ("mistral-small-2506", 131_072, 0.1, 0.3, _VISION),
    ("magistral-medium-2509", 131_072, 2.0, 5.0, _REASONING),
    ("magistral-medium-latest", 131_072, 2.0, 5.0, _REASONING),
    ("magistral-small-2509", 131_072, 0.5, 1.5, _REASONING),
    ("magistral-small-latest", 131_072, 0.5, 1.5, _REASONING),
    ("codestral-2508", 256_000, 0.3, 0.9, _CHAT),
    ("codestral-latest", 256_000, 0.3, 0.9, _CHAT),
    ("devstral-2512", 262_144, 0.4, 2.0, _CHAT),
    ("devstral-latest", 262_144, 0.4, 2.0, _CHAT),
    ("devstral-medium-2507", 131_072, 0.4, 2.0, _CHAT),
    ("devstral-small-2507", 131_072, 0.1, 0.3, _CHAT),
    ("ministral-3b-2512", 262_144, 0.1, 0.1, _VISION),
    ("ministral-3b-latest", 262_144, 0.1, 0.1, _VISION),
    ("ministral-8b-2512", 262_144, 0.15, 0.15, _VISION),
    ("ministral-8b-latest", 262_144, 0.15, 0.15, _VISION),
    ("ministral-14b-2512", 262_144, None, None, _VISION),
    ("open-mistral-nemo", 131_072, 0.15, 0.15, _CHAT),
    ("pixtral-large-2411", 131_072, 2.0, 6.0, _VISION),
    ("pixtral-large-latest", 131_072, 2.0, 6.0, _VISION),
)
_EMBEDDINGS: tuple[tuple[str, int, float], ...] = (
    ("mistral-embed", 8_192, 0.1),
    ("codestral-embed", 8_192, 0.15),
    ("codestral-embed-2505", 8_192, 0.15),
)
CACHE_READ_SHARE = 0.1


def models() -> tuple[ModelInfo, ...]:
    chat = tuple(
        ModelInfo(
            id=f"mistral:{model_id}",
            context_window=context,
            input_price=inp,
            output_price=out,
            cache_read_price=round(inp * CACHE_READ_SHARE, 6) if inp is not None else None,
            capabilities=caps,
        )
        for model_id, context, inp, out, caps in _MODELS
    )
    embed = tuple(
        ModelInfo(
            id=f"mistral:{model_id}",
            context_window=context,
            input_price=price,
            output_price=0.0,
            capabilities=frozenset({"embeddings"}),
            kind="embedding",
        )
        for model_id, context, price in _EMBEDDINGS
    )
    return chat + embed


def context_window(model: str) -> int | None:
    return next((c for m, c, *_ in _MODELS if m == model), None)
