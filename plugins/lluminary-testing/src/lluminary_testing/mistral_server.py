"""A fake Mistral API on loopback, speaking the real wire.

``POST /v1/chat/completions`` answers a :class:`~lluminary_testing.scenario.Scenario` as a
``chat.completion`` object, or — when the body says ``"stream": true`` — as data-only server-sent
events (``data: {chat.completion.chunk}``) ending with ``data: [DONE]``, the way Mistral streams:

* the first chunk carries ``delta.role = "assistant"`` and empty content;
* reasoning (Magistral) arrives as content *lists*: ``[{"type": "thinking", "thinking": [{"type":
  "text", "text": ...}]}]``, one list per piece; the text of a turn that reasoned arrives as
  ``[{"type": "text", "text": ...}]`` lists too, other text as plain strings (the non-streamed
  thinking chunk says ``"closed": true``);
* every chunk after the first carries a ``p`` padding string (as recorded from the live API;
  :attr:`FakeMistralServer.padding` off drops it), and ``usage`` always has
  ``prompt_tokens_details.cached_tokens``;
* each tool call arrives **whole in one delta** (Mistral does not fragment arguments), with
  ``arguments`` as a JSON string, or as a JSON object when :attr:`FakeMistralServer.object_arguments`
  is set (both occur in the wild);
* the last chunk carries ``finish_reason`` and ``usage`` (when the turn ends in tool calls, the calls,
  the finish reason and the usage share that one chunk).

``POST /v1/embeddings`` returns one deterministic unit vector per input (``output_dimension`` long,
1024 by default) with ``usage``.

An :class:`~lluminary_testing.scenario.ErrorScenario` is answered with the body Mistral sends for
that kind: 422 ``{"detail": [{loc, msg, type}]}``, 401 ``{"detail": "Unauthorized"}``, 429
``{"message": ...}``, the "too large for model with N maximum context length" 400, and the
OpenAI-like ``{"object": "error", "message", "type", "param", "code"}`` for the rest; with
``in_stream`` the error object is sent as a data frame inside a 200 stream, after some content.

Like the real API, the server rejects before generating what the real API rejects: no bearer key
(401), fields the request schema does not have (422 ``extra_forbidden``: the schema is closed),
out-of-range sampling values, unknown ``tool_choice`` values, a last message that is an assistant
message without ``prefix: true``, and tool calls not answered by as many tool messages.

With nothing scripted, it echoes the last user text back.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from typing import Any

from lluminary import Usage

from .answers import echo, last_user_text, rough_tokens, unit_vector
from .scenario import ErrorScenario, Scenario
from .server import SSE_HEADERS, FakeServer, RecordedRequest, Reply, seconds, sse

CHAT_PATH = "/v1/chat/completions"
EMBED_PATH = "/v1/embeddings"
CREATED = 1_760_000_000

#: unified finish reason -> Mistral ``finish_reason``
FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "error": "error",
    "other": "error",
    # Mistral has no safety finish reason (guardrails block the request with an error instead):
    # a scenario that asks for one ends as a plain stop.
    "content_filter": "stop",
}

#: the closed request schema (``additionalProperties: false``) of ChatCompletionRequest
CHAT_FIELDS = frozenset(
    {
        "model",
        "temperature",
        "top_p",
        "max_tokens",
        "stream",
        "stop",
        "random_seed",
        "metadata",
        "messages",
        "response_format",
        "tools",
        "tool_choice",
        "presence_penalty",
        "frequency_penalty",
        "n",
        "prediction",
        "parallel_tool_calls",
        "prompt_mode",
        "reasoning_effort",
        "guardrails",
        "prompt_cache_key",
        "safe_prompt",
    }
)
EMBED_FIELDS = frozenset({"model", "metadata", "input", "output_dimension", "output_dtype", "encoding_format"})
MESSAGE_FIELDS = {
    "system": frozenset({"role", "content"}),
    "user": frozenset({"role", "content"}),
    "assistant": frozenset({"role", "content", "tool_calls", "prefix"}),
    "tool": frozenset({"role", "content", "tool_call_id", "name"}),
}
TOOL_CHOICES = frozenset({"auto", "none", "any", "required"})
CONTEXT_LENGTH_MESSAGE = (
    "Prompt contains {tokens} tokens and 0 draft tokens, too large for model with {maximum} maximum context length"
)
DEFAULT_DIMENSIONS = 1024


class FakeMistralServer(FakeServer):
    """Serves ``/v1/chat/completions`` and ``/v1/embeddings`` from its script."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, validate: bool = True) -> None:
        super().__init__(host, port)
        self.validate = validate
        #: render tool-call arguments as JSON objects instead of JSON strings
        self.object_arguments = False
        #: add the ``p`` padding key the live API puts on stream chunks
        self.padding = True
        self._ids = itertools.count(1)

    def default_responder(self, request: RecordedRequest) -> Any:
        if request.path == EMBED_PATH:
            return _Embeddings()
        if request.path != CHAT_PATH:
            return Reply.json({"detail": "Not Found"}, 404)
        body = request.json_or_none()
        fields = body if isinstance(body, dict) else {}
        text, model = last_user_text(fields.get("messages")), str(fields.get("model", "mistral-fake"))
        rid, words = f"cmpl-echo{next(self._ids):08d}", max(len(text.split()), 1)
        return echo(text, model=model, input_tokens=rough_tokens(body), output_tokens=words, id=rid)

    def render(self, item: Any, request: RecordedRequest) -> Reply:
        if isinstance(item, Reply):
            return item
        if isinstance(item, ErrorScenario):
            return render_error(item)
        if isinstance(item, _Embeddings) or (isinstance(item, Scenario) and request.path == EMBED_PATH):
            rejected = self.check(request, embeddings=True)
            if rejected is not None:
                return rejected
            return Reply.json(render_embeddings(request.json()), headers=self._headers())
        if isinstance(item, Scenario):
            rejected = self.check(request)
            if rejected is not None:
                return rejected.with_fault(item.fault)
            if request.streamed:
                chunks = render_stream(item, object_arguments=self.object_arguments, padding=self.padding)
                reply = Reply(200, self._headers(stream=True), chunks, stream=True)
            else:
                completion = render_completion(item, object_arguments=self.object_arguments)
                if item.unknown_events:
                    completion[FUTURE_KEY] = {"v": 2}
                    completion["choices"][0]["message"][FUTURE_KEY] = True
                reply = Reply.json(completion, headers=self._headers(), malformed=item.malformed)
            return reply.with_fault(item.fault)
        raise TypeError(f"{type(self).__name__} cannot render {item!r}")

    def _headers(self, *, stream: bool = False) -> dict[str, str]:
        headers = {"x-request-id": f"req{next(self._ids):012d}", "mistral-correlation-id": "corr-fake"}
        return {**headers, **SSE_HEADERS} if stream else headers

    # ---- what the real API rejects before generating

    def check(self, request: RecordedRequest, *, embeddings: bool = False) -> Reply | None:
        """The error reply the real API would give this request, or None when it is acceptable."""
        if not self.validate:
            return None
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return Reply.json({"detail": "Unauthorized"}, 401)
        body = request.json_or_none()
        if not isinstance(body, dict):
            return validation_reply([{"type": "json_invalid", "loc": ["body"], "msg": "JSON decode error"}])
        problems = embed_problems(body) if embeddings else chat_problems(body)
        if problems:
            return validation_reply(problems)
        if not embeddings:
            message = conversation_problem(body["messages"])
            if message is not None:
                return Reply.json(error_object(message, "invalid_request_message_error"), 400)
        return None


