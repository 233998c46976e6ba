"""The Bedrock model catalogue: context windows, output limits, on-demand prices, capabilities.

Prices are US dollars per million tokens, on-demand, in the US regions, checked in November 2026
against the Amazon Bedrock pricing page and Anthropic's own price list (Claude costs the same on
Bedrock as on Anthropic's API for a global profile).

Cross-region inference profiles (``us.``, ``eu.``, ``apac.``, ``jp.``, ``au.``, ``global.``) are
catalogued as their own ids so cost works whichever id a call uses. They cost what the in-region
model costs, with one exception AWS documents: from Claude Sonnet 4.5 / Haiku 4.5 / Opus 4.5 on,
the ``global.`` profile is about 10% cheaper than in-region and geographic profiles, so those
carry Anthropic's list price on ``global.`` and 1.1x it elsewhere (Nova 2 Lite likewise on its
geographic profiles).

Capabilities used by the plugin itself:

* ``thinking_budget`` — Claude accepting ``thinking: {type: "enabled", budget_tokens}``;
* ``thinking_adaptive`` — Claude accepting ``thinking: {type: "adaptive"}`` with ``outputConfig.effort``;
* ``reasoning_effort`` — Nova 2 accepting ``reasoningConfig.maxReasoningEffort``;
* ``structured_output`` — accepts ``outputConfig.textFormat`` (JSON schema output);
* ``tool_result_status`` — accepts ``toolResult.status`` (only Claude does; others reject it).
"""

from __future__ import annotations

from collections.abc import Iterable

from lluminary.sdk import (
    ModelInfo,
)

from .modelids import base_model, profile_prefix

K = 1_000
M = 1_000_000

_CHAT = frozenset({"chat", "streaming", "tools"})
_CLAUDE = _CHAT | {"vision", "prompt_caching", "count_tokens", "reasoning", "tool_result_status"}
_CLAUDE_BUDGET = _CLAUDE | {"thinking_budget"}
_CLAUDE_SO = _CLAUDE_BUDGET | {"structured_output"}
_CLAUDE_BOTH = _CLAUDE_SO | {"thinking_adaptive"}
_CLAUDE_ADAPTIVE = (_CLAUDE | {"thinking_adaptive", "structured_output"}) - {"thinking_budget"}
_CLAUDE_3 = _CHAT | {"vision", "count_tokens", "tool_result_status"}
_NOVA = _CHAT | {"vision", "prompt_caching"}
_NOVA_TEXT = _CHAT | {"prompt_caching"}
_NOVA_2 = _NOVA | {"reasoning", "reasoning_effort", "structured_output"}
_LLAMA = _CHAT
_LLAMA_VISION = _CHAT | {"vision"}
_MISTRAL = _CHAT
_MISTRAL_VISION = _CHAT | {"vision"}
_EMBED = frozenset({"embeddings"})

_CLAUDE_NEW_PROFILES = ("us", "eu", "apac", "jp", "au", "global")
_CLAUDE_OLD_PROFILES = ("us", "eu", "apac")
_NOVA_PROFILES = ("us", "eu", "apac")

