"""A ``chat.completion`` object → :class:`lluminary.ChatResponse`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lluminary.errors import MalformedResponseError
from lluminary.streaming import parse_arguments
from lluminary.types import ChatResponse, Message, Part, ReasoningPart, ToolCallPart, Usage

from .dialect import Dialect
from .finish import chat_finish
from .parts import add_text
from .usage import chat_usage


def parse_chat_completion(data: Any, *, provider: str, dialect: Dialect) -> ChatResponse:
    if not isinstance(data, Mapping):
        raise MalformedResponseError(f"expected a chat.completion object, got {type(data).__name__}", provider=provider)
    choices = data.get("choices")
    if not choices or not isinstance(choices, list):
        raise MalformedResponseError("the chat completion has no choices", provider=provider)
    choice = choices[0]
    message = choice.get("message") or {}
    parts: list[Part] = []
    for field in dialect.reasoning_fields:
        reasoning = message.get(field)
        if reasoning and isinstance(reasoning, str):
            parts.append(ReasoningPart(reasoning, provider=provider))
            break
    content = message.get("content")
    if isinstance(content, str):
        add_text(parts, content)
    elif isinstance(content, list):  # some compatible servers answer with content parts
        for piece in content:
            if isinstance(piece, Mapping) and isinstance(piece.get("text"), str):
                add_text(parts, piece["text"])
    refusal = message.get("refusal")
    if refusal:
        add_text(parts, refusal)
    calls = 0
    for index, call in enumerate(message.get("tool_calls") or ()):
        function = call.get("function")
        if not function:  # a custom (non-function) tool call: not ours to parse
            continue
        name = function.get("name") or ""
        arguments = parse_arguments(function.get("arguments") or "", provider=provider, tool=name)
        parts.append(ToolCallPart(call.get("id") or f"call_{index}", name, arguments))
        calls += 1
    raw = choice.get("finish_reason")
    usage = data.get("usage")
    return ChatResponse(
        message=Message("assistant", tuple(parts)),
        finish_reason=chat_finish(raw, tool_calls=calls > 0, refused=bool(refusal)),
        raw_finish_reason="refusal" if refusal else raw,
        usage=chat_usage(usage) if usage else Usage(),
        model=data.get("model") or "",
        provider=provider,
        id=data.get("id"),
    )
