"""OpenAI usage objects → :class:`lluminary.Usage`, following the kernel's token conventions.

OpenAI already counts the way lluminary does: ``prompt_tokens`` / ``input_tokens`` include the
cached tokens, ``completion_tokens`` / ``output_tokens`` include the reasoning tokens. So the
details are copied as the parts they are, never subtracted. xAI's Chat Completions is the
exception: its ``completion_tokens`` leave the reasoning tokens out (``total_tokens`` is prompt +
completion + reasoning), so they are added back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lluminary.sdk import Usage


def chat_usage(usage: Mapping[str, Any]) -> Usage:
    """``CompletionUsage`` of Chat Completions (and the compatible servers' variants)."""
    prompt = usage.get("prompt_tokens") or 0
    completion = usage.get("completion_tokens") or 0
    cached = written = reasoning = 0
    details = usage.get("prompt_tokens_details")
    if details:
        cached = details.get("cached_tokens") or 0
        written = details.get("cache_write_tokens") or 0
    elif "prompt_cache_hit_tokens" in usage:  # DeepSeek
        cached = usage.get("prompt_cache_hit_tokens") or 0
    out_details = usage.get("completion_tokens_details")
    if out_details:
        reasoning = out_details.get("reasoning_tokens") or 0
        if reasoning and usage.get("total_tokens") == prompt + completion + reasoning:
            completion += reasoning  # xAI: completion_tokens without the reasoning tokens
    return Usage(prompt, completion, cached, written, reasoning)


def response_usage(usage: Mapping[str, Any]) -> Usage:
    """``ResponseUsage`` of the Responses API."""
    details = usage.get("input_tokens_details") or {}
    out_details = usage.get("output_tokens_details") or {}
    return Usage(
        usage.get("input_tokens") or 0,
        usage.get("output_tokens") or 0,
        details.get("cached_tokens") or 0,
        details.get("cache_write_tokens") or 0,
        out_details.get("reasoning_tokens") or 0,
    )


def embedding_usage(usage: Mapping[str, Any] | None) -> Usage:
    if not usage:
        return Usage()
    return Usage(input_tokens=usage.get("prompt_tokens") or usage.get("total_tokens") or 0)