# Premium modes: "" none; "regional" 1.1x on everything but ``global.``; "geo" 1.1x on geographic profiles.
# id: (context, max output, input, output, cache write, cache read, capabilities, profiles, premium)
_Row = tuple[int | None, int | None, float, float, float | None, float | None, frozenset[str], tuple[str, ...], str]
_CHAT_TABLE: dict[str, _Row] = {
    # Anthropic Claude
    "anthropic.claude-opus-4-7": (
        M,
        128 * K,
        5.0,
        25.0,
        6.25,
        0.50,
        _CLAUDE_ADAPTIVE,
        _CLAUDE_NEW_PROFILES,
        "regional",
    ),
    "anthropic.claude-opus-4-6-v1": (M, 128 * K, 5.0, 25.0, 6.25, 0.50, _CLAUDE_BOTH, _CLAUDE_NEW_PROFILES, "regional"),
    "anthropic.claude-sonnet-4-6": (M, 128 * K, 3.0, 15.0, 3.75, 0.30, _CLAUDE_BOTH, _CLAUDE_NEW_PROFILES, "regional"),
    "anthropic.claude-opus-4-5-20251101-v1:0": (
        200 * K,
        64 * K,
        5.0,
        25.0,
        6.25,
        0.50,
        _CLAUDE_SO,
        _CLAUDE_NEW_PROFILES,
        "regional",
    ),
    "anthropic.claude-sonnet-4-5-20250929-v1:0": (
        200 * K,
        64 * K,
        3.0,
        15.0,
        3.75,
        0.30,
        _CLAUDE_SO,
        _CLAUDE_NEW_PROFILES,
        "regional",
    ),
    "anthropic.claude-haiku-4-5-20251001-v1:0": (
        200 * K,
        64 * K,
        1.0,
        5.0,
        1.25,
        0.10,
        _CLAUDE_SO,
        _CLAUDE_NEW_PROFILES,
        "regional",
    ),
    "anthropic.claude-opus-4-1-20250805-v1:0": (
        200 * K,
        32 * K,
        15.0,
        75.0,
        18.75,
        1.50,
        _CLAUDE_BUDGET,
        _CLAUDE_OLD_PROFILES,
        "",
    ),
    "anthropic.claude-sonnet-4-20250514-v1:0": (
        200 * K,
        64 * K,
        3.0,
        15.0,
        3.75,
        0.30,
        _CLAUDE_BUDGET,
        _CLAUDE_OLD_PROFILES,
        "",
    ),
    "anthropic.claude-3-7-sonnet-20250219-v1:0": (
        200 * K,
        64 * K,
        3.0,
        15.0,
        3.75,
        0.30,
        _CLAUDE_BUDGET,
        _CLAUDE_OLD_PROFILES,
        "",
    ),
    "anthropic.claude-3-5-haiku-20241022-v1:0": (
        200 * K,
        8192,
        0.80,
        4.0,
        1.0,
        0.08,
        _CLAUDE_3 | {"prompt_caching"},
        ("us",),
        "",
    ),
    "anthropic.claude-3-haiku-20240307-v1:0": (
        200 * K,
        4096,
        0.25,
        1.25,
        None,
        None,
        _CLAUDE_3,
        _CLAUDE_OLD_PROFILES,
        "",
    ),
    # Amazon Nova (a cache read costs 25% of input; a cache write costs the input price)
    "amazon.nova-premier-v1:0": (M, 32 * K, 2.50, 12.50, None, 0.625, _NOVA, ("us",), ""),
    "amazon.nova-pro-v1:0": (300 * K, 10 * K, 0.80, 3.20, None, 0.20, _NOVA, _NOVA_PROFILES, ""),
    "amazon.nova-lite-v1:0": (300 * K, 10 * K, 0.06, 0.24, None, 0.015, _NOVA, _NOVA_PROFILES, ""),
    "amazon.nova-micro-v1:0": (128 * K, 10 * K, 0.035, 0.14, None, 0.00875, _NOVA_TEXT, _NOVA_PROFILES, ""),
    "amazon.nova-2-lite-v1:0": (M, 64 * K, 0.30, 2.50, None, 0.075, _NOVA_2, ("us", "eu", "jp", "global"), "geo"),
    # Meta Llama
    "meta.llama4-maverick-17b-instruct-v1:0": (M, 8192, 0.24, 0.97, None, None, _LLAMA_VISION, ("us",), ""),
    "meta.llama4-scout-17b-instruct-v1:0": (3_500 * K, 8192, 0.17, 0.66, None, None, _LLAMA_VISION, ("us",), ""),
    "meta.llama3-3-70b-instruct-v1:0": (128 * K, 8192, 0.72, 0.72, None, None, _LLAMA, ("us",), ""),
    "meta.llama3-2-90b-instruct-v1:0": (128 * K, None, 0.72, 0.72, None, None, _LLAMA_VISION, ("us",), ""),
    "meta.llama3-2-11b-instruct-v1:0": (128 * K, None, 0.16, 0.16, None, None, _LLAMA_VISION, ("us",), ""),
    "meta.llama3-2-3b-instruct-v1:0": (128 * K, None, 0.15, 0.15, None, None, _LLAMA, ("us", "eu"), ""),
    "meta.llama3-2-1b-instruct-v1:0": (128 * K, None, 0.10, 0.10, None, None, _LLAMA, ("us", "eu"), ""),
    "meta.llama3-1-405b-instruct-v1:0": (128 * K, None, 2.40, 2.40, None, None, _LLAMA, (), ""),
    "meta.llama3-1-70b-instruct-v1:0": (128 * K, None, 0.72, 0.72, None, None, _LLAMA, ("us",), ""),
    "meta.llama3-1-8b-instruct-v1:0": (128 * K, None, 0.22, 0.22, None, None, _LLAMA, ("us",), ""),
    # Mistral AI
    "mistral.pixtral-large-2502-v1:0": (128 * K, None, 2.0, 6.0, None, None, _MISTRAL_VISION, ("us", "eu"), ""),
    "mistral.mistral-large-2407-v1:0": (128 * K, None, 2.0, 6.0, None, None, _MISTRAL, (), ""),
    "mistral.mistral-small-2402-v1:0": (32 * K, None, 1.0, 3.0, None, None, _MISTRAL, (), ""),
    "mistral.mixtral-8x7b-instruct-v0:1": (
        32 * K,
        4096,
        0.45,
        0.70,
        None,
        None,
        frozenset({"chat", "streaming"}),
        (),
        "",
    ),
    "mistral.mistral-7b-instruct-v0:2": (
        32 * K,
        8192,
        0.15,
        0.20,
        None,
        None,
        frozenset({"chat", "streaming"}),
        (),
        "",
    ),
}