class _Embeddings:
    """The default answer to an embeddings request."""


# --------------------------------------------------------------------------- request checks


def _detail(kind: str, loc: list[Any], msg: str) -> dict[str, Any]:
    return {"type": kind, "loc": ["body", *loc], "msg": msg}


def chat_problems(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """FastAPI-style validation errors of a chat request body (empty: valid)."""
    problems = [_detail("extra_forbidden", [k], "Extra inputs are not permitted") for k in body if k not in CHAT_FIELDS]
    problems.extend(_detail("missing", [f], "Field required") for f in ("model", "messages") if f not in body)
    temperature = body.get("temperature")
    if temperature is not None and not (isinstance(temperature, (int, float)) and 0 <= temperature <= 1.5):
        problems.append(_detail("less_than_equal", ["temperature"], "Input should be less than or equal to 1.5"))
    top_p = body.get("top_p")
    if top_p is not None and not (isinstance(top_p, (int, float)) and 0 <= top_p <= 1):
        problems.append(_detail("less_than_equal", ["top_p"], "Input should be less than or equal to 1"))
    for field in ("max_tokens", "random_seed"):
        value = body.get(field)
        if value is not None and not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            problems.append(_detail("greater_than_equal", [field], "Input should be greater than or equal to 0"))
    choice = body.get("tool_choice")
    if choice is not None and not (isinstance(choice, str) and choice in TOOL_CHOICES):
        named = isinstance(choice, dict) and isinstance(choice.get("function"), dict) and choice["function"].get("name")
        if not named:
            problems.append(_detail("enum", ["tool_choice"], "Input should be 'auto', 'none', 'any' or 'required'"))
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = fmt.get("json_schema")
        if not isinstance(schema, dict) or "name" not in schema or "schema" not in schema:
            problems.append(_detail("missing", ["response_format", "json_schema"], "Field required"))
    for n, tool in enumerate(body.get("tools") or ()):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or "name" not in function or "parameters" not in function:
            problems.append(_detail("missing", ["tools", n, "function"], "Field required"))
    messages = body.get("messages")
    if isinstance(messages, list):
        for n, message in enumerate(messages):
            role = message.get("role") if isinstance(message, dict) else None
            if role not in MESSAGE_FIELDS:
                problems.append(_detail("union_tag_invalid", ["messages", n], f"Input tag '{role}' does not match"))
                continue
            problems.extend(
                _detail("extra_forbidden", ["messages", n, role, k], "Extra inputs are not permitted")
                for k in message
                if k not in MESSAGE_FIELDS[role]
            )
            if role != "assistant" and "content" not in message:
                problems.append(_detail("missing", ["messages", n, role, "content"], "Field required"))
    elif messages is not None:
        problems.append(_detail("list_type", ["messages"], "Input should be a valid list"))
    return problems


def embed_problems(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    problems = [
        _detail("extra_forbidden", [k], "Extra inputs are not permitted") for k in body if k not in EMBED_FIELDS
    ]
    problems.extend(_detail("missing", [f], "Field required") for f in ("model", "input") if f not in body)
    dims = body.get("output_dimension")
    if dims is not None and not (isinstance(dims, int) and dims > 0):
        problems.append(_detail("greater_than", ["output_dimension"], "Input should be greater than 0"))
    return problems


def conversation_problem(messages: list[Any]) -> str | None:
    """What Mistral says about a conversation it cannot serve (None: it can)."""
    if not messages:
        return "Conversation must have at least one message"
    last = messages[-1]
    if last.get("role") == "assistant" and not last.get("prefix"):
        return "Expected last role User or Tool (or Assistant with prefix True) for serving but got assistant"
    for n, message in enumerate(messages):
        if message.get("prefix") and n != len(messages) - 1:
            return "Assistant message with prefix True must be the last message"
        calls = message.get("tool_calls") or ()
        if message.get("role") == "assistant" and calls:
            answers = list(itertools.takewhile(lambda m: m.get("role") == "tool", messages[n + 1 :]))
            if n + 1 < len(messages) and len(answers) != len(calls):
                return "Not the same number of function calls and responses"
    return None


def validation_reply(problems: list[dict[str, Any]]) -> Reply:
    return Reply.json({"detail": problems}, 422)


def error_object(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"object": "error", "message": message, "type": kind, "param": None, "code": code}


# --------------------------------------------------------------------------- rendering scenarios


def wire_usage(usage: Usage) -> dict[str, Any]:
    """Unified usage as Mistral reports it (cached tokens are part of ``prompt_tokens``)."""
    out: dict[str, Any] = {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens},
    }
    if usage.cache_read_tokens:
        out["num_cached_tokens"] = usage.cache_read_tokens
    return out


def _arguments(raw: str, as_object: bool) -> Any:
    if as_object:
        try:
            value = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return raw  # invalid JSON cannot be an object: the client must notice
        if isinstance(value, dict):
            return value
    return raw


def wire_tool_calls(scenario: Scenario, *, object_arguments: bool) -> list[dict[str, Any]]:
    return [
        {
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": _arguments(call.arguments, object_arguments)},
            "index": index,
        }
        for index, call in enumerate(scenario.tool_calls)
    ]


def finish_reason(scenario: Scenario) -> str:
    return FINISH_REASONS.get(scenario.finish_reason, "stop")


def render_completion(scenario: Scenario, *, object_arguments: bool = False) -> dict[str, Any]:
    """The non-streamed ``chat.completion`` object."""
    content: Any
    if scenario.full_reasoning:
        content = [
            {"type": "thinking", "thinking": [{"type": "text", "text": scenario.full_reasoning}], "closed": True}
        ]
        if scenario.full_text:
            content.append({"type": "text", "text": scenario.full_text})
    else:
        content = scenario.full_text
    message: dict[str, Any] = {"role": "assistant", "content": content, "tool_calls": None, "prefix": False}
    if scenario.tool_calls:
        message["tool_calls"] = wire_tool_calls(scenario, object_arguments=object_arguments)
    return {
        "id": scenario.id,
        "object": "chat.completion",
        "created": CREATED,
        "model": scenario.model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason(scenario), "logprobs": None}],
        "usage": wire_usage(scenario.usage),
    }


