"""``ChatRequest`` → a Chat Completions request body."""

from __future__ import annotations

from typing import Any

from lluminary.sdk import (
    ChatRequest,
    EmbedRequest,
    ImagePart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    dumps_str,
    image_data_url,
    map_options,
)

from .dialect import Dialect

#: Options that choose how lluminary talks to the server; never sent as body fields.
LOCAL_OPTIONS = frozenset({"api"})
#: The request's generation settings and their Chat Completions names (``max_tokens`` is the dialect's).
CHAT_OPTIONS = {"temperature": "temperature", "top_p": "top_p", "stop": "stop", "seed": "seed"}


def chat_body(request: ChatRequest, *, stream: bool, dialect: Dialect, prefix: str) -> dict[str, Any]:
    """The JSON body for ``POST /chat/completions``."""
    body: dict[str, Any] = {"model": request.model_name, "messages": chat_messages(request)}
    if stream:
        body["stream"] = True
        if dialect.stream_usage:
            body["stream_options"] = {"include_usage": True}
    if request.max_tokens is not None:
        body[dialect.max_tokens_field] = request.max_tokens
    map_options(body, request, CHAT_OPTIONS)
    if request.tools:
        body["tools"] = [
            {"type": "function", "function": _function(t.name, t.description, t.parameters, t.strict)}
            for t in request.tools
        ]
    if request.tool_choice is not None:
        body["tool_choice"] = chat_tool_choice(request.tool_choice)
    fmt = request.response_format
    if fmt is not None:
        if fmt.type == "json_schema" and fmt.json_schema is not None:
            schema = {"name": fmt.name, "schema": fmt.json_schema, "strict": fmt.strict}
            body["response_format"] = {"type": "json_schema", "json_schema": schema}
        else:
            body["response_format"] = {"type": "json_object"}
    if request.reasoning is not None and request.reasoning.effort is not None:
        body["reasoning_effort"] = request.reasoning.effort
    return add_provider_options(body, request, prefix)


def add_provider_options(body: dict[str, Any], request: ChatRequest | EmbedRequest, prefix: str) -> dict[str, Any]:
    """``options[prefix]`` copied into ``body`` as it is, but for the :data:`LOCAL_OPTIONS`."""
    extra = request.provider_options(prefix)
    if extra:
        body.update((k, v) for k, v in extra.items() if k not in LOCAL_OPTIONS)
    return body


def _function(name: str, description: str, parameters: Any, strict: bool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": name}
    if description:
        function["description"] = description
    function["parameters"] = parameters
    if strict:
        function["strict"] = True
    return function


def chat_tool_choice(choice: ToolChoice) -> Any:
    if choice.mode == "tool":
        return {"type": "function", "function": {"name": choice.name}}
    return choice.mode


def chat_messages(request: ChatRequest) -> list[dict[str, Any]]:
    """The ``messages`` array. Tool results become one ``tool`` message each; reasoning parts are
    dropped (Chat Completions has nowhere to put them)."""
    out: list[dict[str, Any]] = []
    if request.system:
        out.append({"role": "system", "content": request.system})
    for message in request.messages:
        if message.role == "assistant":
            out.append(_assistant(message))
            continue
        other: list[Any] = []
        for part in message.content:
            if isinstance(part, ToolResultPart):
                out.append({"role": "tool", "tool_call_id": part.tool_call_id, "content": tool_result_text(part)})
            else:
                other.append(part)
        if other:
            out.append({"role": "user", "content": user_content(other)})
    return out


def tool_result_text(part: ToolResultPart) -> str:
    """Chat Completions has no error flag on tool results: an error says so in its text."""
    if part.is_error and not part.content.lower().startswith("error"):
        return f"Error: {part.content}"
    return part.content


def user_content(parts: list[Any]) -> Any:
    if len(parts) == 1 and isinstance(parts[0], TextPart):
        return parts[0].text
    content: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, TextPart):
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            content.append({"type": "image_url", "image_url": {"url": image_data_url(part)}})
    return content


def _assistant(message: Message) -> dict[str, Any]:
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ToolCallPart):
            arguments = dumps_str(part.arguments)
            calls.append({"id": part.id, "type": "function", "function": {"name": part.name, "arguments": arguments}})
        elif isinstance(part, ReasoningPart):
            continue
    text = "".join(texts)
    out: dict[str, Any] = {"role": "assistant", "content": text or (None if calls else "")}
    if calls:
        out["tool_calls"] = calls
    return out