# id: (context, input price, default dimensions, capabilities, profiles)
_EMBED_TABLE: dict[str, tuple[int, float, int, frozenset[str], tuple[str, ...]]] = {
    "amazon.titan-embed-text-v2:0": (8 * K, 0.02, 1024, _EMBED, ()),
    "amazon.titan-embed-text-v1": (8 * K, 0.10, 1536, _EMBED, ()),
    "cohere.embed-v4:0": (128 * K, 0.12, 1536, _EMBED, ("us", "eu")),
    "cohere.embed-english-v3": (512, 0.10, 1024, _EMBED, ()),
    "cohere.embed-multilingual-v3": (512, 0.10, 1024, _EMBED, ()),
}

_PREMIUM = 1.1


def _scaled(price: float | None, factor: float) -> float | None:
    return None if price is None else round(price * factor, 6)


def _premium(premium: str, profile: str | None) -> float:
    """The price factor of ``profile`` (None: in-region) under a model's premium mode."""
    applies = (premium == "regional" and profile != "global") or (premium == "geo" and profile not in (None, "global"))
    return _PREMIUM if applies else 1.0


def _chat_entries(prefix: str) -> Iterable[ModelInfo]:
    for name, (window, max_out, inp, out, write, read, caps, profiles, premium) in _CHAT_TABLE.items():
        for profile in (None, *profiles):
            model_id = name if profile is None else f"{profile}.{name}"
            factor = _premium(premium, profile)
            yield ModelInfo(
                id=f"{prefix}:{model_id}",
                context_window=window,
                max_output_tokens=max_out,
                input_price=_scaled(inp, factor),
                output_price=_scaled(out, factor),
                cache_read_price=_scaled(read, factor),
                cache_write_price=_scaled(write, factor),
                capabilities=caps,
            )


