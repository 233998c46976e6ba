"""The Gemini model catalogue: context windows, output limits, prices, capabilities.

Prices are US dollars per million tokens, Google's standard (paid, non-batch) rates for text, image
and video input, as published on the Gemini API pricing page (checked November 2026). Thinking
tokens are billed as output. ``cache_read_price`` is the context-caching (implicit or explicit)
rate; cache storage is billed per hour and is not modelled.

**Tiered models.** Gemini 2.5 Pro and Gemini 3.1 Pro charge more for prompts over 200,000 tokens:
the whole call (input, cached input and output) at the rates of :data:`LONG_PROMPT_PRICES`. Their
entries carry those rates as a :class:`~lluminary.sdk.PriceTier`, and the kernel applies it by the
call's prompt size (``usage.input_tokens``: cached and tool-use prompt tokens included). Dated
variants of a tiered model (``gemini-2.5-pro-preview-06-05``) take its entry, tiers and all.

Vertex AI lists the same rates for these models on its global endpoint (regional endpoints may
cost more); the ``vertex:`` entries carry them.
"""

from __future__ import annotations

from collections.abc import Iterable

from lluminary.sdk import ModelInfo, PriceTier

M = 1_048_576
K = 1_024

_CHAT = frozenset({"chat", "streaming", "tools", "vision", "structured_output", "reasoning", "count_tokens"})

# id: (context window, max output, input, cached input, output)
CHAT_MODELS: dict[str, tuple[int, int, float, float, float]] = {
    "gemini-3.5-flash": (M, 64 * K, 1.50, 0.15, 9.00),
    "gemini-3.1-pro-preview": (M, 64 * K, 2.00, 0.20, 12.00),
    "gemini-3.1-flash-lite": (M, 64 * K, 0.25, 0.025, 1.50),
    "gemini-3-flash-preview": (M, 64 * K, 0.50, 0.05, 3.00),
    "gemini-2.5-pro": (M, 64 * K, 1.25, 0.125, 10.00),
    "gemini-2.5-flash": (M, 64 * K, 0.30, 0.03, 2.50),
    "gemini-2.5-flash-lite": (M, 64 * K, 0.10, 0.01, 0.40),
}

#: Rates for prompts over 200,000 tokens: (input, cached input, output).
LONG_PROMPT_PRICES: dict[str, tuple[float, float, float]] = {
    "gemini-3.1-pro-preview": (4.00, 0.40, 18.00),
    "gemini-2.5-pro": (2.50, 0.25, 15.00),
}
#: The prompt size (tokens) above which :data:`LONG_PROMPT_PRICES` apply.
LONG_PROMPT_THRESHOLD = 200_000

# id: (input token limit, input price)
EMBEDDING_MODELS: dict[str, tuple[int, float]] = {
    "gemini-embedding-001": (2_048, 0.15),
}


def catalogue(prefixes: Iterable[str]) -> list[ModelInfo]:
    """One entry per model and prefix, so cost works under every prefix (``google``, ``gemini``, ``vertex``)."""
    entries: list[ModelInfo] = []
    for prefix in prefixes:
        for name, (window, max_out, price_in, price_cached, price_out) in CHAT_MODELS.items():
            entries.append(
                ModelInfo(
                    id=f"{prefix}:{name}",
                    context_window=window,
                    max_output_tokens=max_out,
                    input_price=price_in,
                    output_price=price_out,
                    cache_read_price=price_cached,
                    capabilities=_CHAT,
                    tiers=_tiers(name),
                )
            )
        for name, (window, price_in) in EMBEDDING_MODELS.items():
            entries.append(
                ModelInfo(
                    id=f"{prefix}:{name}",
                    context_window=window,
                    input_price=price_in,
                    output_price=0.0,
                    capabilities=frozenset({"embeddings"}),
                    kind="embedding",
                )
            )
    return entries


def _tiers(name: str) -> tuple[PriceTier, ...]:
    rates = LONG_PROMPT_PRICES.get(name)
    if rates is None:
        return ()
    price_in, price_cached, price_out = rates
    return (PriceTier(LONG_PROMPT_THRESHOLD, price_in, price_out, cache_read_price=price_cached),)
