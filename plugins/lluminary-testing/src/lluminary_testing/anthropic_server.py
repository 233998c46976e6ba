"""A fake Anthropic Messages API on loopback, speaking the real wire.

``POST /v1/messages`` answers a :class:`~lluminary_testing.scenario.Scenario` as a ``message``
object, or — when the body says ``"stream": true`` — as the server-sent events the real API sends:
``message_start`` (empty content, initial usage with the cache counters), then per content block
``content_block_start`` / ``content_block_delta`` / ``content_block_stop``, ``ping`` events in
between, ``message_delta`` (stop reason, stop sequence, cumulative usage) and ``message_stop``.
Content-block indexes are positions in the content array, so a tool call's index is not its
ordinal among tool calls when thinking or text comes first.

An :class:`~lluminary_testing.scenario.ErrorScenario` is answered the way Anthropic answers that
kind of error: status, ``{"type": "error", "error": {"type", "message"}, "request_id"}`` body,
``request-id`` / ``retry-after`` / ``x-should-retry`` headers; with ``in_stream`` it becomes an
``event: error`` inside a 200 stream, after some content.

``POST /v1/messages/count_tokens`` returns ``{"input_tokens": N}`` computed deterministically from
the body (:func:`count_input_tokens`); it does not consume a scripted :class:`Scenario` (those are
meant for ``/v1/messages``), only a scripted error or raw reply.

Like the real API, the server rejects what the real API rejects before generating anything: no
``x-api-key``, no ``anthropic-version``, no ``max_tokens``, empty text blocks, ``tool_use`` blocks
without their ``tool_result`` in the next user turn (or with results after other content), thinking
budgets that do not fit ``max_tokens``, forced tool use with thinking, and a tool-use loop whose
assistant turn lost its thinking block while thinking is enabled.

With nothing scripted, it echoes the last user text back.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from lluminary import Usage

from .answers import echo, finish_of, last_user_text, uncached_input, word_count
from .scenario import ErrorScenario, Scenario
from .server import SSE_HEADERS, FakeServer, RecordedRequest, Reply, seconds, sse

MESSAGES_PATH = "/v1/messages"
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"
API_VERSION = "2023-06-01"

#: unified finish reason -> Anthropic ``stop_reason``
STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "other": "pause_turn",
    "error": "pause_turn",
}

#: ErrorScenario kind -> (HTTP status, Anthropic ``error.type``)
ERRORS: dict[str, tuple[int, str]] = {
    "authentication": (401, "authentication_error"),
    "permission": (403, "permission_error"),
    "not_found": (404, "not_found_error"),
    "rate_limit": (429, "rate_limit_error"),
    "context_length": (400, "invalid_request_error"),
    "invalid_request": (400, "invalid_request_error"),
    "request_too_large": (413, "request_too_large"),
    "content_filter": (400, "invalid_request_error"),
    "server": (500, "api_error"),
    "overloaded": (529, "overloaded_error"),
}

#: How Anthropic words the errors whose text is what identifies them.
CONTEXT_LENGTH_MESSAGE = "prompt is too long: {tokens} tokens > {maximum} maximum"
CONTENT_FILTER_MESSAGE = "Output blocked by content filtering policy"
REQUEST_TOO_LARGE_MESSAGE = "Request exceeds the maximum allowed number of bytes."

_RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


class FakeAnthropicServer(FakeServer):
    """Serves ``/v1/messages`` and ``/v1/messages/count_tokens`` from its script.

    ``validate`` (default on) rejects requests the real API would reject, with the real API's
    status and error type, so a provider bug fails a test instead of passing against a lenient fake.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, validate: bool = True) -> None:
        super().__init__(host, port)
        self.validate = validate
        self._ids = itertools.count(1)

    # ---- scripting

    def takes(self, item: Any, request: RecordedRequest) -> bool:
        # count_tokens never consumes a Scenario meant for the next /v1/messages call.
        return request.path != COUNT_TOKENS_PATH or not isinstance(item, Scenario)

    def default_responder(self, request: RecordedRequest) -> Any:
        if request.path == COUNT_TOKENS_PATH:
            return _CountTokens()
        if request.path != MESSAGES_PATH:
            return error_reply(404, "not_found_error", f"Not found: {request.method} {request.path}", self._next_rid())
        body = request.json_or_none()
        fields = body if isinstance(body, dict) else {}
        model, tokens = str(fields.get("model", "claude-fake")), count_input_tokens(body) if fields else 1
        text, rid = last_user_text(fields.get("messages")), f"msg_fake_echo_{next(self._ids)}"
        return echo(text, model=model, input_tokens=tokens, id=rid)

    # ---- rendering

    def render(self, item: Any, request: RecordedRequest) -> Reply:
        if isinstance(item, Reply):
            return item
        if isinstance(item, ErrorScenario):
            return render_error(item, request.json_or_none(), streamed=request.streamed)
        if isinstance(item, _CountTokens) or (isinstance(item, Scenario) and request.path == COUNT_TOKENS_PATH):
            rejected = self.check(request, count_tokens=True)
            if rejected is not None:
                return rejected
            return json_reply({"input_tokens": count_input_tokens(request.json())}, headers=self._headers())
        if isinstance(item, Scenario):
            rejected = self.check(request)
            if rejected is not None:
                return rejected.with_fault(item.fault)
            body = request.json()
            if body.get("stream") is True:
                reply = Reply(200, self._headers(stream=True), render_stream(item), stream=True)
            elif item.malformed:  # a body cut off mid-object
                raw = _dumps(render_message(item)).encode("utf-8")
                reply = Reply(200, {"content-type": "application/json", **self._headers()}, (raw[: len(raw) // 2],))
            else:
                reply = json_reply(render_message(item), headers=self._headers())
            return reply.with_fault(item.fault)
        raise TypeError(f"{type(self).__name__} cannot render {item!r}")

    def _next_rid(self) -> str:
        return f"req_fake_{next(self._ids):06d}"

    def _headers(self, *, stream: bool = False) -> dict[str, str]:
        headers = {"request-id": self._next_rid(), "anthropic-organization-id": "org-fake"}
        return {**headers, **SSE_HEADERS} if stream else headers

    # ---- what the real API rejects before generating

    def check(self, request: RecordedRequest, *, count_tokens: bool = False) -> Reply | None:
        """The error reply the real API would give this request, or None when it is acceptable."""
        if not self.validate:
            return None
        rid = self._next_rid()
        headers = request.headers
        if not headers.get("x-api-key") and not headers.get("authorization", "").startswith("Bearer "):
            return error_reply(401, "authentication_error", "x-api-key header is required", rid)
        if not headers.get("anthropic-version"):
            return error_reply(400, "invalid_request_error", "anthropic-version: header is required", rid)
        body = request.json_or_none()
        if not isinstance(body, dict):
            return error_reply(400, "invalid_request_error", "There was an error parsing the body", rid)
        problem = request_problem(body, count_tokens=count_tokens)
        if problem is not None:
            return error_reply(400, "invalid_request_error", problem, rid)
        return None


class _CountTokens:
    """The default answer to a count_tokens request."""


# --------------------------------------------------------------------------- request checks


def request_problem(body: Mapping[str, Any], *, count_tokens: bool = False) -> str | None:
    """What the real API would say is wrong with this Messages request body (None: nothing)."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    if not count_tokens:
        max_tokens = body.get("max_tokens")
        if max_tokens is None:
            return "max_tokens: Field required"
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            return "max_tokens: Input should be a valid integer greater than or equal to 1"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for n, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            return f"messages.{n}.role: Input should be 'user' or 'assistant'"
        content = message.get("content")
        if isinstance(content, str):
            if not content and n != len(messages) - 1:
                return "messages: text content blocks must be non-empty"
            continue
        if not isinstance(content, list) or not content:
            return f"messages.{n}: all messages must have non-empty content except for the optional final assistant message"
        for k, block in enumerate(content):
            if not isinstance(block, dict) or "type" not in block:
                return f"messages.{n}.content.{k}: Input should be a valid content block"
            if block["type"] == "text" and not block.get("text"):
                return "messages: text content blocks must be non-empty"
            if block["type"] in ("tool_result",) and message["role"] != "user":
                return f"messages.{n}.content.{k}: `tool_result` blocks can only be in `user` messages"
            if block["type"] in ("tool_use", "thinking", "redacted_thinking") and message["role"] != "assistant":
                return f"messages.{n}.content.{k}: `{block['type']}` blocks can only be in `assistant` messages"
            if block["type"] == "thinking" and not block.get("signature"):
                return f"messages.{n}.content.{k}.thinking.signature: Field required"
    problem = _tool_pairing_problem(messages)
    if problem is not None:
        return problem
    return _thinking_problem(body, messages, count_tokens=count_tokens)


def _blocks(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    content = message.get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _tool_pairing_problem(messages: Sequence[Mapping[str, Any]]) -> str | None:
    for n, message in enumerate(messages):
        blocks = _blocks(message)
        if message["role"] == "assistant":
            ids = [b.get("id") for b in blocks if b["type"] == "tool_use"]
            if not ids:
                continue
            following = _blocks(messages[n + 1]) if n + 1 < len(messages) else []
            answered = {b.get("tool_use_id") for b in following if b["type"] == "tool_result"}
            missing = [i for i in ids if i not in answered]
            if missing and n + 1 < len(messages):
                return (
                    f"messages.{n + 1}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                    f"{', '.join(map(str, missing))}. Each `tool_use` block must have a corresponding `tool_result` "
                    "block in the next message."
                )
        else:
            previous = _blocks(messages[n - 1]) if n > 0 else []
            called = {b.get("id") for b in previous if b["type"] == "tool_use"}
            seen_other = False
            for k, block in enumerate(blocks):
                if block["type"] != "tool_result":
                    seen_other = True
                    continue
                if block.get("tool_use_id") not in called:
                    return (
                        f"messages.{n}.content.{k}: unexpected `tool_use_id` found in `tool_result` blocks: "
                        f"{block.get('tool_use_id')}. Each `tool_result` block must have a corresponding `tool_use` "
                        "block in the previous message."
                    )
                if seen_other:
                    return (
                        f"messages.{n}: `tool_result` blocks must come first in the content of a user message, "
                        "before any other content"
                    )
    return None


def _thinking_problem(
    body: Mapping[str, Any], messages: Sequence[Mapping[str, Any]], *, count_tokens: bool
) -> str | None:
    thinking = body.get("thinking")
    if not isinstance(thinking, dict) or thinking.get("type") not in ("enabled", "adaptive"):
        return None
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
        return "Thinking may not be enabled when tool_choice forces tool use."
    if thinking["type"] == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or budget < 1024:
            return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
        if not count_tokens and budget >= body.get("max_tokens", 0):
            return "`max_tokens` must be greater than `thinking.budget_tokens`"
        # In a tool-use loop, the last assistant turn must open with its thinking block.
        last = max((n for n, m in enumerate(messages) if m["role"] == "assistant"), default=None)
        if last is not None and last + 1 < len(messages):
            blocks = _blocks(messages[last])
            loop = any(b["type"] == "tool_use" for b in blocks) and any(
                b["type"] == "tool_result" for b in _blocks(messages[last + 1])
            )
            if loop and blocks[0]["type"] not in ("thinking", "redacted_thinking"):
                return (
                    f"messages.{last}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
                    f"`{blocks[0]['type']}`. When `thinking` is enabled, a final `assistant` message must start "
                    "with a thinking block (preceding the lastmost set of `tool_use` and `tool_result` blocks)."
                )
    return None


# --------------------------------------------------------------------------- rendering scenarios


def stop_reason(scenario: Scenario) -> str:
    return finish_of(scenario, STOP_REASONS, "end_turn", "stop_sequence")


def wire_usage(usage: Usage) -> dict[str, Any]:
    """The unified usage as Anthropic reports it: ``input_tokens`` excludes the cache counters."""
    read, write = usage.cache_read_tokens, usage.cache_write_tokens
    out: dict[str, Any] = {
        "input_tokens": uncached_input(usage),
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": read,
        "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0},
        "output_tokens": usage.output_tokens,
        "service_tier": "standard",
    }
    if usage.reasoning_tokens:
        out["output_tokens_details"] = {"thinking_tokens": usage.reasoning_tokens}
    return out


def content_blocks(scenario: Scenario) -> list[dict[str, Any]]:
    """The content array of the finished message, in the order the blocks are streamed."""
    blocks: list[dict[str, Any]] = []
    if scenario.full_reasoning or scenario.signature is not None:
        blocks.append({"type": "thinking", "thinking": scenario.full_reasoning, "signature": scenario.signature or ""})
    if scenario.redacted_reasoning is not None:
        blocks.append({"type": "redacted_thinking", "data": scenario.redacted_reasoning})
    text = {"type": "text", "text": scenario.full_text} if scenario.full_text else None
    if text is not None and not scenario.text_after_tools:
        blocks.append(text)
    for call in scenario.tool_calls:
        try:
            arguments: Any = json.loads(call.arguments) if call.arguments.strip() else {}
        except ValueError:
            arguments = call.arguments  # invalid JSON cannot be an object: the client must notice
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": arguments})
    if text is not None and scenario.text_after_tools:
        blocks.append(text)
    return blocks


#: what ``Scenario.unknown_events`` adds: a key no client knows, a content block type no client
#: knows (with deltas of its own when streamed), a delta type and an event type no client knows
FUTURE_KEY = "future_field"
FUTURE_BLOCK = {"type": "future_block", "payload": {"kind": "unknown", "items": [1, 2]}}
FUTURE_DELTA = {"type": "future_delta", "payload": "?"}
FUTURE_EVENT = "message_annotation"


def render_message(scenario: Scenario) -> dict[str, Any]:
    """The non-streamed ``message`` object."""
    blocks = content_blocks(scenario)
    message: dict[str, Any] = {
        "id": scenario.id,
        "type": "message",
        "role": "assistant",
        "model": scenario.model,
        "content": blocks,
        "stop_reason": stop_reason(scenario),
        "stop_sequence": scenario.stop_sequence if stop_reason(scenario) == "stop_sequence" else None,
        "usage": wire_usage(scenario.usage),
    }
    if scenario.unknown_events:
        message[FUTURE_KEY] = {"nested": True}
        message["usage"][FUTURE_KEY] = 7
        for block in blocks:
            block[FUTURE_KEY] = None
        blocks.insert(0, dict(FUTURE_BLOCK))
    return message


def stream_events(scenario: Scenario) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(event name, data)`` pairs of the streamed answer, pings included."""
    usage = wire_usage(scenario.usage)
    start_usage = {k: v for k, v in usage.items() if k != "output_tokens_details"}
    start_usage["output_tokens"] = min(scenario.usage.output_tokens, 1)
    message: dict[str, Any] = {
        "id": scenario.id,
        "type": "message",
        "role": "assistant",
        "model": scenario.model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": start_usage,
    }
    yield "message_start", {"type": "message_start", "message": message}
    yield "ping", {"type": "ping"}
    calls = iter(scenario.tool_calls)
    pinged_inside = False
    for index, block in enumerate(content_blocks(scenario)):
        kind = block["type"]
        if kind == "thinking":
            start: dict[str, Any] = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [{"type": "thinking_delta", "thinking": p} for p in scenario.reasoning_pieces if p]
            if scenario.signature:
                deltas.append({"type": "signature_delta", "signature": scenario.signature})
        elif kind == "redacted_thinking":
            start, deltas = block, []
        elif kind == "text":
            start = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": p} for p in scenario.text_pieces if p]
        else:  # tool_use: the input arrives as JSON text, the first fragment always empty
            call = next(calls)
            start = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
            pieces = [p for p in call.pieces() if p] if call.arguments.strip() else []
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in ["", *pieces]]
        yield "content_block_start", {"type": "content_block_start", "index": index, "content_block": start}
        for n, delta in enumerate(deltas):
            yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
            if n == 0 and len(deltas) > 1 and not pinged_inside:
                pinged_inside = True
                yield "ping", {"type": "ping"}  # pings come anywhere, even inside a block
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    reason = stop_reason(scenario)
    yield "message_delta", {
        "type": "message_delta",
        "delta": {
            "stop_reason": reason,
            "stop_sequence": scenario.stop_sequence if reason == "stop_sequence" else None,
        },
        "usage": {
            k: usage[k]
            for k in (
                "input_tokens",
                "cache_creation_input_tokens",
                "cache_read_input_tokens",
                "output_tokens",
                "output_tokens_details",
            )
            if k in usage
        },
    }
    yield "message_stop", {"type": "message_stop"}


def odd_stream_events(scenario: Scenario) -> Iterator[tuple[str, Any]]:
    """:func:`stream_events` with what ``unknown_events`` and ``malformed`` ask for."""
    events: Iterator[tuple[str, Any]] = stream_events(scenario)
    if scenario.unknown_events:
        events = _with_unknown_events(events)
    for n, (name, data) in enumerate(events):
        if scenario.malformed and n == 1:
            yield "content_block_delta", '{"type": "content_block_delta", "index": 0, "delta": {"type": "text_del'
        yield name, data


def _with_unknown_events(events: Iterator[tuple[str, dict[str, Any]]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Unknown keys in every event, an unknown content block at index 0 (so every real block moves
    one index up), an unknown delta type, and an unknown event type."""
    for name, data in events:
        data[FUTURE_KEY] = {"v": 2}
        if "index" in data:
            data["index"] += 1
        if name == "message_start":
            yield name, data
            yield "content_block_start", {"type": "content_block_start", "index": 0, "content_block": FUTURE_BLOCK}
            yield "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": FUTURE_DELTA}
            yield "content_block_stop", {"type": "content_block_stop", "index": 0}
            yield FUTURE_EVENT, {"type": FUTURE_EVENT, "note": "a later API version's event"}
            continue
        yield name, data
        if name == "content_block_start":
            yield "content_block_delta", {"type": "content_block_delta", "index": data["index"], "delta": FUTURE_DELTA}


#: the real API writes its ping with a space, unlike every other event
PING_DATA = '{"type": "ping"}'


def render_stream(scenario: Scenario) -> list[bytes]:
    """The SSE body, one frame per chunk, JSON as compact as the real API writes it, with two quirks
    of real traffic: the ping is written ``{"type": "ping"}``, and some ``data:`` lines are padded
    with trailing spaces after the JSON."""

    def text(n: int, name: str, data: Any) -> str:
        if isinstance(data, str):
            return data
        if name == "ping" and data == {"type": "ping"}:
            return PING_DATA
        return _dumps(data) + " " * (3 * (n % 4))

    return sse((name, text(n, name, data)) for n, (name, data) in enumerate(odd_stream_events(scenario)))


def error_body(error_type: str, message: str, request_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "error", "error": {"type": error_type, "message": message}}
    if request_id is not None:
        body["request_id"] = request_id
    return body


def json_reply(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
    """A JSON answer, as compact as the real API writes it."""
    return Reply(status, {"content-type": "application/json", **(headers or {})}, (_dumps(body).encode("utf-8"),))


def error_reply(
    status: int, error_type: str, message: str, request_id: str, *, retry_after: float | None = None
) -> Reply:
    headers = {"request-id": request_id, "x-should-retry": "true" if status in _RETRYABLE_STATUSES else "false"}
    if retry_after is not None:
        headers["retry-after"] = seconds(retry_after)
    return json_reply(error_body(error_type, message, request_id), status, headers)


DEFAULT_ERROR_MESSAGE = "scripted failure"


def error_message(scenario: ErrorScenario, body: Any = None) -> str:
    """The message Anthropic gives for this kind of error. Context overflow and content filtering
    are recognised by their wording, so that wording is always there (with the scripted message
    after it, when one was scripted)."""
    message = scenario.message
    if scenario.kind == "context_length":
        if "prompt is too long" in message:
            return message
        tokens = count_input_tokens(body) if isinstance(body, dict) else 0
        canonical = CONTEXT_LENGTH_MESSAGE.format(tokens=max(tokens, 200_001), maximum=200_000)
        return canonical if message == DEFAULT_ERROR_MESSAGE else f"{canonical} ({message})"
    if scenario.kind == "content_filter":
        if "content filtering" in message:
            return message
        return CONTENT_FILTER_MESSAGE if message == DEFAULT_ERROR_MESSAGE else f"{CONTENT_FILTER_MESSAGE} ({message})"
    if scenario.kind == "request_too_large" and message == DEFAULT_ERROR_MESSAGE:
        return REQUEST_TOO_LARGE_MESSAGE
    return message


def render_error(scenario: ErrorScenario, body: Any = None, *, streamed: bool = True) -> Reply:
    """The error answer. ``in_stream`` errors need a stream to be in: a request that did not ask
    for one gets the error as an HTTP status, as the real API does."""
    status, error_type = ERRORS[scenario.kind]
    message = error_message(scenario, body)
    if not scenario.in_stream or not streamed:
        return error_reply(status, error_type, message, scenario.request_id, retry_after=scenario.retry_after)
    partial = Scenario(text="Partial answer", id=f"msg_{scenario.request_id}", usage=Usage(12, 2))
    events: list[tuple[str, Any]] = []
    for name, data in stream_events(partial):
        if name == "content_block_stop":
            break
        events.append((name, data))
    error = error_body(error_type, message, scenario.request_id)
    error["error"] = {"details": None, **error["error"]}  # as the real event has it
    events.append(("error", error))
    headers = {"request-id": scenario.request_id, "content-type": "text/event-stream; charset=utf-8"}
    # The real error event's data is padded with spaces after the JSON.
    frames = ((name, _dumps(data) + (" " * 14 if name == "error" else "")) for name, data in events)
    return Reply(200, headers, sse(frames), stream=True)


# --------------------------------------------------------------------------- helpers


def count_input_tokens(body: Any) -> int:
    """A deterministic stand-in for Anthropic's tokenizer: words and punctuation of the system
    prompt, messages and tools, 3 per message, 85 per image, 1 to start."""
    if not isinstance(body, dict):
        return 0
    total = 1 + _count(body.get("system"))
    for message in body.get("messages") or ():
        if isinstance(message, dict):
            total += 3 + _count(message.get("content"))
    for tool in body.get("tools") or ():
        total += _count(json.dumps(tool, sort_keys=True))
    return total


def _count(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        return word_count(value)
    if isinstance(value, list):
        return sum(_count(item) for item in value)
    if isinstance(value, dict):
        kind = value.get("type")
        if kind == "image":
            return 85
        if kind == "text":
            return _count(value.get("text"))
        if kind == "thinking":
            return _count(value.get("thinking"))
        if kind == "tool_use":
            return _count(value.get("name")) + _count(json.dumps(value.get("input"), sort_keys=True))
        if kind == "tool_result":
            return _count(value.get("content"))
        return 0
    return 0


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


__all__ = [
    "COUNT_TOKENS_PATH",
    "FakeAnthropicServer",
    "MESSAGES_PATH",
    "content_blocks",
    "error_message",
    "json_reply",
    "count_input_tokens",
    "error_body",
    "render_error",
    "render_message",
    "render_stream",
    "stream_events",
    "wire_usage",
]
