"""A fake Cohere API (v2) on loopback, speaking the real wire.

``POST /v2/chat`` answers a :class:`~lluminary_testing.scenario.Scenario` as a ``ChatResponseV2``
object, or — when the body says ``"stream": true`` — as the server-sent events the real API sends
(``event: <type>`` and ``data: {"type": <type>, ...}``): ``message-start`` (with the empty message
skeleton), per content block ``content-start`` / ``content-delta`` / ``content-end`` (``thinking``
blocks for reasoning, ``text`` blocks for text), ``tool-plan-delta`` (the plan the model writes
before calling tools), per call ``tool-call-start`` (one object under ``tool_calls``, arguments
empty) / ``tool-call-delta`` / ``tool-call-end``, ``citation-start`` / ``citation-end``, and
``message-end`` with the finish reason and usage (``billed_units``, what the call is billed;
``tokens``, which also counts Cohere's prompt template; and ``cached_tokens``).

A scenario's reasoning is rendered as the model's ``tool_plan`` when it calls tools and as a
``thinking`` content block otherwise (:class:`CohereScenario` can force either, and adds
citations). The v2 API has no safety finish reason: a ``content_filter`` finish is rendered as the
v1 ``ERROR_TOXIC``.

An :class:`~lluminary_testing.scenario.ErrorScenario` is answered as Cohere answers that kind of
error: the status, an ``{"id", "message"}`` body (``{"message"}`` alone for a bad key, as the live
API does), an ``x-debug-trace-id`` header and ``retry-after`` on 429; with ``in_stream`` it becomes
a ``message-end`` whose ``finish_reason`` is ``ERROR`` and whose ``delta.error`` holds the message,
after some text.

``POST /v2/embed`` serves deterministic float vectors (``embeddings_by_type``) and
``POST /v1/tokenize`` deterministic tokens; neither consumes a scripted :class:`Scenario`, only a
scripted error or raw reply. Like the real API the server rejects, before answering, what the
real API rejects: no bearer key, no model, malformed messages, a tool message answering no earlier
tool call, ``tool_choice`` without tools, an embed call without ``input_type`` or with more than 96
texts, a tokenize text outside 1..65536 characters. It also answers ``406 Not Acceptable`` to an
``Accept`` header that admits none of what Cohere's OpenAPI document says the route answers
(``application/json`` only, streams included: the document does not describe them), as a
validator of that document does; ``Accept: text/event-stream`` alone is refused, while ``*/*``
(what Cohere's Python SDK sends), ``application/json, text/event-stream`` or no ``Accept`` pass.
With nothing scripted, chat echoes the last user text back.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

import attrs

from lluminary import Usage

from .answers import WORD, echo, finish_of, last_user_text, unit_vector, word_count
from .openapi import schema_problems
from .scenario import ErrorScenario, Scenario
from .server import SSE_HEADERS, FakeServer, RecordedRequest, Reply, seconds, sse

CHAT_PATH = "/v2/chat"
EMBED_PATH = "/v2/embed"
TOKENIZE_PATH = "/v1/tokenize"
TRACE_HEADER = "x-debug-trace-id"
EMBED_BATCH_LIMIT = 96
TOKENIZE_MAX_CHARS = 65_536
DEFAULT_DIMENSIONS = {"embed-v4.0": 1536, "embed-english-light-v3.0": 384, "embed-multilingual-light-v3.0": 384}
EMBED_INPUT_TYPES = ("search_document", "search_query", "classification", "clustering", "image")
EMBEDDING_TYPES = ("float", "int8", "uint8", "binary", "ubinary", "base64")
#: What Cohere's OpenAPI document (cohere-openapi.yaml: not redistributable, see specs/README.md) says
#: each route answers with 200.
RESPONSE_MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    CHAT_PATH: ("application/json",),
    EMBED_PATH: ("application/json",),
    TOKENIZE_PATH: ("application/json",),
}

#: unified finish reason -> Cohere ``finish_reason``
FINISH_REASONS = {
    "stop": "COMPLETE",
    "length": "MAX_TOKENS",
    "tool_calls": "TOOL_CALL",
    "error": "ERROR",
    "content_filter": "ERROR_TOXIC",  # v1's value: v2 has no safety finish reason
    "other": "USER_CANCEL",  # v1's value, likewise
}

#: ErrorScenario kind -> HTTP status
ERROR_STATUSES = {
    "authentication": 401,
    "permission": 403,
    "not_found": 404,
    "rate_limit": 429,
    "context_length": 400,
    "invalid_request": 400,
    "request_too_large": 413,
    "content_filter": 400,
    "server": 500,
    "overloaded": 503,
}
CONTEXT_LENGTH_MESSAGE = (
    "too many tokens: total number of tokens in the prompt cannot exceed 128000 - received 131072. "
    "Try using a shorter prompt, or enabling prompt truncating."
)
CONTENT_FILTER_MESSAGE = "blocked output: the request or response contains a deny-listed token"


@attrs.frozen
class CohereScenario(Scenario):
    """A :class:`Scenario` with what only Cohere has: ``citations`` (``Citation`` objects as the
    API sends them: ``start``, ``end``, ``text``, ``sources``, ``type``), where the reasoning goes
    (``reasoning_as``: ``auto`` is the tool plan when there are tool calls, else a thinking block),
    and the first argument fragment of each tool call sent inside its ``tool-call-start``
    (``arguments_in_start``) as the API sometimes does."""

    citations: Sequence[Mapping[str, Any]] = ()
    reasoning_as: Literal["auto", "thinking", "tool_plan"] = "auto"
    arguments_in_start: bool = False


class FakeCohereServer(FakeServer):
    """Serves ``/v2/chat``, ``/v2/embed`` and ``/v1/tokenize`` from its script.

    ``validate`` (default on) rejects requests the real API would reject; ``send_done`` ends
    every stream with a ``data: [DONE]`` line (the terminator Cohere's SDKs accept).
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, validate: bool = True, send_done: bool = False
    ) -> None:
        super().__init__(host, port)
        self.validate = validate
        self.send_done = send_done
        self._ids = itertools.count(1)

    # ---- scripting

    def takes(self, item: Any, request: RecordedRequest) -> bool:
        # Embed and tokenize calls never consume a Scenario meant for the next chat call.
        return request.path == CHAT_PATH or not isinstance(item, Scenario)

    def default_responder(self, request: RecordedRequest) -> Any:
        if request.path == EMBED_PATH:
            return _Embed()
        if request.path == TOKENIZE_PATH:
            return _Tokenize()
        if request.path != CHAT_PATH:
            return error_reply(404, f"route not found: {request.method} {request.path}", self._next_trace())
        body = request.json_or_none()
        fields = body if isinstance(body, dict) else {}
        text, model = last_user_text(fields.get("messages")), str(fields.get("model") or "command-fake")
        return echo(text, model=model, input_tokens=count_tokens(body), id=f"echo-{next(self._ids):08d}")

    # ---- rendering

    def render(self, item: Any, request: RecordedRequest) -> Reply:
        if isinstance(item, Reply):
            return item
        if isinstance(item, ErrorScenario):
            return render_error(item)
        rejected = self.check(request)
        if rejected is not None:
            return rejected.with_fault(item.fault) if isinstance(item, Scenario) else rejected
        if isinstance(item, _Embed):
            return Reply.json(render_embeddings(request.json()), headers=self._headers())
        if isinstance(item, _Tokenize):
            return Reply.json(render_tokens(request.json()), headers=self._headers())
        if isinstance(item, Scenario):
            if request.path != CHAT_PATH:
                raise TypeError(f"a Scenario answers {CHAT_PATH}, not {request.path}")
            if request.streamed:
                chunks = render_stream(item, done=self.send_done)
                reply = Reply(200, self._headers(stream=True), chunks, stream=True)
            else:
                reply = Reply.json(render_response(item), headers=self._headers(), malformed=item.malformed)
            return reply.with_fault(item.fault)
        raise TypeError(f"{type(self).__name__} cannot render {item!r}")

    def _next_trace(self) -> str:
        return f"{next(self._ids):032x}"

    def _headers(self, *, stream: bool = False) -> dict[str, str]:
        headers = {TRACE_HEADER: self._next_trace()}
        return {**headers, **SSE_HEADERS, "content-type": "text/event-stream"} if stream else headers

    # ---- what the real API rejects before answering

    def check(self, request: RecordedRequest) -> Reply | None:
        """The error reply the real API would give this request, or None when it is acceptable."""
        if not self.validate:
            return None
        trace = self._next_trace()
        accept = request.headers.get("accept")
        produced = RESPONSE_MEDIA_TYPES.get(request.path, ())
        if accept is not None and produced and not acceptable(accept, produced):
            message = f"no response of {request.path} matches Accept: {accept} (it answers {', '.join(produced)})"
            return error_reply(406, message, trace)
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer ") or not auth[7:].strip():
            return error_reply(401, "no api key supplied", trace, with_id=False)
        body = request.json_or_none()
        if not isinstance(body, dict):
            return error_reply(400, "invalid request: the body is not a JSON object", trace)
        if request.path == CHAT_PATH:
            problem = chat_problem(body)
        elif request.path == EMBED_PATH:
            problem = embed_problem(body)
        elif request.path == TOKENIZE_PATH:
            problem = tokenize_problem(body)
        else:
            problem = None
        if problem is not None:
            return error_reply(400, f"invalid request: {problem}", trace)
        return None


