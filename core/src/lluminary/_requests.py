"""Building requests from the friendly call signature, and rejecting bad ones before any I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, get_args

import attrs

from ._arguments import (
    _base_url,
    _input_type,
    _integer,
    _kind,
    _metadata,
    _options,
    _real,
    _reasoning,
    _secret,
    _stop,
    _text,
    _timeout,
    check_model,
)
from ._convert import from_dict
from ._errors import RequestValidationError
from ._response_format import to_response_format
from ._tools import tool_from_function, validate_tool
from ._types import (
    ChatRequest,
    EmbedInputType,
    EmbedRequest,
    ImagePart,
    Message,
    ReasoningConfig,
    ReasoningEffort,
    ReasoningPart,
    ResponseFormat,
    Secret,
    TextPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolChoiceMode,
    ToolResultPart,
)

ToolLike = Tool | Callable[..., Any]
MessageLike = Message | Mapping[str, Any]

_ALLOWED_PARTS: dict[str, tuple[type, ...]] = {
    "user": (TextPart, ImagePart, ToolResultPart),
    "assistant": (TextPart, ToolCallPart, ReasoningPart),
    "tool": (ToolResultPart,),
}
_TOOL_CHOICE_MODES: tuple[str, ...] = get_args(ToolChoiceMode)


def to_message(value: object, position: int = 0) -> Message:
    where = f"messages[{position}]"
    if isinstance(value, Message):
        return value
    if isinstance(value, Mapping):
        role = value.get("role")
        content = value.get("content")
        if role not in _ALLOWED_PARTS:
            raise RequestValidationError(f"{where}: role must be 'user', 'assistant', 'tool' or 'system', got {role!r}")
        if isinstance(content, str):
            return Message(role, content)
        try:
            msg: Message = from_dict(dict(value), Message)
        except Exception as exc:  # noqa: BLE001 - cattrs raises several types; all mean "bad message"
            raise RequestValidationError(f"{where}: cannot read the message {value!r}: {exc}") from None
        return msg
    raise RequestValidationError(f"{where}: a message must be a Message or a mapping, got {_kind(value)}")


def _role(value: object) -> object:
    if isinstance(value, Message):
        return value.role
    if isinstance(value, Mapping):
        return value.get("role")
    return None


def _system_text(value: object, position: int) -> str:
    """The text of a ``system`` message found in ``messages``: a string, or text parts only."""
    where = f"messages[{position}]"
    content = (
        value.content if isinstance(value, Message) else value.get("content") if isinstance(value, Mapping) else None
    )
    if isinstance(content, str):
        text = content
    elif isinstance(content, Sequence) and not isinstance(content, (bytes, bytearray)):
        pieces: list[str] = []
        for part in content:
            if isinstance(part, TextPart) and isinstance(part.text, str):
                pieces.append(part.text)
            elif isinstance(part, Mapping) and part.get("type") == "text" and isinstance(part.get("text"), str):
                pieces.append(part["text"])
            else:
                kind = part.get("type") if isinstance(part, Mapping) else _kind(part)
                raise RequestValidationError(f"{where}: a system message can hold only text, got {kind!r}")
        text = "".join(pieces)
    else:
        raise RequestValidationError(f"{where}: a system message's content must be text, got {_kind(content)}")
    if not text:
        raise RequestValidationError(f"{where} (system) is empty")
    return text


def _conversation(items: Iterable[object]) -> tuple[list[str], list[Message], list[str]]:
    """Split ``messages`` into the texts of its system messages (lifted to ``system``) and the
    conversation, with each message's label for errors."""
    lifted: list[str] = []
    messages: list[Message] = []
    labels: list[str] = []
    for position, item in enumerate(items):
        if _role(item) == "system":
            lifted.append(_system_text(item, position))
        else:
            messages.append(to_message(item, position))
            labels.append(f"messages[{position}]")
    return lifted, messages, labels


def _join_system(system: str | None, lifted: Sequence[str]) -> str | None:
    if not lifted:
        return system
    return "\n\n".join([system, *lifted] if system else lifted)


def _is_empty(message: Message) -> bool:
    """No parts, or only text parts with no text (an assistant turn holding only a tool call is not
    empty)."""
    return all(isinstance(p, TextPart) and not p.text for p in message.content)


