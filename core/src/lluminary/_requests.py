"""Building requests from the friendly call signature, and rejecting bad ones before any I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ._convert import from_dict
from ._errors import RequestValidationError, register_secret
from ._tools import tool_from_function, validate_tool
from ._types import (
    ChatRequest,
    EmbedRequest,
    ImagePart,
    Message,
    ReasoningConfig,
    ReasoningPart,
    ResponseFormat,
    Secret,
    TextPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)

ToolLike = Tool | Callable[..., Any]
MessageLike = Message | Mapping[str, Any]

_ALLOWED_PARTS: dict[str, tuple[type, ...]] = {
    "user": (TextPart, ImagePart, ToolResultPart),
    "assistant": (TextPart, ToolCallPart, ReasoningPart),
    "tool": (ToolResultPart,),
}


def check_model(model: str) -> str:
    provider, sep, name = model.partition(":")
    if not sep or not provider or not name:
        raise RequestValidationError(f"model must look like 'provider:model' (e.g. 'openai:gpt-4o'), got {model!r}")
    return model


def to_message(value: MessageLike) -> Message:
    if isinstance(value, Message):
        return value
    if isinstance(value, Mapping):
        role = value.get("role")
        content = value.get("content")
        if role not in _ALLOWED_PARTS:
            raise RequestValidationError(f"message role must be user, assistant or tool, got {role!r}")
        if isinstance(content, str):
            return Message(role, content)
        try:
            msg: Message = from_dict(dict(value), Message)
        except Exception as exc:  # noqa: BLE001 - cattrs raises several types; all mean "bad message"
            raise RequestValidationError(f"cannot read message {value!r}: {exc}") from None
        return msg
    raise RequestValidationError(f"a message must be a Message or a mapping, got {type(value).__name__}")


def to_tool(value: ToolLike) -> Tool:
    if isinstance(value, Tool):
        validate_tool(value)
        return value
    if callable(value):
        return tool_from_function(value)
    raise RequestValidationError(f"a tool must be a Tool or a callable, got {type(value).__name__}")


def to_tool_choice(value: str | ToolChoice | None, tools: Sequence[Tool]) -> ToolChoice | None:
    if value is None or isinstance(value, ToolChoice):
        choice = value
    elif value in ("auto", "none", "required"):
        choice = ToolChoice(value)  # type: ignore[arg-type]
    else:
        choice = ToolChoice.tool(value)
    if choice is not None and choice.mode == "tool":
        if not any(t.name == choice.name for t in tools):
            raise RequestValidationError(f"tool_choice names {choice.name!r}, which is not among the tools")
    elif choice is not None and choice.mode == "required" and not tools:
        raise RequestValidationError("tool_choice='required' needs at least one tool")
    return choice


def to_response_format(value: ResponseFormat | Mapping[str, Any] | str | None) -> ResponseFormat | None:
    if value is None or isinstance(value, ResponseFormat):
        return value
    if value == "json":
        return ResponseFormat("json")
    if isinstance(value, Mapping):
        return ResponseFormat("json_schema", dict(value), str(value.get("title", "response")))
    raise RequestValidationError(f"response_format must be a ResponseFormat, a JSON schema or 'json', got {value!r}")


def validate_messages(messages: Sequence[Message]) -> None:
    """Checks every provider needs: roles hold the parts they may, and every tool result answers a
    tool call made earlier in the conversation."""
    if not messages:
        raise RequestValidationError("a chat request needs at least one message")
    called: set[str] = set()
    for position, message in enumerate(messages):
        allowed = _ALLOWED_PARTS.get(message.role)
        if allowed is None:
            raise RequestValidationError(f"message {position}: unknown role {message.role!r}")
        for part in message.content:
            if not isinstance(part, allowed):
                raise RequestValidationError(
                    f"message {position}: a {message.role} message cannot hold a {type(part).__name__}"
                )
            if isinstance(part, ToolCallPart):
                called.add(part.id)
            elif isinstance(part, ToolResultPart) and part.tool_call_id not in called:
                raise RequestValidationError(
                    f"message {position}: tool result for {part.tool_call_id!r} answers no earlier tool call"
                )
        if not message.content:
            raise RequestValidationError(f"message {position} ({message.role}) is empty")


def build_chat_request(
    model: str | ChatRequest,
    prompt: str | None = None,
    *,
    messages: Iterable[MessageLike] | None = None,
    system: str | None = None,
    tools: Iterable[ToolLike] | None = None,
    tool_choice: str | ToolChoice | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    max_tokens: int | None = None,
    stop: str | Sequence[str] | None = None,
    seed: int | None = None,
    response_format: ResponseFormat | Mapping[str, Any] | str | None = None,
    reasoning: ReasoningConfig | str | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    metadata: Mapping[str, str] | None = None,
    api_key: str | Secret | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> ChatRequest:
    """The one place a call's arguments become a validated :class:`ChatRequest`."""
    if isinstance(model, ChatRequest):
        request = model
        check_model(request.model)
        validate_messages(request.messages)
        for t in request.tools:
            validate_tool(t)
        to_tool_choice(request.tool_choice, request.tools)
        return request
    check_model(model)
    msgs = [to_message(m) for m in messages] if messages is not None else []
    if prompt is not None:
        msgs.append(Message("user", (TextPart(prompt),)))
    validate_messages(msgs)
    tool_list = tuple(to_tool(t) for t in tools) if tools else ()
    names = [t.name for t in tool_list]
    if len(set(names)) != len(names):
        raise RequestValidationError(f"tool names must be unique, got {names}")
    if isinstance(reasoning, str):
        reasoning = ReasoningConfig(effort=reasoning)  # type: ignore[arg-type]
    api_key = _secret(api_key)
    return ChatRequest(
        model=model,
        messages=tuple(msgs),
        system=system,
        tools=tool_list,
        tool_choice=to_tool_choice(tool_choice, tool_list),
        temperature=temperature,
        top_p=top_p,
        max_tokens=max_tokens,
        stop=(stop,) if isinstance(stop, str) else tuple(stop or ()),
        seed=seed,
        response_format=to_response_format(response_format),
        reasoning=reasoning,
        options=options or {},
        metadata=metadata or {},
        base_url=base_url,
        timeout=timeout,
        api_key=api_key,
    )


def build_embed_request(
    model: str | EmbedRequest,
    inputs: str | Sequence[str] | None = None,
    *,
    dimensions: int | None = None,
    input_type: str | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    api_key: str | Secret | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> EmbedRequest:
    if isinstance(model, EmbedRequest):
        check_model(model.model)
        return model
    check_model(model)
    texts = (inputs,) if isinstance(inputs, str) else tuple(inputs or ())
    if not texts:
        raise RequestValidationError("embed needs at least one input text")
    if any(not isinstance(t, str) for t in texts):
        raise RequestValidationError("embed inputs must be strings")
    api_key = _secret(api_key)
    return EmbedRequest(
        model=model,
        inputs=texts,
        dimensions=dimensions,
        input_type=input_type,  # type: ignore[arg-type]
        options=options or {},
        base_url=base_url,
        timeout=timeout,
        api_key=api_key,
    )


def _secret(api_key: str | Secret | None) -> Secret | None:
    """Wrap a per-call key and register it, so that redaction knows it even when the key has no
    recognisable shape."""
    if api_key is None:
        return None
    secret = Secret(api_key) if isinstance(api_key, str) else api_key
    register_secret(secret.get())
    return secret
