"""The Cohere models lluminary knows, with context windows, output limits and list prices
(US dollars per million tokens, from cohere.com/pricing and docs.cohere.com/docs/models).

Cohere reports ``cached_tokens`` but publishes no separate cache price, so cache reads are priced
as input (``cache_read_price`` left unset). Embedding models are priced per input token.
"""

from __future__ import annotations

from lluminary.sdk import ModelInfo

_CHAT = frozenset({"chat", "streaming", "tools", "json_output", "citations"})
_VISION = _CHAT | {"vision"}
_REASONING = _CHAT | {"reasoning"}
_EMBED = frozenset({"embeddings"})


def _chat(name: str, context: int, output: int, price_in: float, price_out: float, caps: frozenset[str]) -> ModelInfo:
    return ModelInfo(
        id=f"cohere:{name}",
        context_window=context,
        max_output_tokens=output,
        input_price=price_in,
        output_price=price_out,
        capabilities=caps,
    )


def _embed(name: str, context: int, price: float, caps: frozenset[str] = _EMBED) -> ModelInfo:
    return ModelInfo(
        id=f"cohere:{name}",
        context_window=context,
        input_price=price,
        output_price=0.0,
        capabilities=caps,
        kind="embedding",
    )


MODELS: tuple[ModelInfo, ...] = (
    _chat("command-a-plus-05-2026", 128_000, 64_000, 2.50, 10.00, _VISION | {"reasoning"}),
    _chat("command-a-03-2025", 256_000, 8_000, 2.50, 10.00, _CHAT),
    _chat("command-a-reasoning-08-2025", 256_000, 32_000, 2.50, 10.00, _REASONING),
    _chat("command-a-vision-07-2025", 128_000, 8_000, 2.50, 10.00, _VISION),
    _chat("command-r-plus-08-2024", 128_000, 4_000, 2.50, 10.00, _CHAT),
    _chat("command-r-08-2024", 128_000, 4_000, 0.15, 0.60, _CHAT),
    _chat("command-r7b-12-2024", 128_000, 4_000, 0.0375, 0.15, _CHAT),
    _embed("embed-v4.0", 128_000, 0.12, _EMBED | {"vision"}),
    _embed("embed-english-v3.0", 512, 0.10),
    _embed("embed-multilingual-v3.0", 512, 0.10),
    _embed("embed-english-light-v3.0", 512, 0.10),
    _embed("embed-multilingual-light-v3.0", 512, 0.10),
)