def _embed_entries(prefix: str) -> Iterable[ModelInfo]:
    for name, (window, price, _dims, caps, profiles) in _EMBED_TABLE.items():
        for profile in (None, *profiles):
            model_id = name if profile is None else f"{profile}.{name}"
            yield ModelInfo(
                id=f"{prefix}:{model_id}",
                context_window=window,
                input_price=price,
                output_price=0.0,
                capabilities=caps,
                kind="embedding",
            )


def catalogue(prefixes: Iterable[str] = ("bedrock",)) -> list[ModelInfo]:
    """Every model under every provider prefix, inference profiles included."""
    entries: list[ModelInfo] = []
    for prefix in prefixes:
        entries.extend(_chat_entries(prefix))
        entries.extend(_embed_entries(prefix))
    return entries


_BY_ID: dict[str, ModelInfo] = {m.id: m for m in catalogue()}
_BY_BASE: dict[str, ModelInfo] = {
    name: m for m in _BY_ID.values() if profile_prefix(name := m.id.partition(":")[2]) is None
}


#: ARN resource types whose id names a model or a cross-region profile (``inference-profile/us.x``,
#: ``foundation-model/x``). Application inference profiles, provisioned throughput and custom
#: models have opaque ids: their price cannot be told from the ARN.
_NAMED_RESOURCES = ("inference-profile", "foundation-model")


def price_entry(model: str) -> ModelInfo | None:
    """The catalogue entry that prices a call of ``model`` (``"bedrock:<id>"``), under that id.

    An id in the catalogue is its own entry. An ARN of a foundation model or of a cross-region
    inference profile (``arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic...``)
    costs what the model or profile it names costs; so does a profile prefix the catalogue does
    not list for that model (``us-gov.``), with the same regional premium as the listed
    geographic profiles. None for an unknown model and for opaque ARNs (application inference
    profiles, provisioned throughput, custom models): give those a price with ``Client(prices=...)``.
    """
    prefix, _, model_id = model.partition(":")
    known = _BY_ID.get(model)
    if known is not None:
        return known
    name = model_id
    if model_id.startswith("arn:"):
        resource = model_id.split(":", 5)[-1]  # inference-profile/us.anthropic.claude-...
        kind, slash, name = resource.partition("/")
        if not slash or kind not in _NAMED_RESOURCES:
            return None
        listed = _BY_ID.get(f"{prefix}:{name}")
        if listed is not None:
            return _renamed(listed, model)
    base = base_model(name)
    row = _CHAT_TABLE.get(base)
    if row is not None:
        profile = profile_prefix(name)
        window, max_out, inp, out, write, read, caps, _profiles, premium = row
        factor = _premium(premium, profile)
        return ModelInfo(
            id=model,
            context_window=window,
            max_output_tokens=max_out,
            input_price=_scaled(inp, factor),
            output_price=_scaled(out, factor),
            cache_read_price=_scaled(read, factor),
            cache_write_price=_scaled(write, factor),
            capabilities=caps,
        )
    embedding = _BY_BASE.get(base)
    return _renamed(embedding, model) if embedding is not None and embedding.kind == "embedding" else None


def _renamed(info: ModelInfo, model: str) -> ModelInfo:
    return ModelInfo(
        id=model,
        context_window=info.context_window,
        max_output_tokens=info.max_output_tokens,
        input_price=info.input_price,
        output_price=info.output_price,
        cache_read_price=info.cache_read_price,
        cache_write_price=info.cache_write_price,
        reasoning_price=info.reasoning_price,
        capabilities=info.capabilities,
        kind=info.kind,
    )


def lookup(model_id: str) -> ModelInfo | None:
    """The catalogue entry of ``model_id``'s base model (profile prefixes and ARNs stripped)."""
    return _BY_BASE.get(base_model(model_id))


def capabilities(model_id: str) -> frozenset[str]:
    info = lookup(model_id)
    return info.capabilities if info is not None else frozenset()