def validate_messages(messages: Sequence[Message], labels: Sequence[str] | None = None) -> None:
    """Checks every provider needs: no message is empty, roles hold the parts they may, and every
    tool result answers a tool call made earlier in the conversation."""
    if not messages:
        raise RequestValidationError("a chat request needs at least one message (a prompt or messages)")
    if labels is None:
        labels = [f"messages[{position}]" for position in range(len(messages))]
    called: set[str] = set()
    for where, message in zip(labels, messages, strict=True):
        allowed = _ALLOWED_PARTS.get(message.role)
        if allowed is None:
            raise RequestValidationError(f"{where}: unknown role {message.role!r}")
        if _is_empty(message):
            raise RequestValidationError(f"{where} ({message.role}) is empty: it has no part, or only empty text")
        for part in message.content:
            if not isinstance(part, allowed):
                raise RequestValidationError(f"{where}: a {message.role} message cannot hold a {_kind(part)}")
            if isinstance(part, ToolCallPart):
                called.add(part.id)
            elif isinstance(part, ToolResultPart) and part.tool_call_id not in called:
                raise RequestValidationError(
                    f"{where}: tool result for {part.tool_call_id!r} answers no earlier tool call"
                )


# --------------------------------------------------------------------------- tools


def to_tool(value: object, position: int = 0) -> Tool:
    if isinstance(value, Tool):
        validate_tool(value)
        return value
    if callable(value):
        return tool_from_function(value)
    raise RequestValidationError(f"tools[{position}] must be a Tool or a callable, got {_kind(value)}")


def _tools(value: object) -> tuple[Tool, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, bytes, Mapping, Tool)) or not isinstance(value, Iterable):
        raise RequestValidationError(f"tools must be a list of Tools or functions, got {_kind(value)}")
    tool_list = tuple(to_tool(t, position) for position, t in enumerate(value))
    _check_tool_names(tool_list)
    return tool_list


def _check_tool_names(tool_list: Sequence[Tool]) -> None:
    names = [t.name for t in tool_list]
    if len(set(names)) != len(names):
        raise RequestValidationError(f"tool names must be unique, got {names}")


def to_tool_choice(value: object, tools: Sequence[Tool]) -> ToolChoice | None:
    if value is None or isinstance(value, ToolChoice):
        choice = value
    elif value in ("auto", "none", "required"):
        choice = ToolChoice(value)
    elif isinstance(value, str):
        choice = ToolChoice.tool(value)
    else:
        raise RequestValidationError(
            f"tool_choice must be 'auto', 'none', 'required', a tool's name or a ToolChoice, got {_kind(value)}"
        )
    if choice is not None and choice.mode not in _TOOL_CHOICE_MODES:
        raise RequestValidationError(f"tool_choice mode must be one of {_TOOL_CHOICE_MODES}, got {choice.mode!r}")
    if choice is not None and choice.mode == "tool":
        if not any(t.name == choice.name for t in tools):
            raise RequestValidationError(f"tool_choice names {choice.name!r}, which is not among the tools")
    elif choice is not None and choice.mode == "required" and not tools:
        raise RequestValidationError("tool_choice='required' needs at least one tool")
    return choice


# --------------------------------------------------------------------------- response_format


