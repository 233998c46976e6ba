"""An Anthropic ``message`` object → :class:`~lluminary.sdk.ChatResponse`, plus the stop-reason
and usage mappings the stream parser shares, so both paths give equal responses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lluminary import sdk

from .payload import Plan

#: Anthropic ``stop_reason`` → unified finish reason
FINISH_REASONS: dict[str, sdk.FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "other",
}


def raw_arguments(value: Any) -> str:
    """Tool-call arguments that are not a JSON object, as text for ``raw_arguments``: a string as
    it came, anything else as its JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def finish_reason(stop_reason: str | None, plan: Plan, has_tool_calls: bool) -> sdk.FinishReason:
    reason = FINISH_REASONS.get(stop_reason or "", "other")
    if reason == "tool_calls" and plan.json_tool is not None and not has_tool_calls:
        return "stop"  # the forced answer tool was called: that is the answer, not a tool call
    return reason


def _int(value: Any) -> int:
    return value if type(value) is int else 0


def usage_from(raw: Any) -> sdk.Usage:
    """Anthropic counts uncached input apart from cache reads and writes; lluminary's
    ``input_tokens`` is all of them together. ``details`` keeps the usage object as it came (a
    usage that is not an object counts nothing and keeps nothing)."""
    if not isinstance(raw, Mapping):
        return sdk.Usage()
    read = _int(raw.get("cache_read_input_tokens"))
    write = _int(raw.get("cache_creation_input_tokens"))
    details = raw.get("output_tokens_details")
    thinking = _int(details.get("thinking_tokens")) if isinstance(details, Mapping) else 0
    return sdk.Usage(
        _int(raw.get("input_tokens")) + read + write, _int(raw.get("output_tokens")), read, write, thinking, dict(raw)
    )


def citation_from(text: str, start: int, sources: list[Any]) -> sdk.Citation:
    """A cited text block: the span of the answer it covers, and Anthropic's citation objects."""
    return sdk.Citation(text, start, start + len(text), tuple(s for s in sources if isinstance(s, Mapping)))


def parse_message(data: Any, plan: Plan, provider: str) -> sdk.ChatResponse:
    if not isinstance(data, Mapping) or not isinstance(data.get("content"), list):
        raise sdk.MalformedResponseError(f"not an Anthropic message: {str(data)[:200]!r}", provider=provider)
    parts: list[sdk.Part] = []
    citations: list[sdk.Citation] = []
    text: list[str] = []  # the text part being built (adjacent text blocks form one part)
    offset = 0  # length of the answer text so far, for citation spans
    has_tool_calls = False

    def flush() -> None:
        if text:
            parts.append(sdk.TextPart("".join(text)))
            text.clear()

    for block in data["content"]:
        if not isinstance(block, Mapping):
            continue
        kind = block.get("type")
        if kind == "text":
            value = block.get("text") or ""
            cited = block.get("citations")
            if cited:
                citations.append(citation_from(value, offset, cited))
            if value:
                text.append(value)
                offset += len(value)
        elif kind == "tool_use":
            name = str(block.get("name") or "")
            arguments = block.get("input")
            if name == plan.json_tool and plan.json_tool is not None:
                value = json.dumps(arguments, ensure_ascii=False)
                text.append(value)
                offset += len(value)
                continue
            if arguments is None:
                arguments = {}
            if not isinstance(arguments, Mapping):
                # Invalid JSON from the model reaches us as a string (or another non-object value):
                # keep it whole on the error, as sdk.parse_arguments does on the streamed path.
                error = sdk.MalformedResponseError(
                    f"tool call {name!r} input is not a JSON object: {str(arguments)[:200]!r}", provider=provider
                )
                error.raw_arguments = raw_arguments(arguments)
                raise error
            flush()
            parts.append(sdk.ToolCallPart(str(block.get("id") or ""), name, dict(arguments)))
            has_tool_calls = True
        elif kind == "thinking":
            thought, signature = block.get("thinking") or "", block.get("signature") or None
            if thought or signature:  # an empty, unsigned block streams as nothing at all
                flush()
                parts.append(sdk.ReasoningPart(thought, signature, None, provider))
        elif kind == "redacted_thinking":
            flush()
            parts.append(sdk.ReasoningPart("", None, str(block.get("data") or ""), provider))
        # server tool blocks and block types this version does not know are not part of the answer
    flush()
    stop = data.get("stop_reason")
    return sdk.ChatResponse(
        message=sdk.Message("assistant", tuple(parts)),
        finish_reason=finish_reason(stop, plan, has_tool_calls),
        raw_finish_reason=stop,
        usage=usage_from(data.get("usage")),
        model=str(data.get("model") or ""),
        provider=provider,
        id=data.get("id"),
        citations=tuple(citations),
    )
