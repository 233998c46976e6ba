"""Unified requests to Mistral's ``/v1/chat/completions`` and ``/v1/embeddings`` bodies."""

from __future__ import annotations

import base64
import json
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
    ToolChoice,
    ToolResultPart,
)

from .config import NAME

# Options the body builder owns: a pass-through option may not silently change the framing.
_RESERVED = frozenset({"stream", "model", "messages"})


def chat_body(request: ChatRequest, *, stream: bool) -> dict[str, Any]:
    """The JSON body for one chat call."""
    body: dict[str, Any] = {"model": request.model_name, "messages": messages(request)}
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens
    if request.stop:
        body["stop"] = list(request.stop)
    if request.seed is not None:
        body["random_seed"] = request.seed
    if request.tools:
        body["tools"] = [_tool(t.name, t.description, t.parameters, t.strict) for t in request.tools]
    if request.tool_choice is not None:
        body["tool_choice"] = tool_choice(request.tool_choice)
    fmt = request.response_format
    if fmt is not None:
        if fmt.type == "json" or fmt.json_schema is None:
            body["response_format"] = {"type": "json_object"}
        else:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": fmt.name, "schema": dict(fmt.json_schema), "strict": fmt.strict},
            }
    if request.reasoning is not None:
        body["reasoning_effort"] = reasoning_effort(request.reasoning)
    for key, value in request.provider_options(NAME).items():
        if key in _RESERVED:
            raise RequestValidationError(f"option {key!r} is set by lluminary and cannot be passed to Mistral")
        body[key] = value
    if stream:
        body["stream"] = True
    return body


def reasoning_effort(config: ReasoningConfig) -> str:
    """Mistral has two levels: ``high`` (reason) and ``none``. ``minimal`` means as little as the
    model allows, which on Mistral is ``none``; any other level or a token budget asks for ``high``."""
    return "none" if config.effort == "minimal" else "high"


def tool_choice(choice: ToolChoice) -> Any:
    if choice.mode == "tool":
        return {"type": "function", "function": {"name": choice.name}}
    if choice.mode == "required":
        return "any"  # Mistral's own word; "required" is accepted as a synonym
    return choice.mode


def _tool(name: str, description: str, parameters: Mapping[str, Any], strict: bool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": name, "description": description, "parameters": dict(parameters)}
    if strict:
        function["strict"] = True
    return {"type": "function", "function": function}


def messages(request: ChatRequest) -> list[dict[str, Any]]:
    """Mistral's messages. Tool results become ``tool`` messages (with the tool's name, looked up
    from the call when the result does not carry it); a trailing assistant message is sent as a
    prefix the answer must continue (``prefix: true``)."""
    out: list[dict[str, Any]] = []
    if request.system:
        out.append({"role": "system", "content": request.system})
    names: dict[str, str] = {}
    last = len(request.messages) - 1
    for position, message in enumerate(request.messages):
        if message.role == "assistant":
            out.append(_assistant(message, names, prefix=position == last))
        else:
            _user_or_tool(message, names, out)
    return out


def _assistant(message: Message, names: dict[str, str], *, prefix: bool) -> dict[str, Any]:
    chunks: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    thinking = False
    for part in message.content:
        if isinstance(part, TextPart):
            if part.text:
                chunks.append({"type": "text", "text": part.text})
        elif isinstance(part, ToolCallPart):
            names[part.id] = part.name
            arguments = json.dumps(dict(part.arguments), ensure_ascii=False)
            calls.append({"id": part.id, "type": "function", "function": {"name": part.name, "arguments": arguments}})
        elif isinstance(part, ReasoningPart) and part.text and part.provider in (None, NAME) and part.redacted is None:
            # Mistral's own thinking goes back as a thinking chunk; another provider's is dropped.
            chunks.append({"type": "thinking", "thinking": [{"type": "text", "text": part.text}]})
            thinking = True
    out: dict[str, Any] = {"role": "assistant"}
    if thinking:
        out["content"] = chunks
    elif chunks:
        out["content"] = "".join(c["text"] for c in chunks)
    if calls:
        out["tool_calls"] = calls
        if "content" not in out:
            out["content"] = ""
    elif prefix:
        out.setdefault("content", "")
        out["prefix"] = True
    return out


def _user_or_tool(message: Message, names: dict[str, str], out: list[dict[str, Any]]) -> None:
    chunks: list[dict[str, Any]] = []
    images = False

    def flush() -> None:
        nonlocal images
        if not chunks:
            return
        if images:
            out.append({"role": "user", "content": list(chunks)})
        else:
            out.append({"role": "user", "content": "".join(c["text"] for c in chunks)})
        chunks.clear()
        images = False

    for part in message.content:
        if isinstance(part, TextPart):
            chunks.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            chunks.append({"type": "image_url", "image_url": image_url(part)})
            images = True
        elif isinstance(part, ToolResultPart):
            flush()
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": part.tool_call_id,
                    "name": part.name or names.get(part.tool_call_id, ""),
                    "content": part.content,
                }
            )
    flush()


def image_url(part: ImagePart) -> str:
    if part.url is not None:
        return part.url
    assert part.data is not None
    return f"data:{part.media_type};base64,{base64.b64encode(part.data).decode('ascii')}"


def embed_body(model: str, inputs: list[str], dimensions: int | None, options: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "input": inputs}
    if dimensions is not None:
        body["output_dimension"] = dimensions
    for key, value in options.items():
        if key in ("batch_size", "concurrency"):
            continue
        if key in ("model", "input", "encoding_format"):
            raise RequestValidationError(f"option {key!r} is set by lluminary and cannot be passed to Mistral")
        body[key] = value
    return body