def stream_chunks(scenario: Scenario, *, object_arguments: bool = False) -> Iterator[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects of a streamed answer."""

    def chunk(delta: dict[str, Any], finish: str | None = None, usage: Usage | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": scenario.id,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": scenario.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }
        if usage is not None:
            out["usage"] = wire_usage(usage)
        return out

    yield chunk({"role": "assistant", "content": ""})
    reasoned = False
    for piece in scenario.reasoning_pieces:
        if piece:
            reasoned = True
            yield chunk({"content": [{"type": "thinking", "thinking": [{"type": "text", "text": piece}]}]})

    def text(piece: str) -> Any:  # after thinking, text comes as typed chunks too
        return [{"type": "text", "text": piece}] if reasoned else piece

    if not scenario.text_after_tools:
        for piece in scenario.text_pieces:
            if piece:
                yield chunk({"content": text(piece)})
    calls = wire_tool_calls(scenario, object_arguments=object_arguments)
    if calls and not scenario.text_after_tools:
        # Mistral: the whole calls, the finish reason and the usage in one last chunk.
        yield chunk({"tool_calls": calls}, finish_reason(scenario), scenario.usage)
        return
    if calls:
        yield chunk({"tool_calls": calls})
        for piece in scenario.text_pieces:
            if piece:
                yield chunk({"content": text(piece)})
    yield chunk({"content": ""}, finish_reason(scenario), scenario.usage)


#: what ``Scenario.unknown_events`` adds: a key no client knows, a content chunk type no client knows
FUTURE_KEY = "x_future_field"
FUTURE_CHUNK = {"type": "future_chunk", "payload": {"v": 2}}


def render_stream(scenario: Scenario, *, object_arguments: bool = False, padding: bool = False) -> list[bytes]:
    """The SSE body: data-only frames and ``[DONE]``; with ``padding`` a ``p`` key on every chunk
    after the first; with ``unknown_events`` unknown keys, an unknown content chunk, a keep-alive
    comment and a frame without choices; with ``malformed`` a frame whose data is not JSON after
    the first one."""
    frames: list[bytes] = []
    for n, chunk in enumerate(stream_chunks(scenario, object_arguments=object_arguments)):
        if padding and n:
            chunk["p"] = _padding(n)
        if scenario.unknown_events:
            chunk[FUTURE_KEY] = {"v": 2}
            chunk["choices"][0]["delta"][FUTURE_KEY] = True
            if n == 1:
                frames.append(b": keep-alive\n\n")
                frames.extend(
                    sse(
                        [
                            (
                                None,
                                {
                                    "id": scenario.id,
                                    "object": "chat.completion.chunk",
                                    "choices": [],
                                    "model": scenario.model,
                                },
                            )
                        ]
                    )
                )
                extra = {
                    **chunk,
                    "choices": [{"index": 0, "delta": {"content": [FUTURE_CHUNK]}, "finish_reason": None}],
                }
                frames.extend(sse([(None, extra)]))
        if scenario.malformed and n == 1:
            frames.append(b'data: {"id": "' + scenario.id.encode() + b'", "choices": [{"delta": {"content": "Hel\n\n')
        frames.extend(sse([(None, chunk)]))
    frames.append(b"data: [DONE]\n\n")
    return frames


def render_embeddings(body: Mapping[str, Any]) -> dict[str, Any]:
    inputs = body.get("input")
    texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
    size = int(body.get("output_dimension") or DEFAULT_DIMENSIONS)
    tokens = sum(max(len(str(t).split()), 1) for t in texts)
    return {
        "id": "embd-fake",
        "object": "list",
        "model": body.get("model", "mistral-embed"),
        "data": [
            {"object": "embedding", "embedding": unit_vector(str(t), size), "index": i} for i, t in enumerate(texts)
        ],
        "usage": {"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens},
    }


# --------------------------------------------------------------------------- errors


def render_error(scenario: ErrorScenario) -> Reply:
    headers = {"x-request-id": scenario.request_id}
    if scenario.retry_after is not None:
        headers["retry-after"] = seconds(scenario.retry_after)
    message = scenario.message
    status: int
    body: Any
    kind = scenario.kind
    if kind == "authentication":
        status, body = 401, {"detail": message}
    elif kind == "permission":
        status, body = 403, error_object(message, "forbidden")
    elif kind == "not_found":
        status, body = 404, error_object(f"Invalid model: {message}", "invalid_model")
    elif kind == "rate_limit":
        status, body = 429, {"message": message}
    elif kind == "context_length":
        text = CONTEXT_LENGTH_MESSAGE.format(tokens=140_000, maximum=131_072)
        status, body = 400, error_object(f"{text} ({message})", "invalid_request_message_error")
    elif kind == "invalid_request":
        status, body = 422, {"detail": [_detail("missing", ["messages"], message)]}
    elif kind == "request_too_large":
        status, body = 413, {"message": message}
    elif kind == "content_filter":
        status, body = 400, error_object(f"Content blocked by moderation: {message}", "content_filter")
    elif kind == "overloaded":
        status, body = 503, error_object(message, "service_unavailable")
    else:
        status, body = 500, error_object(message, "internal_server_error")
    if not scenario.in_stream:
        return Reply.json(body, status, headers)
    frames: list[tuple[str | None, Any]] = [
        (None, _stream_chunk({"role": "assistant", "content": ""})),
        (None, _stream_chunk({"content": "Partial "})),
        (None, error_object(_message_of(body), _type_of(kind, body))),
    ]
    return Reply(200, {**headers, "content-type": "text/event-stream"}, sse(frames), stream=True)


def _padding(seed: int) -> str:
    """A ``p`` value: a run of letters and digits whose length varies from chunk to chunk."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return alphabet[: 4 + seed * 11 % 33]


def _stream_chunk(delta: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "cmpl-err",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": "mistral-fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
    }


def _message_of(body: Any) -> str:
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, list):
            return "; ".join(str(d.get("msg")) for d in detail)
        return str(body.get("message") or detail or "")
    return str(body)


def _type_of(kind: str, body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("type"), str):
        return str(body["type"])
    return {"rate_limit": "rate_limited", "authentication": "unauthorized"}.get(kind, "invalid_request_error")