class _Embed:
    """The default answer to an embed request."""


class _Tokenize:
    """The default answer to a tokenize request."""


# --------------------------------------------------------------------------- request checks


def acceptable(accept: str, produced: Sequence[str]) -> bool:
    """Whether an ``Accept`` header admits one of the ``produced`` media types (RFC 9110 12.5.1:
    media ranges with wildcards, parameters ignored, ``q=0`` refuses)."""
    for media_range in accept.split(","):
        kind, *params = (piece.strip() for piece in media_range.split(";"))
        if not kind:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        wanted_type, _, wanted_sub = kind.lower().partition("/")
        for media in produced:
            media_type, _, media_sub = media.partition("/")
            if wanted_type in ("*", media_type) and wanted_sub in ("*", media_sub):
                return True
    return False


def chat_problem(body: Mapping[str, Any]) -> str | None:
    """What the real API would say is wrong with this ``/v2/chat`` body (None: nothing)."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model must be a non-empty string"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages must be a non-empty list"
    called: set[str] = set()
    for n, message in enumerate(messages):
        if not isinstance(message, dict):
            return f"messages[{n}] must be an object"
        role = message.get("role")
        content = message.get("content")
        if role == "system":
            if not isinstance(content, (str, list)):
                return f"messages[{n}]: a system message needs content"
        elif role == "user":
            if isinstance(content, list):
                for k, block in enumerate(content):
                    if not isinstance(block, dict) or block.get("type") not in ("text", "image_url"):
                        return f"messages[{n}].content[{k}]: unknown content type"
                    if block["type"] == "image_url" and not isinstance((block.get("image_url") or {}).get("url"), str):
                        return f"messages[{n}].content[{k}].image_url.url is required"
            elif not isinstance(content, str):
                return f"messages[{n}]: a user message needs content"
        elif role == "assistant":
            calls = message.get("tool_calls")
            if calls is not None:
                if not isinstance(calls, list):
                    return f"messages[{n}].tool_calls must be a list"
                for k, call in enumerate(calls):
                    function = call.get("function") if isinstance(call, dict) else None
                    if not isinstance(function, dict) or not isinstance(function.get("arguments"), str):
                        return f"messages[{n}].tool_calls[{k}].function.arguments must be a JSON string"
                    called.add(str(call.get("id")))
            if not calls and content is None:
                return f"messages[{n}]: an assistant message needs content or tool_calls"
        elif role == "tool":
            if message.get("tool_call_id") not in called:
                return f"messages[{n}]: tool_call_id {message.get('tool_call_id')!r} answers no earlier tool call"
            if not isinstance(content, (str, list)):
                return f"messages[{n}]: a tool message needs content"
            for k, block in enumerate(content if isinstance(content, list) else ()):
                if not isinstance(block, dict) or block.get("type") not in ("text", "document"):
                    return f"messages[{n}].content[{k}]: unknown tool content type"
                if block["type"] == "document" and not isinstance((block.get("document") or {}).get("data"), dict):
                    return f"messages[{n}].content[{k}].document.data must be an object"
        else:
            return f"messages[{n}].role must be system, user, assistant or tool"
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            return "tools must be a list"
        for k, tool in enumerate(tools):
            function = tool.get("function") if isinstance(tool, dict) else None
            if tool.get("type") != "function" or not isinstance(function, dict) or not function.get("name"):
                return f"tools[{k}] must be {{type: function, function: {{name, parameters}}}}"
    choice = body.get("tool_choice")
    if choice is not None:
        if choice not in ("REQUIRED", "NONE"):
            return "tool_choice must be REQUIRED or NONE"
        if not tools:
            return "tool_choice requires tools"
    if body.get("response_format") is not None and tools:
        return "response_format is not supported with tools"
    if "stream" in body and not isinstance(body["stream"], bool):
        return "stream must be a boolean"
    return None


def embed_problem(body: Mapping[str, Any]) -> str | None:
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model must be a non-empty string"
    if body.get("input_type") not in EMBED_INPUT_TYPES:
        return f"input_type must be one of {', '.join(EMBED_INPUT_TYPES)}"
    texts = body.get("texts")
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        return "texts must be a non-empty list of strings"
    if len(texts) > EMBED_BATCH_LIMIT:
        return f"texts has {len(texts)} items; at most {EMBED_BATCH_LIMIT} are allowed per call"
    types = body.get("embedding_types", ["float"])
    if not isinstance(types, list) or not all(t in EMBEDDING_TYPES for t in types):
        return "embedding_types holds an unknown type"
    dims = body.get("output_dimension")
    if dims is not None and (not isinstance(dims, int) or isinstance(dims, bool) or dims < 1):
        return "output_dimension must be a positive integer"
    return None


def tokenize_problem(body: Mapping[str, Any]) -> str | None:
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model must be a non-empty string"
    text = body.get("text")
    if not isinstance(text, str) or not 1 <= len(text) <= TOKENIZE_MAX_CHARS:
        return f"text must be a string of 1 to {TOKENIZE_MAX_CHARS} characters"
    return None


# --------------------------------------------------------------------------- rendering scenarios


def finish_reason(scenario: Scenario) -> str:
    return finish_of(scenario, FINISH_REASONS, "COMPLETE", "STOP_SEQUENCE")


#: Tokens of the prompt template Cohere wraps a bare prompt in: counted in ``usage.tokens``, never
#: billed (the API reference's example answer: 5 billed input tokens, 71 tokens).
TEMPLATE_TOKENS = 66


def wire_usage(usage: Usage) -> dict[str, Any]:
    """The unified usage as Cohere reports it: ``billed_units`` is what the call is billed (the
    scenario's counts), ``tokens`` adds the prompt template (:data:`TEMPLATE_TOKENS`) to the
    input, ``cached_tokens`` is the part of the input read from the cache."""
    out: dict[str, Any] = {
        "billed_units": {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens},
        "tokens": {"input_tokens": usage.input_tokens + TEMPLATE_TOKENS, "output_tokens": usage.output_tokens},
    }
    if usage.cache_read_tokens:
        out["cached_tokens"] = usage.cache_read_tokens
    return out


def _citations(scenario: Scenario) -> list[dict[str, Any]]:
    return [dict(c) for c in scenario.citations] if isinstance(scenario, CohereScenario) else []


def _plan(scenario: Scenario) -> bool:
    """Whether the scenario's reasoning is a tool plan (else a thinking block)."""
    mode = scenario.reasoning_as if isinstance(scenario, CohereScenario) else "auto"
    return mode == "tool_plan" or (mode == "auto" and bool(scenario.tool_calls))


def render_response(scenario: Scenario) -> dict[str, Any]:
    """The non-streamed ``ChatResponseV2``."""
    message: dict[str, Any] = {"role": "assistant"}
    content: list[dict[str, Any]] = []
    if scenario.full_reasoning and not _plan(scenario):
        content.append({"type": "thinking", "thinking": scenario.full_reasoning})
    if scenario.full_text:
        content.append({"type": "text", "text": scenario.full_text})
    if content:
        message["content"] = content
    if scenario.full_reasoning and _plan(scenario):
        message["tool_plan"] = scenario.full_reasoning
    if scenario.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in scenario.tool_calls
        ]
    citations = _citations(scenario)
    if citations:
        message["citations"] = citations
    body: dict[str, Any] = {
        "id": scenario.id,
        "message": message,
        "finish_reason": finish_reason(scenario),
        "usage": wire_usage(scenario.usage),
    }
    if scenario.unknown_events:
        body["x_future_field"] = {"nested": [1, 2, 3]}
        body["logprobs"] = []
        message["x_future_field"] = "ignored"
    return body