def _check_chat_fields(request: ChatRequest) -> None:
    """The scalar fields of a ready :class:`ChatRequest`, checked as the call's arguments are."""
    _text("system", request.system)
    _real("temperature", request.temperature, low=0)
    _real("top_p", request.top_p, low=0, high=1)
    _integer("max_tokens", request.max_tokens, minimum=1)
    _integer("seed", request.seed)
    if not isinstance(request.stop, tuple) or _stop(request.stop) != request.stop:
        raise RequestValidationError(f"stop must be a tuple of strings, got {request.stop!r}")
    to_response_format(request.response_format)
    _reasoning(request.reasoning)
    _options(request.options)
    _metadata(request.metadata)
    _base_url(request.base_url)
    _timeout(request.timeout)
    _secret(request.api_key)


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
    response_format: ResponseFormat | Mapping[str, Any] | str | type[Any] | None = None,
    reasoning: ReasoningConfig | ReasoningEffort | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    metadata: Mapping[str, str] | None = None,
    api_key: str | Secret | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> ChatRequest:
    """The one place a call's arguments become a validated :class:`ChatRequest`: every argument is
    checked (a bad one raises :class:`RequestValidationError` naming it) before any I/O, and
    ``system`` messages found in ``messages`` are lifted to ``system``. :class:`ChatOptions` lists
    the keyword arguments."""
    if isinstance(model, ChatRequest):
        return _check_chat_request(model)
    check_model(model)
    if prompt is not None:
        if not isinstance(prompt, str):
            raise RequestValidationError(f"prompt must be a string, got {_kind(prompt)}")
        if not prompt:
            raise RequestValidationError("prompt is empty: pass None, or some text")
    system = _text("system", system)
    if messages is None:
        lifted: list[str] = []
        msgs: list[Message] = []
        labels: list[str] = []
    elif isinstance(messages, (str, bytes, Mapping, Message)) or not isinstance(messages, Iterable):
        raise RequestValidationError(f"messages must be a list of Messages or mappings, got {_kind(messages)}")
    else:
        lifted, msgs, labels = _conversation(messages)
    if prompt is not None:
        msgs.append(Message("user", (TextPart(prompt),)))
        labels.append("prompt")
    validate_messages(msgs, labels)
    tool_list = _tools(tools)
    return ChatRequest(
        model=model,
        messages=tuple(msgs),
        system=_join_system(system, lifted),
        tools=tool_list,
        tool_choice=to_tool_choice(tool_choice, tool_list),
        temperature=_real("temperature", temperature, low=0),
        top_p=_real("top_p", top_p, low=0, high=1),
        max_tokens=_integer("max_tokens", max_tokens, minimum=1),
        stop=_stop(stop),
        seed=_integer("seed", seed),
        response_format=to_response_format(response_format),
        reasoning=_reasoning(reasoning),
        options=_options(options),
        metadata=_metadata(metadata),
        base_url=_base_url(base_url),
        timeout=_timeout(timeout),
        api_key=_secret(api_key),
    )


def _check_chat_request(request: ChatRequest) -> ChatRequest:
    """A ready request, checked the same way; returned as it is unless it held system messages."""
    check_model(request.model)
    lifted, msgs, labels = _conversation(request.messages)
    validate_messages(msgs, labels)
    for t in request.tools:
        validate_tool(t)
    _check_tool_names(request.tools)
    to_tool_choice(request.tool_choice, request.tools)
    _check_chat_fields(request)
    if lifted:
        return attrs.evolve(request, messages=tuple(msgs), system=_join_system(request.system, lifted))
    return request


def build_embed_request(
    model: str | EmbedRequest,
    inputs: str | Sequence[str] | None = None,
    *,
    dimensions: int | None = None,
    input_type: EmbedInputType | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    api_key: str | Secret | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
    metadata: Mapping[str, str] | None = None,
) -> EmbedRequest:
    """An :class:`EmbedRequest` from the call's arguments, every one checked before any I/O;
    :class:`EmbedOptions` lists the keyword arguments."""
    if isinstance(model, EmbedRequest):
        request = model
        check_model(request.model)
        _inputs(request.inputs)
        _integer("dimensions", request.dimensions, minimum=1)
        _input_type(request.input_type)
        _options(request.options)
        _base_url(request.base_url)
        _timeout(request.timeout)
        _secret(request.api_key)
        _metadata(request.metadata)
        return request
    check_model(model)
    return EmbedRequest(
        model=model,
        inputs=_inputs(inputs),
        dimensions=_integer("dimensions", dimensions, minimum=1),
        input_type=_input_type(input_type),
        options=_options(options),
        base_url=_base_url(base_url),
        timeout=_timeout(timeout),
        api_key=_secret(api_key),
        metadata=_metadata(metadata),
    )


def _inputs(value: object) -> tuple[str, ...]:
    if value is None:
        texts: tuple[object, ...] = ()
    elif isinstance(value, str):
        texts = (value,)
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        texts = tuple(value)
    else:
        raise RequestValidationError(f"embed inputs must be a string or a list of strings, got {_kind(value)}")
    if not texts:
        raise RequestValidationError("embed needs at least one input text (inputs is empty)")
    bad = next((t for t in texts if not isinstance(t, str)), None)
    if bad is not None:
        raise RequestValidationError(f"embed inputs must be strings, got {_kind(bad)}")
    return texts  # type: ignore[return-value]  # every item checked above
