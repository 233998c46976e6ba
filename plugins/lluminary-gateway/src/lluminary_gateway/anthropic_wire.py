"""``POST /v1/messages``: Anthropic's Messages API in and out, so Anthropic SDK users can point at
the gateway too. Any deployment serves it: the kernel translates to the upstream's own wire."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lluminary import (
    ChatResponse,
    Finish,
    Message,
    ReasoningConfig,
    ReasoningDelta,
    ReasoningPart,
    StreamEvent,
    TextDelta,
    TextPart,
    Tool,
    ToolCallDelta,
    ToolCallPart,
    ToolCallStart,
    ToolChoice,
    ToolResultPart,
    Usage,
    UsageEvent,
)
from lluminary.sdk import dumps

from .asgi import Receive, Scope, Send
from .errors import bad_request
from .openai_in import image_part, model_of, object_body
from .openai_out import new_id
from .wire import ChatWire

if TYPE_CHECKING:
    from .app import Context, Gateway

#: the kernel's finish reasons as Anthropic's stop reasons
STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"}


def stop_reason(reason: str, raw: str | None) -> str:
    if raw in ("end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal"):
        return raw
    return STOP.get(reason, "end_turn")


def usage_json(usage: Usage) -> dict[str, Any]:
    """Anthropic counts input without the cached tokens; the kernel counts all of them."""
    return {
        "input_tokens": usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
    }


def call_kwargs(body: Mapping[str, Any]) -> dict[str, Any]:
    max_tokens = body.get("max_tokens")
    if max_tokens is None:
        raise bad_request("max_tokens: Field required", param="max_tokens")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("messages: must be a non-empty array", param="messages")
    kwargs: dict[str, Any] = {"messages": _messages(messages), "max_tokens": max_tokens}
    system = body.get("system")
    if system:
        kwargs["system"] = system if isinstance(system, str) else "".join(_texts(system, "system"))
    for name in ("temperature", "top_p"):
        if body.get(name) is not None:
            kwargs[name] = body[name]
    if body.get("stop_sequences"):
        kwargs["stop"] = body["stop_sequences"]
    if body.get("tools"):
        kwargs["tools"] = [_tool(tool, i) for i, tool in enumerate(body["tools"])]
    choice = body.get("tool_choice")
    if isinstance(choice, Mapping):
        kind = choice.get("type")
        if kind == "tool" and isinstance(choice.get("name"), str):
            kwargs["tool_choice"] = ToolChoice.tool(choice["name"])
        elif kind in ("auto", "none"):
            kwargs["tool_choice"] = kind
        elif kind == "any":
            kwargs["tool_choice"] = "required"
        else:
            raise bad_request("tool_choice.type must be auto, any, tool or none", param="tool_choice")
    thinking = body.get("thinking")
    if isinstance(thinking, Mapping) and thinking.get("type") == "enabled":
        kwargs["reasoning"] = ReasoningConfig(effort="medium", budget_tokens=thinking.get("budget_tokens"))
    return kwargs


def _texts(blocks: Any, where: str) -> list[str]:
    if not isinstance(blocks, list):
        raise bad_request(f"{where}: must be a string or an array of blocks", param=where)
    texts = []
    for block in blocks:
        if not isinstance(block, Mapping) or block.get("type") != "text":
            raise bad_request(f"{where}: only text blocks are allowed here", param=where)
        texts.append(str(block.get("text", "")))
    return texts


def _tool(tool: Any, index: int) -> Tool:
    if not isinstance(tool, Mapping) or not isinstance(tool.get("name"), str):
        raise bad_request(f"tools.{index}: a tool needs a name and an input_schema", param=f"tools.{index}")
    schema = tool.get("input_schema") or {"type": "object", "properties": {}}
    return Tool(tool["name"], tool.get("description") or "", schema)


def _messages(raw: Sequence[Any]) -> list[Message]:
    messages: list[Message] = []
    names: dict[str, str] = {}
    for index, item in enumerate(raw):
        where = f"messages.{index}"
        if not isinstance(item, Mapping) or item.get("role") not in ("user", "assistant"):
            raise bad_request(f"{where}: role must be user or assistant", param=where)
        content = item.get("content")
        if isinstance(content, str):
            messages.append(Message(item["role"], content))
            continue
        if not isinstance(content, list):
            raise bad_request(f"{where}.content: must be a string or an array of blocks", param=where)
        parts: list[Any] = []
        results: list[Any] = []
        for block in content:
            kind = block.get("type") if isinstance(block, Mapping) else None
            if kind == "text":
                parts.append(TextPart(str(block.get("text", ""))))
            elif kind == "image":
                source = block.get("source") or {}
                if source.get("type") == "base64":
                    parts.append(image_part(f"data:{source.get('media_type')};base64,{source.get('data')}", where))
                elif source.get("type") == "url":
                    parts.append(image_part(str(source.get("url")), where))
                else:
                    raise bad_request(f"{where}: image source must be base64 or url", param=where)
            elif kind == "tool_use":
                names[str(block.get("id"))] = str(block.get("name"))
                parts.append(ToolCallPart(str(block.get("id")), str(block.get("name")), dict(block.get("input") or {})))
            elif kind == "tool_result":
                inner = block.get("content", "")
                text = inner if isinstance(inner, str) else "".join(_texts(inner, where))
                call_id = str(block.get("tool_use_id"))
                results.append(ToolResultPart(call_id, text, bool(block.get("is_error")), names.get(call_id)))
            elif kind in ("thinking", "redacted_thinking"):
                parts.append(
                    ReasoningPart(
                        str(block.get("thinking", "")), block.get("signature"), block.get("data"), provider="anthropic"
                    )
                )
            else:
                raise bad_request(f"{where}: content block type {kind!r} is not supported", param=where)
        if results:
            messages.append(Message("tool", results))
        if parts:
            messages.append(Message(item["role"], parts))
    return messages


def message_json(response: ChatResponse) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for part in response.message.content:
        if isinstance(part, TextPart):
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, ToolCallPart):
            content.append({"type": "tool_use", "id": part.id, "name": part.name, "input": dict(part.arguments)})
        elif isinstance(part, ReasoningPart):
            if part.redacted:
                content.append({"type": "redacted_thinking", "data": part.redacted})
            else:
                content.append({"type": "thinking", "thinking": part.text, "signature": part.signature or ""})
    return {
        "id": response.id or new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": response.model,
        "content": content,
        "stop_reason": stop_reason(response.finish_reason, response.raw_finish_reason),
        "stop_sequence": None,
        "usage": usage_json(response.usage),
    }


def _event(name: str, data: Mapping[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + dumps(data) + b"\n\n"


class EventWriter:
    """Kernel stream events as Anthropic's SSE events, opening and closing content blocks."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.block: int = -1
        self.kind: str | None = None
        self.usage = Usage()
        self.tool_blocks: dict[int, int] = {}

    def start(self) -> bytes:
        message: dict[str, Any] = {
            "id": new_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return _event("message_start", {"type": "message_start", "message": message})

    def _open(self, kind: str, block: dict[str, Any]) -> bytes:
        out = self._close()
        self.block += 1
        self.kind = kind
        return out + _event(
            "content_block_start", {"type": "content_block_start", "index": self.block, "content_block": block}
        )

    def _close(self) -> bytes:
        if self.kind is None:
            return b""
        self.kind = None
        return _event("content_block_stop", {"type": "content_block_stop", "index": self.block})

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return _event("content_block_delta", {"type": "content_block_delta", "index": self.block, "delta": delta})

    def frames(self, event: StreamEvent) -> bytes:
        if isinstance(event, TextDelta):
            out = b"" if self.kind == "text" else self._open("text", {"type": "text", "text": ""})
            return out + self._delta({"type": "text_delta", "text": event.text})
        if isinstance(event, ReasoningDelta):
            if event.redacted:
                return self._open("redacted", {"type": "redacted_thinking", "data": event.redacted}) + self._close()
            out = (
                b""
                if self.kind == "thinking"
                else self._open("thinking", {"type": "thinking", "thinking": "", "signature": ""})
            )
            if event.text:
                out += self._delta({"type": "thinking_delta", "thinking": event.text})
            if event.signature:
                out += self._delta({"type": "signature_delta", "signature": event.signature}) + self._close()
            return out
        if isinstance(event, ToolCallStart):
            out = self._open("tool", {"type": "tool_use", "id": event.id, "name": event.name, "input": {}})
            self.tool_blocks[event.index] = self.block
            return out
        if isinstance(event, ToolCallDelta):
            index = self.tool_blocks.get(event.index, self.block)
            return _event(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": event.arguments},
                },
            )
        if isinstance(event, UsageEvent):
            self.usage = event.usage
            return b""
        if isinstance(event, Finish):
            delta = {"stop_reason": stop_reason(event.reason, event.raw_reason), "stop_sequence": None}
            return (
                self._close()
                + _event("message_delta", {"type": "message_delta", "delta": delta, "usage": usage_json(self.usage)})
                + _event("message_stop", {"type": "message_stop"})
            )
        return b""


async def serve_messages(gateway: Gateway, ctx: Context, scope: Scope, receive: Receive, send: Send) -> None:
    body = object_body(await gateway.json_body(scope, receive))
    wire = ChatWire(message_json, EventWriter, lambda error: _event("error", error.anthropic_body()))
    await gateway.serve_chat(
        ctx, scope, receive, send, model_of(body), body.get("stream") is True, call_kwargs(body), wire
    )
