"""Prompt and completion content in the GenAI conventions' JSON structure, for the opt-in
attributes ``gen_ai.input.messages``, ``gen_ai.output.messages`` and ``gen_ai.system_instructions``.

Only built when the application opted in (``OtelExporter(capture_content=True)`` or
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``). Span attributes cannot hold
structured values in the Python SDK, so each is the JSON text of its structure, as the conventions
allow. Never the key: a request's key is a ``Secret`` and no part of a message carries one.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from typing import Any

from lluminary.sdk import ImagePart, ReasoningPart, TextPart, ToolCallPart, ToolResultPart

CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
#: Values of the variable that turn capture on (the contrib instrumentations' spellings included).
_ON = frozenset({"true", "1", "yes", "on", "span_only", "span_and_event"})
#: lluminary finish reason -> the conventions' ``finish_reason`` of an output message.
_FINISH = {"tool_calls": "tool_call"}


def capture_from_environment() -> bool:
    return os.environ.get(CAPTURE_ENV, "").strip().lower() in _ON


def part(value: Any) -> dict[str, Any] | None:
    """One message part in the conventions' shape; None for what carries no content (a reasoning
    block that is only an opaque signature)."""
    if isinstance(value, TextPart):
        return {"type": "text", "content": value.text}
    if isinstance(value, ToolCallPart):
        return {"type": "tool_call", "id": value.id, "name": value.name, "arguments": dict(value.arguments)}
    if isinstance(value, ToolResultPart):
        return {"type": "tool_call_response", "id": value.tool_call_id, "response": value.content}
    if isinstance(value, ReasoningPart):
        return {"type": "reasoning", "content": value.text} if value.text else None
    if isinstance(value, ImagePart):
        if value.url is not None:
            found: dict[str, Any] = {"type": "uri", "modality": "image", "uri": value.url}
            if value.media_type:
                found["mime_type"] = value.media_type
            return found
        data = value.data or b""
        return {
            "type": "blob",
            "modality": "image",
            "mime_type": value.media_type,
            "content": base64.b64encode(data).decode("ascii"),
        }
    return None


def parts(values: Iterable[Any]) -> list[dict[str, Any]]:
    return [found for found in map(part, values) if found is not None]


def input_messages(request: Any) -> str:
    """``gen_ai.input.messages``: the chat history sent, system messages in it included."""
    messages = [{"role": m.role, "parts": parts(m.content)} for m in request.messages]
    return _json(messages)


def system_instructions(request: Any) -> str | None:
    """``gen_ai.system_instructions``: the system prompt given apart from the history, if any."""
    system = getattr(request, "system", None)
    if not system:
        return None
    return _json([{"type": "text", "content": system}])


def output_messages(response: Any) -> str:
    """``gen_ai.output.messages``: the answer, with its finish reason."""
    message = response.message
    reason = _FINISH.get(response.finish_reason, response.finish_reason)
    return _json([{"role": message.role, "parts": parts(message.content), "finish_reason": reason}])


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
