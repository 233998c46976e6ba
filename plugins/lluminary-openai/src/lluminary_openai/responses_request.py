"""``ChatRequest`` → a Responses API request body.

Reasoning is carried across turns statelessly: every request sets ``store: false`` and asks for
``include: ["reasoning.encrypted_content"]``; the encrypted reasoning comes back on a
:class:`~lluminary.ReasoningPart` (``redacted``) and is sent back as a ``reasoning`` input item
before the tool call it led to.
"""

from __future__ import annotations

from typing import Any

from lluminary.sdk import (
    ChatRequest,
    ImagePart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    UnsupportedError,
    dumps_str,
    image_data_url,
    map_options,
)

from .chat_request import add_provider_options

#: The request's generation settings and their Responses API names (no stop sequences, no seed).
RESPONSES_OPTIONS = {"max_tokens": "max_output_tokens", "temperature": "temperature", "top_p": "top_p"}


def responses_body(request: ChatRequest, *, stream: bool, prefix: str) -> dict[str, Any]:
    """The JSON body for ``POST /responses``."""
    if request.stop:
        raise UnsupportedError(
            f"{request.model}: the Responses API has no stop sequences; drop stop=... or use the Chat "
            'Completions API (options={"openai": {"api": "chat"}})'
        )
    body: dict[str, Any] = {
        "model": request.model_name,
        "input": response_input(request, prefix),
        "store": False,
        "include": ["reasoning.encrypted_content"],
    }
    if stream:
        body["stream"] = True
    if request.system:
        body["instructions"] = request.system
    map_options(body, request, RESPONSES_OPTIONS)
    if request.tools:
        body["tools"] = [_tool(t.name, t.description, t.parameters, t.strict) for t in request.tools]
    if request.tool_choice is not None:
        body["tool_choice"] = responses_tool_choice(request.tool_choice)
    fmt = request.response_format
    if fmt is not None:
        if fmt.type == "json_schema" and fmt.json_schema is not None:
            text_format: dict[str, Any] = {
                "type": "json_schema",
                "name": fmt.name,
                "schema": fmt.json_schema,
                "strict": fmt.strict,
            }
        else:
            text_format = {"type": "json_object"}
        body["text"] = {"format": text_format}
    reasoning = request.reasoning
    if reasoning is not None:
        config: dict[str, Any] = {"summary": "auto"}
        if reasoning.effort is not None:
            config["effort"] = reasoning.effort
        body["reasoning"] = config
    return add_provider_options(body, request, prefix)


def _tool(name: str, description: str, parameters: Any, strict: bool) -> dict[str, Any]:
    tool: dict[str, Any] = {"type": "function", "name": name}
    if description:
        tool["description"] = description
    tool["parameters"] = parameters
    tool["strict"] = strict  # the Responses API defaults to strict: say so either way
    return tool


def responses_tool_choice(choice: ToolChoice) -> Any:
    if choice.mode == "tool":
        return {"type": "function", "name": choice.name}
    return choice.mode


def response_input(request: ChatRequest, prefix: str) -> list[dict[str, Any]]:
    """The ``input`` items, in conversation order."""
    items: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role == "assistant":
            _assistant_items(message, prefix, items)
            continue
        content: list[dict[str, Any]] = []
        for part in message.content:
            if isinstance(part, ToolResultPart):
                output = (
                    f"Error: {part.content}"
                    if part.is_error and not part.content.lower().startswith("error")
                    else part.content
                )
                items.append({"type": "function_call_output", "call_id": part.tool_call_id, "output": output})
            elif isinstance(part, TextPart):
                content.append({"type": "input_text", "text": part.text})
            elif isinstance(part, ImagePart):
                content.append({"type": "input_image", "image_url": image_data_url(part), "detail": "auto"})
        if content:
            items.append({"role": "user", "content": content})
    return items


def _assistant_items(message: Message, prefix: str, items: list[dict[str, Any]]) -> None:
    texts: list[str] = []

    def flush() -> None:
        if texts:
            items.append({"role": "assistant", "content": "".join(texts)})
            texts.clear()

    for part in message.content:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ToolCallPart):
            flush()
            items.append(
                {"type": "function_call", "call_id": part.id, "name": part.name, "arguments": dumps_str(part.arguments)}
            )
        elif isinstance(part, ReasoningPart):
            # Encrypted reasoning goes back only to the provider that produced it.
            if part.redacted is None or (part.provider is not None and part.provider != prefix):
                continue
            flush()
            item: dict[str, Any] = {"type": "reasoning"}
            if part.id:
                item["id"] = part.id
            item["summary"] = [{"type": "summary_text", "text": part.text}] if part.text else []
            item["encrypted_content"] = part.redacted
            items.append(item)
    flush()
