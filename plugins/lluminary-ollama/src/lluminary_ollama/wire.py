"""Unified requests to Ollama's ``/api/chat`` and ``/api/embed`` bodies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lluminary.sdk import (
    ChatRequest,
    ImagePart,
    Message,
    ReasoningConfig,
    ReasoningPart,
    RequestValidationError,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    image_base64,
    map_options,
)

from .config import NAME

#: Pass-through options that are top-level request fields; every other option goes into ``options``.
TOP_LEVEL = frozenset({"keep_alive", "think", "format", "logprobs", "top_logprobs", "truncate", "shift"})
_RESERVED = frozenset({"model", "messages", "stream", "tools"})
#: The request's generation settings -> their names in Ollama's ``options``.
GENERATION_OPTIONS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "seed": "seed",
    "stop": "stop",
    "max_tokens": "num_predict",
}


def chat_body(request: ChatRequest, *, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"model": request.model_name, "messages": messages(request), "stream": stream}
    tools = _tools(request)
    if tools:
        body["tools"] = tools
    fmt = request.response_format
    if fmt is not None:
        body["format"] = dict(fmt.json_schema) if fmt.type == "json_schema" and fmt.json_schema is not None else "json"
    if request.reasoning is not None:
        body["think"] = think(request.reasoning)
    options = map_options({}, request, GENERATION_OPTIONS)
    for key, value in request.provider_options(NAME).items():
        if key in _RESERVED:
            raise RequestValidationError(f"option {key!r} is set by lluminary and cannot be passed to Ollama")
        if key == "options":
            if not isinstance(value, Mapping):
                raise RequestValidationError("option 'options' must be a mapping of Ollama model options")
            options.update(value)
        elif key in TOP_LEVEL:
            body[key] = value
        else:
            options[key] = value
    if options:
        body["options"] = options
    return body


def think(config: ReasoningConfig) -> bool | str:
    """``think`` from the unified reasoning config: an effort level where one is given (Ollama knows
    ``low``, ``medium``, ``high``; ``minimal`` is sent as ``low``), else ``true``."""
    if config.effort is None:
        return True
    return "low" if config.effort == "minimal" else config.effort


def _tools(request: ChatRequest) -> list[dict[str, Any]]:
    """Ollama has no ``tool_choice``: ``none`` sends no tools, a named tool sends only that tool
    (the model may still answer in text), ``auto`` and ``required`` send them all."""
    choice = request.tool_choice
    tools = request.tools
    if choice is not None and choice.mode == "none":
        return []
    if choice is not None and choice.mode == "tool":
        tools = tuple(t for t in tools if t.name == choice.name)
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": dict(t.parameters)},
        }
        for t in tools
    ]


def messages(request: ChatRequest) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if request.system:
        out.append({"role": "system", "content": request.system})
    names: dict[str, str] = {}
    for message in request.messages:
        if message.role == "assistant":
            out.append(_assistant(message, names))
        else:
            _user_or_tool(message, names, out)
    return out


def _assistant(message: Message, names: dict[str, str]) -> dict[str, Any]:
    text: list[str] = []
    thinking: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            text.append(part.text)
        elif isinstance(part, ReasoningPart):
            if part.text and part.provider in (None, NAME):
                thinking.append(part.text)
        elif isinstance(part, ToolCallPart):
            names[part.id] = part.name
            calls.append({"id": part.id, "function": {"name": part.name, "arguments": dict(part.arguments)}})
    out: dict[str, Any] = {"role": "assistant", "content": "".join(text)}
    if thinking:
        out["thinking"] = "".join(thinking)
    if calls:
        out["tool_calls"] = calls
    return out


def _user_or_tool(message: Message, names: dict[str, str], out: list[dict[str, Any]]) -> None:
    text: list[str] = []
    images: list[str] = []

    def flush() -> None:
        if text or images:
            entry: dict[str, Any] = {"role": "user", "content": "".join(text)}
            if images:
                entry["images"] = list(images)
            out.append(entry)
            text.clear()
            images.clear()

    for part in message.content:
        if isinstance(part, TextPart):
            text.append(part.text)
        elif isinstance(part, ImagePart):
            images.append(image_data(part))
        elif isinstance(part, ToolResultPart):
            flush()
            out.append(
                {
                    "role": "tool",
                    "content": part.content,
                    "tool_name": part.name or names.get(part.tool_call_id, ""),
                    "tool_call_id": part.tool_call_id,
                }
            )
    flush()


def image_data(part: ImagePart) -> str:
    if part.data is None:
        raise RequestValidationError(
            f"Ollama takes images as data, not URLs ({part.url!r}): download the image and pass "
            "ImagePart(data=..., media_type=...)"
        )
    return image_base64(part)


def check(request: ChatRequest) -> None:
    """What Ollama cannot do, rejected before any I/O."""
    for message in request.messages:
        for part in message.content:
            if isinstance(part, ImagePart):
                image_data(part)


def embed_body(model: str, inputs: list[str], dimensions: int | None, options: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "input": inputs}
    if dimensions is not None:
        body["dimensions"] = dimensions
    model_options: dict[str, Any] = {}
    for key, value in options.items():
        if key in ("model", "input"):
            raise RequestValidationError(f"option {key!r} is set by lluminary and cannot be passed to Ollama")
        if key == "options" and isinstance(value, Mapping):
            model_options.update(value)
        elif key in ("truncate", "keep_alive", "dimensions"):
            body[key] = value
        else:
            model_options[key] = value
    if model_options:
        body["options"] = model_options
    return body
