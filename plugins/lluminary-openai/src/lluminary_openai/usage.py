"""OpenAI usage objects → :class:`lluminary.Usage`, following the kernel's token conventions.

OpenAI already counts the way lluminary does: ``prompt_tokens`` / ``input_tokens`` include the
cached tokens, ``completion_tokens`` / ``output_tokens`` include the reasoning tokens. So the
details are copied as the parts they are, never subtracted. xAI's Chat Completions is the
exception: its ``completion_tokens`` leave the reasoning tokens out (``total_tokens`` is prompt +
completion + reasoning), so they are added back.

Every :class:`~lluminary.Usage` also keeps the usage object as it came in ``details`` (the
``*_tokens_details``, a compatible server's own fields), so nothing reported is lost. A usage that
is not a JSON object counts nothing and keeps nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lluminary.sdk import Usage


def chat_usage(usage: Any) -> Usage:
    """``CompletionUsage`` of Chat Completions (and the compatible servers' variants)."""
    if not isinstance(usage, Mapping):
        return Usage()
    prompt = usage.get("prompt_tokens") or 0
    completion = usage.get("completion_tokens") or 0
    cached = written = reasoning = 0
    details = usage.get("prompt_tokens_details")
    if isinstance(details, Mapping) and details:
        cached = details.get("cached_tokens") or 0
        written = details.get("cache_write_tokens") or 0
    elif "prompt_cache_hit_tokens" in usage:  # DeepSeek
        cached = usage.get("prompt_cache_hit_tokens") or 0
    out_details = usage.get("completion_tokens_details")
    if isinstance(out_details, Mapping) and out_details:
        reasoning = out_details.get("reasoning_tokens") or 0
        if reasoning and usage.get("total_tokens") == prompt + completion + reasoning:
            completion += reasoning  # xAI: completion_tokens without the reasoning tokens
    return Usage(prompt, completion, cached, written, reasoning, dict(usage))


def response_usage(usage: Any) -> Usage:
    """``ResponseUsage`` of the Responses API."""
    if not isinstance(usage, Mapping):
        return Usage()
    details = _object(usage.get("input_tokens_details"))
    out_details = _object(usage.get("output_tokens_details"))
    return Usage(
        usage.get("input_tokens") or 0,
        usage.get("output_tokens") or 0,
        details.get("cached_tokens") or 0,
        details.get("cache_write_tokens") or 0,
        out_details.get("reasoning_tokens") or 0,
        dict(usage),
    )


def embedding_usage(usage: Any) -> Usage:
    """``usage`` of an embeddings answer (``prompt_tokens``, ``total_tokens``)."""
    if not isinstance(usage, Mapping) or not usage:
        return Usage()
    return Usage(input_tokens=usage.get("prompt_tokens") or usage.get("total_tokens") or 0, details=dict(usage))


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