def stream_events(scenario: Scenario) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(event name, data)`` pairs of the streamed answer."""
    extra: dict[str, Any] = {"x_future_field": True} if scenario.unknown_events else {}
    skeleton = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}
    yield "message-start", {"id": scenario.id, "type": "message-start", "delta": {"message": skeleton}, **extra}
    if scenario.unknown_events:
        yield "debug", {"type": "debug", "prompt": "<|START_OF_TURN_TOKEN|>..."}
        yield "search-results", {"type": "search-results", "index": 0, "delta": {"message": {"results": []}}}
    index = 0
    if scenario.full_reasoning and not _plan(scenario):
        yield from _content_block(index, "thinking", scenario.reasoning_pieces, extra)
        index += 1
    if scenario.full_text and not scenario.text_after_tools:
        yield from _content_block(index, "text", scenario.text_pieces, extra)
        index += 1
    if scenario.full_reasoning and _plan(scenario):
        for piece in scenario.reasoning_pieces:
            if piece:
                yield "tool-plan-delta", {"type": "tool-plan-delta", "delta": {"message": {"tool_plan": piece}}}
    in_start = isinstance(scenario, CohereScenario) and scenario.arguments_in_start
    for n, call in enumerate(scenario.tool_calls):
        pieces = [p for p in call.pieces() if p]
        first = pieces.pop(0) if in_start and pieces else ""
        function = {"name": call.name, "arguments": first}
        start = {"id": call.id, "type": "function", "function": function}
        yield "tool-call-start", {"type": "tool-call-start", "index": n, "delta": {"message": {"tool_calls": start}}}
        for piece in pieces:
            fragment = {"message": {"tool_calls": {"function": {"arguments": piece}}}}
            yield "tool-call-delta", {"type": "tool-call-delta", "index": n, "delta": fragment, **extra}
        yield "tool-call-end", {"type": "tool-call-end", "index": n}
    if scenario.full_text and scenario.text_after_tools:
        yield from _content_block(index, "text", scenario.text_pieces, extra)
    for n, found in enumerate(_citations(scenario)):
        yield "citation-start", {"type": "citation-start", "index": n, "delta": {"message": {"citations": found}}}
        yield "citation-end", {"type": "citation-end", "index": n}
    end: dict[str, Any] = {"finish_reason": finish_reason(scenario), "usage": wire_usage(scenario.usage)}
    yield "message-end", {"type": "message-end", "delta": end}


def _content_block(
    index: int, kind: str, pieces: Sequence[str], extra: Mapping[str, Any]
) -> Iterator[tuple[str, dict[str, Any]]]:
    start = {"message": {"content": {"type": kind, kind: ""}}}
    yield "content-start", {"type": "content-start", "index": index, "delta": start}
    for piece in pieces:
        if piece:
            delta = {"message": {"content": {kind: piece}}}
            yield "content-delta", {"type": "content-delta", "index": index, "delta": delta, **extra}
    yield "content-end", {"type": "content-end", "index": index}


def render_stream(scenario: Scenario, *, done: bool = False) -> list[bytes]:
    """The SSE body, one frame per chunk (a broken frame after the first when ``malformed``)."""
    chunks = sse(stream_events(scenario), done=done)
    if scenario.malformed:
        chunks.insert(1, b'event: content-delta\ndata: {"type": "content-delta", "index": 0, "delta": {\n\n')
    return chunks


def error_body(message: str, trace: str | None) -> dict[str, Any]:
    return {"id": trace, "message": message} if trace is not None else {"message": message}


def error_reply(
    status: int, message: str, trace: str, *, retry_after: float | None = None, with_id: bool = True
) -> Reply:
    headers = {TRACE_HEADER: trace}
    if retry_after is not None:
        headers["retry-after"] = seconds(retry_after)
    return Reply.json(error_body(message, trace if with_id else None), status, headers)


def error_message(scenario: ErrorScenario) -> str:
    """The message Cohere gives for this kind of error (context length and content filtering are
    recognised by their wording, so the scripted message is appended to Cohere's)."""
    custom = scenario.message != "scripted failure"
    if scenario.kind == "context_length":
        return f"too many tokens: {scenario.message}" if custom else CONTEXT_LENGTH_MESSAGE
    if scenario.kind == "content_filter":
        return f"{CONTENT_FILTER_MESSAGE}: {scenario.message}" if custom else CONTENT_FILTER_MESSAGE
    return scenario.message


def render_error(scenario: ErrorScenario) -> Reply:
    message = error_message(scenario)
    if not scenario.in_stream:
        status = ERROR_STATUSES[scenario.kind]
        return error_reply(
            status,
            message,
            scenario.request_id,
            retry_after=scenario.retry_after,
            with_id=scenario.kind != "authentication",
        )
    partial = Scenario(text="Partial answer", id=scenario.request_id, usage=Usage(12, 2))
    events = [(name, data) for name, data in stream_events(partial) if name != "message-end"]
    delta = {"finish_reason": "ERROR", "error": message, "usage": wire_usage(partial.usage)}
    events.append(("message-end", {"type": "message-end", "delta": delta}))
    headers = {TRACE_HEADER: scenario.request_id, "content-type": "text/event-stream"}
    return Reply(200, headers, sse(events), stream=True)


# --------------------------------------------------------------------------- embeddings, tokens


def render_embeddings(body: Mapping[str, Any]) -> dict[str, Any]:
    """Deterministic unit vectors: the same text always gets the same vector."""
    model = str(body.get("model", ""))
    dims = body.get("output_dimension") or DEFAULT_DIMENSIONS.get(model, 1024)
    texts = [str(t) for t in body.get("texts", [])]
    tokens = sum(max(word_count(t), 1) for t in texts)
    return {
        "id": hashlib.sha1("\0".join(texts).encode()).hexdigest(),
        "embeddings": {"float": [vector(t, int(dims)) for t in texts]},
        "texts": texts,
        "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": tokens}},
        "response_type": "embeddings_by_type",
    }


