"""The OpenAI model catalogue: context windows, output limits and prices per million tokens.

Prices are the standard tier in US dollars per 1M tokens (input, cached input, output), as
OpenAI's pricing page listed them in 2026 (GPT-5.5 / 5.4 lineup, GPT-5.x, GPT-4.1, GPT-4o,
o-series, embeddings). Reasoning tokens are billed as output tokens, so no separate reasoning
price is set. Dated snapshots (``gpt-4o-2024-08-06``) are priced as their base model by the
kernel's catalogue.
"""

from __future__ import annotations

import re

from lluminary.sdk import ModelInfo

CHAT = frozenset({"chat", "streaming", "tools", "structured_output", "vision"})
REASONING = CHAT | {"reasoning"}
RESPONSES_ONLY = REASONING | {"responses_only"}

# name: (context window, max output, input, cached input, output, capabilities)
_CHAT_MODELS: dict[str, tuple[int, int, float, float | None, float, frozenset[str]]] = {
    "gpt-5.5": (1_050_000, 128_000, 5.00, 0.50, 30.00, REASONING),
    "gpt-5.5-pro": (1_050_000, 128_000, 30.00, None, 180.00, RESPONSES_ONLY),
    "gpt-5.4": (1_050_000, 128_000, 2.50, 0.25, 15.00, REASONING),
    "gpt-5.4-pro": (1_050_000, 128_000, 30.00, None, 180.00, RESPONSES_ONLY),
    "gpt-5.4-mini": (400_000, 128_000, 0.75, 0.075, 4.50, REASONING),
    "gpt-5.4-nano": (400_000, 128_000, 0.20, 0.02, 1.25, REASONING),
    "gpt-5.2": (400_000, 128_000, 1.75, 0.175, 14.00, REASONING),
    "gpt-5.2-pro": (400_000, 128_000, 21.00, None, 168.00, RESPONSES_ONLY),
    "gpt-5.1": (400_000, 128_000, 1.25, 0.125, 10.00, REASONING),
    "gpt-5": (400_000, 128_000, 1.25, 0.125, 10.00, REASONING),
    "gpt-5-mini": (400_000, 128_000, 0.25, 0.025, 2.00, REASONING),
    "gpt-5-nano": (400_000, 128_000, 0.05, 0.005, 0.40, REASONING),
    "gpt-5-pro": (400_000, 272_000, 15.00, None, 120.00, RESPONSES_ONLY),
    "gpt-4.1": (1_047_576, 32_768, 2.00, 0.50, 8.00, CHAT),
    "gpt-4.1-mini": (1_047_576, 32_768, 0.40, 0.10, 1.60, CHAT),
    "gpt-4.1-nano": (1_047_576, 32_768, 0.10, 0.025, 0.40, CHAT),
    "gpt-4o": (128_000, 16_384, 2.50, 1.25, 10.00, CHAT),
    "gpt-4o-mini": (128_000, 16_384, 0.15, 0.075, 0.60, CHAT),
    "o4-mini": (200_000, 100_000, 1.10, 0.275, 4.40, REASONING),
    "o3": (200_000, 100_000, 2.00, 0.50, 8.00, REASONING),
    "o3-mini": (200_000, 100_000, 1.10, 0.55, 4.40, REASONING - {"vision"}),
    "o3-pro": (200_000, 100_000, 20.00, None, 80.00, RESPONSES_ONLY),
    "o1": (200_000, 100_000, 15.00, 7.50, 60.00, REASONING),
    "o1-pro": (200_000, 100_000, 150.00, None, 600.00, RESPONSES_ONLY),
}
# name: (max input tokens, price per 1M input tokens, default dimensions)
_EMBEDDING_MODELS: dict[str, tuple[int, float, int]] = {
    "text-embedding-3-small": (8_191, 0.02, 1536),
    "text-embedding-3-large": (8_191, 0.13, 3072),
    "text-embedding-ada-002": (8_191, 0.10, 1536),
}

_REASONING_NAME = re.compile(r"^(o\d|gpt-5|codex)")


def catalogue(prefix: str = "openai") -> tuple[ModelInfo, ...]:
    """Every known model as a :class:`~lluminary.ModelInfo` under ``prefix``."""
    chat = tuple(
        ModelInfo(
            id=f"{prefix}:{name}",
            context_window=window,
            max_output_tokens=max_output,
            input_price=price_in,
            output_price=price_out,
            cache_read_price=price_cached,
            capabilities=caps,
        )
        for name, (window, max_output, price_in, price_cached, price_out, caps) in _CHAT_MODELS.items()
    )
    embeddings = tuple(
        ModelInfo(
            id=f"{prefix}:{name}",
            context_window=window,
            input_price=price,
            output_price=0.0,
            capabilities=frozenset({"embeddings", f"dimensions:{dims}"}),
            kind="embedding",
        )
        for name, (window, price, dims) in _EMBEDDING_MODELS.items()
    )
    return chat + embeddings


def prefers_responses(model_name: str) -> bool:
    """Whether lluminary sends this model to the Responses API by default: the reasoning
    models (o-series, GPT-5 family, codex), whose reasoning only the Responses API carries from
    one turn to the next. ``*-chat*`` variants stay on Chat Completions."""
    return bool(_REASONING_NAME.match(model_name)) and "-chat" not in model_name


def default_dimensions(model_name: str) -> int | None:
    found = _EMBEDDING_MODELS.get(model_name)
    return found[2] if found else None
