"""OpenAI request bodies (chat completions, embeddings) into the kernel's call arguments.

Only the shape is checked here; the kernel then validates every value (roles, tool results that
answer no call, numbers) and its ``RequestValidationError`` becomes a 400 like these.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from lluminary import ImagePart, Message, TextPart, Tool, ToolCallPart, ToolChoice
from lluminary.sdk import loads

from .errors import bad_request

#: OpenAI fields passed on to OpenAI deployments only (``options={"openai": ...}``)
OPENAI_ONLY = (
    "frequency_penalty",
    "presence_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "parallel_tool_calls",
    "user",
    "service_tier",
)
_KNOWN = {
    "model",
    "messages",
    "tools",
    "tool_choice",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "seed",
    "response_format",
    "reasoning_effort",
    "stream",
    "stream_options",
    "n",
    "metadata",
    "store",
    *OPENAI_ONLY,
}


@attrs.frozen
class ChatCall:
    """A parsed chat request: the model name the client used and the kernel's keyword arguments."""

    model: str
    kwargs: Mapping[str, Any]
    stream: bool = False
    include_usage: bool = False
    reasoning: bool = False


def object_body(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise bad_request("the request body must be a JSON object")
    return body


def model_of(body: Mapping[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("'model' is required and must be a string", param="model")
    return model


def chat_call(body: Any) -> ChatCall:
    body = object_body(body)
    model = model_of(body)
    unknown = sorted(set(body) - _KNOWN)
    if unknown:
        raise bad_request(f"unrecognized request argument supplied: {unknown[0]}", param=unknown[0])
    if body.get("n", 1) not in (1, None):
        raise bad_request("only n=1 is supported", param="n")
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise bad_request("'messages' must be a non-empty array", param="messages")
    kwargs: dict[str, Any] = {"messages": messages_of(raw_messages)}
    if body.get("tools"):
        kwargs["tools"] = tools_of(body["tools"])
    if body.get("tool_choice") is not None:
        kwargs["tool_choice"] = tool_choice_of(body["tool_choice"])
    for name in ("temperature", "top_p", "seed"):
        if body.get(name) is not None:
            kwargs[name] = body[name]
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None:
        kwargs["max_tokens"] = max_tokens
    stop = body.get("stop")
    if stop is not None:
        kwargs["stop"] = stop
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping) and response_format.get("type") == "text":
        response_format = None
    if response_format is not None:
        kwargs["response_format"] = response_format
    effort = body.get("reasoning_effort")
    if effort not in (None, "none"):
        kwargs["reasoning"] = effort
    passed = {name: body[name] for name in OPENAI_ONLY if body.get(name) is not None}
    if passed:
        kwargs["options"] = {"openai": passed}
    stream = body.get("stream") is True
    options = body.get("stream_options")
    if options is not None and not isinstance(options, Mapping):
        raise bad_request("'stream_options' must be an object", param="stream_options")
    include_usage = bool(options and options.get("include_usage"))
    return ChatCall(model, kwargs, stream, include_usage, effort not in (None, "none"))


def messages_of(raw: Sequence[Any]) -> list[Message | dict[str, str]]:
    """The conversation; system and developer messages stay mappings, which the kernel lifts
    into the system prompt."""
    messages: list[Message | dict[str, str]] = []
    tool_names: dict[str, str] = {}
    for index, item in enumerate(raw):
        where = f"messages[{index}]"
        if not isinstance(item, Mapping):
            raise bad_request(f"{where} must be an object", param=where)
        role = item.get("role")
        content = item.get("content")
        if role in ("system", "developer"):
            messages.append({"role": "system", "content": _text_only(content, where)})
        elif role == "user":
            messages.append(Message("user", _user_parts(content, where)))
        elif role == "assistant":
            parts: list[Any] = []
            if content:
                parts.append(TextPart(_text_only(content, where)))
            for call in item.get("tool_calls") or ():
                part = _tool_call(call, where)
                tool_names[part.id] = part.name
                parts.append(part)
            messages.append(Message("assistant", parts))
        elif role == "tool":
            call_id = item.get("tool_call_id")
            if not isinstance(call_id, str):
                raise bad_request(f"{where}.tool_call_id is required", param=where)
            messages.append(Message.tool(call_id, _text_only(content, where), name=tool_names.get(call_id)))
        else:
            raise bad_request(
                f"{where}.role {role!r} is not one of system, developer, user, assistant, tool", param=where
            )
    return messages


def _text_only(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, Mapping) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise bad_request(f"{where}.content may hold only text parts here", param=where)
            texts.append(part["text"])
        return "".join(texts)
    if content is None:
        return ""
    raise bad_request(f"{where}.content must be a string or an array of parts", param=where)


def _user_parts(content: Any, where: str) -> list[Any]:
    if isinstance(content, str):
        return [TextPart(content)]
    if not isinstance(content, list):
        raise bad_request(f"{where}.content must be a string or an array of parts", param=where)
    parts: list[Any] = []
    for part in content:
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text" and isinstance(part.get("text"), str):
            parts.append(TextPart(part["text"]))
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, Mapping) else image
            if not isinstance(url, str):
                raise bad_request(f"{where}: image_url needs a url", param=where)
            parts.append(image_part(url, where))
        else:
            raise bad_request(f"{where}: content part type {kind!r} is not supported", param=where)
    return parts


def image_part(url: str, where: str) -> ImagePart:
    """An image by URL; a ``data:`` URL becomes the bytes with their media type."""
    if not url.startswith("data:"):
        return ImagePart(url=url)
    head, _, data = url[5:].partition(",")
    media_type, _, encoding = head.partition(";")
    if encoding != "base64" or not media_type:
        raise bad_request(f"{where}: a data URL must be data:<media type>;base64,...", param=where)
    try:
        return ImagePart(data=base64.b64decode(data, validate=True), media_type=media_type)
    except (binascii.Error, ValueError):
        raise bad_request(f"{where}: the data URL is not valid base64", param=where) from None


def _tool_call(call: Any, where: str) -> ToolCallPart:
    function = call.get("function") if isinstance(call, Mapping) else None
    if (
        not isinstance(function, Mapping)
        or not isinstance(call.get("id"), str)
        or not isinstance(function.get("name"), str)
    ):
        raise bad_request(f"{where}.tool_calls: each needs an id and a function with a name", param=where)
    arguments = function.get("arguments") or "{}"
    try:
        parsed = loads(arguments) if isinstance(arguments, str) else arguments
    except ValueError:
        raise bad_request(f"{where}.tool_calls: arguments are not valid JSON", param=where) from None
    if not isinstance(parsed, Mapping):
        raise bad_request(f"{where}.tool_calls: arguments must be a JSON object", param=where)
    return ToolCallPart(call["id"], function["name"], dict(parsed))


def tools_of(raw: Any) -> list[Tool]:
    if not isinstance(raw, list):
        raise bad_request("'tools' must be an array", param="tools")
    tools = []
    for index, item in enumerate(raw):
        function = item.get("function") if isinstance(item, Mapping) else None
        if not isinstance(function, Mapping) or item.get("type", "function") != "function":
            raise bad_request(f"tools[{index}] must be a function tool", param=f"tools[{index}]")
        name = function.get("name")
        if not isinstance(name, str):
            raise bad_request(f"tools[{index}].function.name is required", param=f"tools[{index}]")
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        tools.append(Tool(name, function.get("description") or "", parameters, bool(function.get("strict"))))
    return tools


def tool_choice_of(raw: Any) -> Any:
    if isinstance(raw, str):
        if raw not in ("auto", "none", "required"):
            raise bad_request("tool_choice must be auto, none, required or a function", param="tool_choice")
        return raw
    function = raw.get("function") if isinstance(raw, Mapping) else None
    if isinstance(function, Mapping) and isinstance(function.get("name"), str):
        return ToolChoice.tool(function["name"])
    raise bad_request("tool_choice must be auto, none, required or a function", param="tool_choice")


@attrs.frozen
class EmbedCall:
    model: str
    inputs: tuple[str, ...]
    kwargs: Mapping[str, Any]
    base64: bool = False


def embed_call(body: Any) -> EmbedCall:
    body = object_body(body)
    model = model_of(body)
    raw = body.get("input")
    if isinstance(raw, str):
        inputs: tuple[str, ...] = (raw,)
    elif isinstance(raw, list) and raw and all(isinstance(item, str) for item in raw):
        inputs = tuple(raw)
    else:
        raise bad_request(
            "'input' must be a string or a non-empty array of strings (token arrays are not supported)", param="input"
        )
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise bad_request("encoding_format must be float or base64", param="encoding_format")
    kwargs: dict[str, Any] = {}
    if body.get("dimensions") is not None:
        kwargs["dimensions"] = body["dimensions"]
    return EmbedCall(model, inputs, kwargs, encoding == "base64")
