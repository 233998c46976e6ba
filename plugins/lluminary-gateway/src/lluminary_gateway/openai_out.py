"""The kernel's answers in OpenAI's wire format: chat completions, their SSE chunks, embeddings.

Nothing is lost on the way: usage with its cached and reasoning tokens, the finish reason, tool
calls with their argument fragments exactly as the provider sent them, the provider's ids.
"""

from __future__ import annotations

import base64
import secrets
import sys
import time
from array import array
from collections.abc import Iterable
from typing import Any

from lluminary import (
    ChatResponse,
    EmbedResponse,
    Finish,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallStart,
    Usage,
    UsageEvent,
)
from lluminary.sdk import dumps, dumps_str

#: the kernel's finish reasons that OpenAI has no word for read as "stop"
FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "content_filter": "content_filter"}


def new_id(prefix: str = "chatcmpl-") -> str:
    return prefix + secrets.token_hex(12)


def usage_json(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def completion_json(response: ChatResponse, *, reasoning: bool = False) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": response.text or None}
    calls = response.tool_calls
    if calls:
        message["tool_calls"] = [
            {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": dumps_str(call.arguments)}}
            for call in calls
        ]
    if reasoning and response.reasoning:
        message["reasoning_content"] = response.reasoning
    message["refusal"] = None
    return {
        "id": response.id or new_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": response.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": FINISH.get(response.finish_reason, "stop"),
                "logprobs": None,
            }
        ],
        "usage": usage_json(response.usage),
    }


class ChunkWriter:
    """Turns stream events into ``data: ...`` frames of ``chat.completion.chunk`` s.

    Every chunk carries one id, as OpenAI's do. The provider's id arrives only with the last event,
    so the gateway names the stream itself and adds the provider's id to the finishing chunk as
    ``x_upstream_id``. Text deltas, the bulk of a stream, are framed from a prebuilt prefix."""

    def __init__(self, model: str, *, include_usage: bool, reasoning: bool) -> None:
        self.id = new_id()
        self.model = model
        self.include_usage = include_usage
        self.reasoning = reasoning
        self.usage: Usage | None = None
        created = int(time.time())
        self._head: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
        }
        if include_usage:
            self._head["usage"] = None
        prefix = dumps({**self._head, "choices": [{"index": 0, "delta": {"content": ""}}]})
        self._text_prefix = b"data: " + prefix[: prefix.index(b'"content":') + len(b'"content":')]
        self._text_suffix = b'},"logprobs":null,"finish_reason":null}]}\n\n'

    def start(self) -> bytes:
        return self._frame({"role": "assistant", "content": "", "refusal": None})

    def frames(self, event: StreamEvent) -> bytes:
        if isinstance(event, TextDelta):
            return self._text_prefix + dumps(event.text) + self._text_suffix
        if isinstance(event, ToolCallStart):
            call = {
                "index": event.index,
                "id": event.id,
                "type": "function",
                "function": {"name": event.name, "arguments": ""},
            }
            return self._frame({"tool_calls": [call]})
        if isinstance(event, ToolCallDelta):
            return self._frame({"tool_calls": [{"index": event.index, "function": {"arguments": event.arguments}}]})
        if isinstance(event, ReasoningDelta):
            return self._frame({"reasoning_content": event.text}) if self.reasoning and event.text else b""
        if isinstance(event, UsageEvent):
            self.usage = event.usage
            return b""
        if isinstance(event, Finish):
            return self._finish(event)
        return b""

    def _finish(self, event: Finish) -> bytes:
        chunk = {
            **self._head,
            "model": event.model or self.model,
            "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": FINISH.get(event.reason, "stop")}],
        }
        if event.id:
            chunk["x_upstream_id"] = event.id
        out = b"data: " + dumps(chunk) + b"\n\n"
        if self.include_usage:
            usage = {
                **self._head,
                "model": event.model or self.model,
                "choices": [],
                "usage": usage_json(self.usage or Usage()),
            }
            out += b"data: " + dumps(usage) + b"\n\n"
        return out + b"data: [DONE]\n\n"

    def _frame(self, delta: dict[str, Any]) -> bytes:
        chunk = {**self._head, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}]}
        return b"data: " + dumps(chunk) + b"\n\n"


def error_frame(body: dict[str, Any]) -> bytes:
    """An error after the stream began: OpenAI sends it as one more data frame."""
    return b"data: " + dumps(body) + b"\n\n"


def embeddings_json(response: EmbedResponse, *, as_base64: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": index, "embedding": _base64(vector) if as_base64 else vector}
            for index, vector in enumerate(response.embeddings)
        ],
        "model": response.model,
        "usage": {"prompt_tokens": response.usage.input_tokens, "total_tokens": response.usage.input_tokens},
    }


def _base64(vector: Iterable[float]) -> str:
    """Little-endian float32, as OpenAI sends ``encoding_format=base64``."""
    packed = array("f", vector)
    if sys.byteorder != "little":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def models_json(names: Iterable[str]) -> dict[str, Any]:
    return {"object": "list", "data": [model_json(name) for name in names]}


def model_json(name: str) -> dict[str, Any]:
    return {
        "id": name,
        "object": "model",
        "created": 0,
        "owned_by": name.partition(":")[0] if ":" in name else "gateway",
    }
