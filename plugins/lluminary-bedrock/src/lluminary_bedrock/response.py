"""Converse answers → unified events: stop reasons, usage, and the non-streamed response body.

``generate`` builds its :class:`~lluminary.ChatResponse` by feeding the events of
:func:`converse_events` to the kernel's accumulator, the same way a stream is accumulated, so the
two paths cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from lluminary import sdk

STOP_REASONS: dict[str, sdk.FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
    "malformed_model_output": "error",
    "malformed_tool_use": "error",
}


def finish_reason(raw: str | None, *, tool_calls: bool, json_tool: str | None = None) -> sdk.FinishReason:
    """The unified finish reason. A structured answer carried by a forced tool is a plain stop."""
    reason = STOP_REASONS.get(raw or "", "other")
    if json_tool is not None and reason == "tool_calls":
        return "stop"
    if tool_calls and reason == "stop":
        return "tool_calls"
    return reason


def usage(data: Any) -> sdk.Usage:
    """Bedrock's ``inputTokens`` leaves out the cache reads and writes; lluminary's input counts them.
    ``details`` keeps the usage object as it came (a usage that is not an object keeps nothing)."""
    if not isinstance(data, Mapping):
        return sdk.Usage()
    read = _int(data.get("cacheReadInputTokens"))
    write = _int(data.get("cacheWriteInputTokens"))
    return sdk.Usage(
        input_tokens=_int(data.get("inputTokens")) + read + write,
        output_tokens=_int(data.get("outputTokens")),
        cache_read_tokens=read,
        cache_write_tokens=write,
        details=dict(data),
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def converse_events(
    body: Any, *, provider: str, model: str, request_id: str | None, json_tool: str | None = None
) -> Iterator[sdk.StreamEvent]:
    """The events a stream of this ``/converse`` answer would have produced."""
    if not isinstance(body, Mapping):
        raise sdk.MalformedResponseError("the Converse answer is not a JSON object", provider=provider)
    output = body.get("output")
    message = output.get("message") if isinstance(output, Mapping) else None
    content = message.get("content") if isinstance(message, Mapping) else None
    if not isinstance(content, list):
        raise sdk.MalformedResponseError("the Converse answer has no output.message.content", provider=provider)
    tool_index = 0
    offset = 0  # characters of answer text so far, for citation spans
    for block in content:
        if not isinstance(block, Mapping):
            continue
        if "text" in block:
            text = block["text"]
            if isinstance(text, str) and text:
                offset += len(text)
                yield sdk.TextDelta(text)
        elif "citationsContent" in block:
            # Document citations: the cited text is in the block's content, not in a text block.
            cited = block["citationsContent"]
            if not isinstance(cited, Mapping):
                continue
            pieces = [c.get("text") for c in cited.get("content") or () if isinstance(c, Mapping)]
            text = "".join(p for p in pieces if isinstance(p, str))
            if text:
                yield sdk.TextDelta(text)
            sources = tuple(c for c in cited.get("citations") or () if isinstance(c, Mapping))
            if sources:
                yield sdk.CitationEvent(sdk.Citation(text, offset, offset + len(text), sources))
            offset += len(text)
        elif "toolUse" in block:
            tool = block["toolUse"]
            if not isinstance(tool, Mapping) or tool.get("type") == "server_tool_use":
                continue  # a tool Bedrock ran itself: not a call for the caller
            name = str(tool.get("name") or "")
            arguments = tool.get("input")
            if json_tool is not None and name == json_tool:
                value = json.dumps(arguments, ensure_ascii=False)
                offset += len(value)
                yield sdk.TextDelta(value)
                continue
            if arguments is None:
                arguments = {}
            if not isinstance(arguments, Mapping):
                # Invalid JSON from the model reaches us as a string: keep it whole on the error.
                error = sdk.MalformedResponseError(
                    f"tool call {name!r} arguments are not a JSON object: {arguments!r:.200}", provider=provider
                )
                error.raw_arguments = (
                    arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
                )
                raise error
            call = sdk.ToolCallPart(str(tool.get("toolUseId") or ""), name, dict(arguments))
            yield sdk.ToolCallStart(tool_index, call.id, call.name)
            if call.arguments:
                yield sdk.ToolCallDelta(tool_index, json.dumps(call.arguments, ensure_ascii=False))
            yield sdk.ToolCallEnd(tool_index, call)
            tool_index += 1
        elif "reasoningContent" in block:
            yield from _reasoning(block["reasoningContent"])
    yield sdk.UsageEvent(usage(body.get("usage")))
    raw = body.get("stopReason")
    raw_reason = raw if isinstance(raw, str) else None
    yield sdk.Finish(
        finish_reason(raw_reason, tool_calls=tool_index > 0, json_tool=json_tool), raw_reason, model, request_id
    )


def _reasoning(reasoning: Any) -> Iterator[sdk.ReasoningDelta]:
    if not isinstance(reasoning, Mapping):
        return
    redacted = reasoning.get("redactedContent")
    if isinstance(redacted, str):
        yield sdk.ReasoningDelta(redacted=redacted)
        return
    text_block = reasoning.get("reasoningText")
    if isinstance(text_block, Mapping):
        text = text_block.get("text")
        if isinstance(text, str) and text:
            yield sdk.ReasoningDelta(text)
        signature = text_block.get("signature")
        if isinstance(signature, str) and signature:
            yield sdk.ReasoningDelta(signature=signature)
