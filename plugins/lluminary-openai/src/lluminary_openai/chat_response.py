"""A ``chat.completion`` object → :class:`lluminary.ChatResponse`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lluminary.sdk import (
    ChatResponse,
    Citation,
    MalformedResponseError,
    Message,
    Part,
    TextPart,
    ToolCallPart,
    dumps_str,
    parse_arguments,
)

from .dialect import Dialect
from .errors import stream_error
from .finish import chat_finish
from .parts import add_reasoning, add_text, content_pieces, url_citation
from .usage import chat_usage


def parse_chat_completion(data: Any, *, provider: str, dialect: Dialect, request_id: str | None = None) -> ChatResponse:
    if not isinstance(data, Mapping):
        raise MalformedResponseError(f"expected a chat.completion object, got {type(data).__name__}", provider=provider)
    error = data.get("error")
    if error or data.get("object") == "error":
        # A 200 that carries an error (OpenRouter, when the model fails after the request was
        # accepted; vLLM's error object).
        raise stream_error(error or data, provider, request_id)
    choices = data.get("choices")
    if not choices or not isinstance(choices, list):
        raise MalformedResponseError("the chat completion has no choices", provider=provider)
    choice = choices[0]
    message = choice.get("message") or {}
    parts: list[Part] = []
    for field in dialect.reasoning_fields:
        reasoning = message.get(field)
        if reasoning and isinstance(reasoning, str):
            add_reasoning(parts, reasoning, provider)
            break
    content = message.get("content")
    if isinstance(content, str):
        add_text(parts, content)
    elif isinstance(content, list):  # Mistral (and gateways in front of it) answer with typed parts
        for is_reasoning, text in content_pieces(content):
            if is_reasoning:
                add_reasoning(parts, text, provider)
            else:
                add_text(parts, text)
    refusal = message.get("refusal")
    if refusal:
        add_text(parts, refusal)
    citations: list[Citation] = []
    annotations = message.get("annotations")
    if annotations and isinstance(annotations, list):  # url citations of search answers
        text = "".join(p.text for p in parts if isinstance(p, TextPart))
        for annotation in annotations:
            citation = url_citation(annotation, text)
            if citation is not None and citation not in citations:
                citations.append(citation)
    calls = 0
    for index, call in enumerate(message.get("tool_calls") or ()):
        function = call.get("function")
        if not function:  # a custom (non-function) tool call: not ours to parse
            continue
        name = function.get("name") or ""
        raw_arguments = function.get("arguments")
        if isinstance(raw_arguments, Mapping):  # an object rather than JSON text (Mistral-style servers)
            arguments = dict(raw_arguments)
        elif raw_arguments is None or isinstance(raw_arguments, str):
            arguments = parse_arguments(raw_arguments or "", provider=provider, tool=name)
        else:  # another JSON value (a list, a number): its text, which parse_arguments rejects
            arguments = parse_arguments(dumps_str(raw_arguments), provider=provider, tool=name)
        parts.append(ToolCallPart(call.get("id") or f"call_{index}", name, arguments))
        calls += 1
    raw = choice.get("finish_reason")
    return ChatResponse(
        message=Message("assistant", tuple(parts)),
        finish_reason=chat_finish(raw, tool_calls=calls > 0, refused=bool(refusal)),
        raw_finish_reason="refusal" if refusal else raw,
        usage=chat_usage(data.get("usage")),
        model=data.get("model") or "",
        provider=provider,
        id=data.get("id"),
        citations=tuple(citations),
    )