def vector(text: str, size: int) -> list[float]:
    """A deterministic unit vector, to 8 decimal places."""
    return [round(x, 8) for x in unit_vector(text, size)]


def render_tokens(body: Mapping[str, Any]) -> dict[str, Any]:
    """A deterministic stand-in for Cohere's tokenizer: words and punctuation."""
    strings = WORD.findall(str(body.get("text", "")))
    ids = [int(hashlib.md5(s.encode()).hexdigest()[:6], 16) % 255_000 for s in strings]
    return {"tokens": ids, "token_strings": strings, "meta": {"api_version": {"version": "1"}}}


def count_tokens(body: Any) -> int:
    """Words and punctuation of every message's text, at least 1."""
    if not isinstance(body, dict):
        return 1
    total = 0
    for message in body.get("messages") or ():
        if isinstance(message, dict):
            total += _count(message.get("content"))
    return max(total, 1)


def _count(value: Any) -> int:
    if isinstance(value, str):
        return word_count(value)
    if isinstance(value, list):
        return sum(_count(v.get("text")) for v in value if isinstance(v, dict))
    return 0


__all__ = [
    "CHAT_PATH",
    "EMBED_PATH",
    "TOKENIZE_PATH",
    "RESPONSE_MEDIA_TYPES",
    "TEMPLATE_TOKENS",
    "CohereScenario",
    "acceptable",
    "FakeCohereServer",
    "render_embeddings",
    "render_error",
    "render_response",
    "render_stream",
    "render_tokens",
    "schema_problems",
    "stream_events",
    "wire_usage",
]
