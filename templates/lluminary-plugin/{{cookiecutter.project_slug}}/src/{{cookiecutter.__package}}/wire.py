"""The wire format: lluminary requests to JSON bodies, JSON answers to lluminary responses,
stream chunks to stream events, error answers to typed errors.

As generated this is OpenAI's Chat Completions format, the one the fake server of
``lluminary-testing`` speaks. Rewrite these functions for {{ cookiecutter.plugin_name }}'s own API; keep their
contracts (each one's docstring says what lluminary expects of it) and the conformance suite will
tell you what is still missing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lluminary import sdk
from lluminary.sdk import (
    Accumulator,
    ChatRequest,
    ChatResponse,
    ContentFilteredError,
    ContextLengthExceededError,
    EmbedRequest,
    Finish,
    FinishReason,
    ImagePart,
    MalformedResponseError,
    Message,
    ProviderError,
    RateLimitError,
    ReasoningDelta,
    ServerError,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    ToolChoice,
    ToolResultPart,
    Usage,
    UsageEvent,
    finish_reason_of,
    image_data_url,
    json_or_text,
    map_options,
    parse_arguments,
    status_error,
)

#: The data of the last server-sent event of a complete stream.
END_OF_STREAM = "[DONE]"

#: The provider's finish reasons, normalised (anything else becomes "other").
FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}

#: The request's generation settings -> their names in the body (unset ones are left out).
GENERATION_SETTINGS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "max_tokens": "max_completion_tokens",
    "stop": "stop",
    "seed": "seed",
}

#: Error classes by code, for errors that arrive inside a stream (without an HTTP status).
STREAM_ERRORS: dict[str, type[ProviderError]] = {
    "content_filter": ContentFilteredError,
    "context_length_exceeded": ContextLengthExceededError,
    "rate_limit_exceeded": RateLimitError,
}


def loads(raw: bytes | str, *, provider: str) -> Any:
    """Parse JSON from the provider; anything that does not parse is a MalformedResponseError."""
    try:
        return sdk.loads(raw)
    except ValueError as exc:  # UnicodeDecodeError included
        text = raw if isinstance(raw, str) else raw[:200].decode("utf-8", "replace")
        raise MalformedResponseError(f"invalid JSON: {exc}: {text[:200]!r}", provider=provider) from None


# --------------------------------------------------------------------------- requests


def chat_body(request: ChatRequest, *, stream: bool) -> dict[str, Any]:
    """The JSON body of one chat call. Options passed as ``options={"<prefix>": {...}}`` are added,
    but never replace what lluminary sets."""
    body: dict[str, Any] = {"model": request.model_name, "messages": messages(request)}
    map_options(body, request, GENERATION_SETTINGS)
    if request.reasoning is not None and request.reasoning.effort is not None:
        body["reasoning_effort"] = request.reasoning.effort
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {"name": tool.name, "description": tool.description, "parameters": dict(tool.parameters)},
            }
            for tool in request.tools
        ]
    if request.tool_choice is not None:
        body["tool_choice"] = tool_choice(request.tool_choice)
    response_format = request.response_format
    if response_format is not None:
        if response_format.type == "json" or response_format.json_schema is None:
            body["response_format"] = {"type": "json_object"}
        else:
            schema = {
                "name": response_format.name,
                "schema": dict(response_format.json_schema),
                "strict": response_format.strict,
            }
            body["response_format"] = {"type": "json_schema", "json_schema": schema}
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}  # without it the stream reports no usage
    for key, value in request.provider_options(request.provider).items():
        body.setdefault(key, value)
    return body


def tool_choice(choice: ToolChoice) -> Any:
    if choice.mode == "tool":
        return {"type": "function", "function": {"name": choice.name}}
    return choice.mode  # "auto", "none" or "required"


def messages(request: ChatRequest) -> list[dict[str, Any]]:
    """The conversation: the system prompt first, then every turn in order."""
    out: list[dict[str, Any]] = []
    if request.system:
        out.append({"role": "system", "content": request.system})
    for message in request.messages:
        if message.role == "assistant":
            out.append(_assistant(message))
        else:
            out.extend(_user_or_tool(message))
    return out


def _assistant(message: Message) -> dict[str, Any]:
    """An earlier answer: its text and its tool calls. Reasoning is not sent back: this wire has
    no field for it (a provider whose reasoning carries a signature must return it)."""
    text = "".join(part.text for part in message.content if isinstance(part, TextPart))
    calls = [
        {
            "id": part.id,
            "type": "function",
            "function": {"name": part.name, "arguments": json.dumps(dict(part.arguments), ensure_ascii=False)},
        }
        for part in message.content
        if isinstance(part, ToolCallPart)
    ]
    out: dict[str, Any] = {"role": "assistant", "content": text or (None if calls else "")}
    if calls:
        out["tool_calls"] = calls
    return out


def _user_or_tool(message: Message) -> list[dict[str, Any]]:
    """Tool results become one ``tool`` message each; text and images one ``user`` message."""
    out: list[dict[str, Any]] = []
    content: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, ToolResultPart):
            # The wire has no error flag: say it in the text.
            text = f"Error: {part.content}" if part.is_error else part.content
            out.append({"role": "tool", "tool_call_id": part.tool_call_id, "content": text})
        elif isinstance(part, TextPart):
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            content.append({"type": "image_url", "image_url": {"url": image_data_url(part)}})
    if content:
        if all(block["type"] == "text" for block in content):
            out.append({"role": "user", "content": "".join(block["text"] for block in content)})
        else:
            out.append({"role": "user", "content": content})
    return out


def embed_body(request: EmbedRequest) -> dict[str, Any]:
    body: dict[str, Any] = {"model": request.model_name, "input": list(request.inputs)}
    if request.dimensions is not None:
        body["dimensions"] = request.dimensions
    for key, value in request.provider_options(request.provider).items():
        body.setdefault(key, value)
    return body


# --------------------------------------------------------------------------- answers


def usage_of(data: Mapping[str, Any]) -> Usage:
    """Usage in lluminary's convention: input counts every input token (cached ones included),
    output every output token (reasoning included); ``details`` keeps the usage object as it came."""
    prompt = data.get("prompt_tokens_details") or {}
    completion = data.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=int(data.get("prompt_tokens") or 0),
        output_tokens=int(data.get("completion_tokens") or 0),
        cache_read_tokens=int(prompt.get("cached_tokens") or 0),
        reasoning_tokens=int(completion.get("reasoning_tokens") or 0),
        details=dict(data),
    )


class _ToolCall:
    __slots__ = ("fragments", "id", "index", "name")

    def __init__(self, index: int, call_id: str, name: str) -> None:
        self.index = index
        self.id = call_id
        self.name = name
        self.fragments: list[str] = []


class ChunkParser:
    """Stream chunks in, lluminary stream events out: :meth:`feed` for each chunk, :meth:`end`
    once the stream is complete.

    Reasoning (``reasoning_content``) becomes a ReasoningDelta per piece and text a TextDelta
    per piece; a tool call becomes a ToolCallStart when it first appears, a ToolCallDelta per raw
    argument fragment (joined per call, never parsed early) and a ToolCallEnd with the parsed
    arguments at the end; then come the usage and one Finish. A whole (non-streamed) answer is
    read as one chunk whose ``message`` is the delta, so both paths give exactly the same response.
    """

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self._calls: dict[object, _ToolCall] = {}  # by the wire's own tool-call index
        self._usage: Usage | None = None
        self._finish: str | None = None
        self._model = ""
        self._id: str | None = None

    def feed(self, chunk: Any, *, key: str = "delta") -> list[StreamEvent]:
        if not isinstance(chunk, dict):
            raise MalformedResponseError(f"expected a JSON object, got {chunk!r:.100}", provider=self.provider)
        if "error" in chunk:  # an error reported inside a 200 stream
            raise stream_error(chunk["error"], provider=self.provider)
        self._id = self._id or (str(chunk["id"]) if chunk.get("id") else None)
        self._model = self._model or str(chunk.get("model") or "")
        if isinstance(chunk.get("usage"), dict):
            self._usage = usage_of(chunk["usage"])
        events: list[StreamEvent] = []
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue  # lluminary asks for one answer
            delta = choice.get(key) or {}
            reasoning = delta.get("reasoning_content")
            if isinstance(reasoning, str) and reasoning:
                events.append(ReasoningDelta(reasoning))
            text = delta.get("content")
            if isinstance(text, str) and text:
                events.append(TextDelta(text))
            for position, entry in enumerate(delta.get("tool_calls") or ()):
                events.extend(self._tool_call(entry, position))
            if choice.get("finish_reason"):
                self._finish = str(choice["finish_reason"])
        return events

    def _tool_call(self, entry: Any, position: int) -> list[StreamEvent]:
        if not isinstance(entry, dict):
            return []
        function = entry.get("function") or {}
        wire_index = entry.get("index", position)  # a whole answer lists its calls without an index
        events: list[StreamEvent] = []
        call = self._calls.get(wire_index)
        if call is None:
            call = _ToolCall(len(self._calls), str(entry.get("id") or ""), str(function.get("name") or ""))
            self._calls[wire_index] = call
            events.append(ToolCallStart(call.index, call.id, call.name))
        fragment = function.get("arguments")
        if isinstance(fragment, str) and fragment:
            call.fragments.append(fragment)
            events.append(ToolCallDelta(call.index, fragment))
        return events

    def end(self) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for call in self._calls.values():
            arguments = parse_arguments("".join(call.fragments), provider=self.provider, tool=call.name)
            events.append(ToolCallEnd(call.index, ToolCallPart(call.id, call.name, arguments)))
        if self._usage is not None:
            events.append(UsageEvent(self._usage))
        reason = finish_reason_of(bool(self._calls), FINISH_REASONS.get(self._finish or "", "other"))
        events.append(Finish(reason, self._finish, self._model, self._id))
        return events


def completion(data: Any, *, provider: str) -> ChatResponse:
    """A whole (non-streamed) answer, read by the same parser as a stream."""
    if not isinstance(data, dict) or not data.get("choices"):
        raise MalformedResponseError("the answer has no choices", provider=provider)
    parser = ChunkParser(provider)
    accumulator = Accumulator(provider)
    for event in [*parser.feed(data, key="message"), *parser.end()]:
        accumulator.add(event)
    return accumulator.response()


def embeddings(data: Any, expected: int, *, provider: str) -> tuple[list[list[float]], Usage, str]:
    """The vectors in input order, the usage and the model of an embeddings answer."""
    try:
        items = sorted(data["data"], key=lambda item: int(item.get("index", 0)))
        vectors = [[float(x) for x in item["embedding"]] for item in items]
        raw_usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        usage = Usage(input_tokens=int(raw_usage.get("prompt_tokens") or 0), details=dict(raw_usage))
        model = str(data.get("model") or "")
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise MalformedResponseError(f"unexpected embeddings answer: {exc!r}", provider=provider) from None
    if len(vectors) != expected:
        raise MalformedResponseError(f"asked for {expected} embeddings, got {len(vectors)}", provider=provider)
    return vectors, usage, model


# --------------------------------------------------------------------------- errors


def error_from_response(status: int, body: bytes, headers: Mapping[str, str], *, provider: str) -> ProviderError:
    """The typed error of an HTTP error answer ``{"error": {"message", "type", "code"}}``: the
    class from the status (or from the code, when it says more), the provider's message and
    code, the request id and Retry-After from the headers."""
    data = json_or_text(body)
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or "")
        code = str(error.get("code") or error.get("type") or "") or None
    else:
        message, code = str(data)[:500], None
    cls = ContentFilteredError if code == "content_filter" else None  # the status says only 400
    return status_error(status, message or f"HTTP {status}", provider=provider, headers=headers, code=code, cls=cls)


def stream_error(error: Any, *, provider: str) -> ProviderError:
    """An error sent inside a 200 stream: no status, so its code picks the class."""
    if not isinstance(error, dict):
        error = {"message": str(error)}
    code = str(error.get("code") or "") or None
    cls = STREAM_ERRORS.get(code or "", ServerError)
    return cls(str(error.get("message") or "the stream reported an error"), provider=provider, code=code)
