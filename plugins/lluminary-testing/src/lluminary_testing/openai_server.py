"""A fake OpenAI API on loopback that renders scenarios in the exact OpenAI wire format.

It serves, under ``/v1``:

* ``POST /chat/completions`` — a ``chat.completion`` object, or with ``"stream": true`` the SSE
  ``chat.completion.chunk`` frames the real API sends: a first chunk with ``role`` and
  ``content: ""`` (``content: null`` plus the first tool-call fragment when the turn opens with a
  tool call), ``system_fingerprint``, ``service_tier`` and ``obfuscation`` padding on every chunk,
  ``usage: null`` on each chunk when ``stream_options.include_usage`` is set and then a last chunk
  with ``choices: []`` and the usage, tool-call fragments where only ``index`` is always present,
  the ``finish_reason`` on a chunk of its own, and ``data: [DONE]``;
* ``POST /responses`` — a ``response`` object, or its SSE events (``event:`` lines, a
  ``sequence_number`` on each), reasoning items with ``encrypted_content`` when the request
  includes ``reasoning.encrypted_content``;
* ``POST /embeddings`` — deterministic vectors (``dimensions`` honoured, base64 on request);
* ``POST /responses/input_tokens`` and ``GET /models``.

Errors are rendered as OpenAI renders them: ``{"error": {"message", "type", "param", "code"}}``
with the status of each kind, ``x-request-id``, and ``retry-after`` / ``retry-after-ms`` on 429.
With ``validate`` on (the default), requests the real API would reject are rejected the same way.

Compatible-server quirks can be switched on per server: :attr:`FakeOpenAIServer.reasoning_field`
streams reasoning as ``reasoning_content`` deltas (DeepSeek, vLLM), :attr:`~FakeOpenAIServer.obfuscation`
off drops the padding, :attr:`~FakeOpenAIServer.usage` off drops usage altogether, and
:attr:`~FakeOpenAIServer.azure_filters` answers as Azure OpenAI does: content-filter results on
every choice, and a stream that opens with a ``prompt_filter_results`` chunk whose ``choices`` is
empty and whose ``id``, ``model`` and ``object`` are empty strings.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import re
import struct
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from lluminary import Usage

from .answers import unit_vector
from .scenario import ErrorScenario, Scenario, ToolCallSpec
from .server import SSE_HEADERS, FakeServer, RecordedRequest, Reply, sse

CHAT_PATH = "/v1/chat/completions"
RESPONSES_PATH = "/v1/responses"
EMBEDDINGS_PATH = "/v1/embeddings"
INPUT_TOKENS_PATH = "/v1/responses/input_tokens"
MODELS_PATH = "/v1/models"
FINGERPRINT = "fp_f4ke0c0ffee"
MAX_EMBEDDING_INPUTS = 2048

#: ErrorScenario.kind -> (status, type, code, param)
ERRORS: dict[str, tuple[int, str, str | None, str | None]] = {
    "authentication": (401, "invalid_request_error", "invalid_api_key", None),
    "permission": (403, "invalid_request_error", "unsupported_country_region_territory", None),
    "not_found": (404, "invalid_request_error", "model_not_found", None),
    "rate_limit": (429, "requests", "rate_limit_exceeded", None),
    "context_length": (400, "invalid_request_error", "context_length_exceeded", "messages"),
    "invalid_request": (400, "invalid_request_error", None, "messages"),
    "request_too_large": (413, "invalid_request_error", "request_too_large", None),
    "content_filter": (400, "invalid_request_error", "content_filter", "prompt"),
    "server": (500, "server_error", None, None),
    "overloaded": (503, "server_error", "engine_overloaded", None),
}
_SAFE = {"filtered": False, "severity": "safe"}
#: Azure OpenAI's content-filter verdict on a prompt or a piece of the answer
AZURE_FILTER_RESULTS = {"hate": _SAFE, "self_harm": _SAFE, "sexual": _SAFE, "violence": _SAFE}
FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "content_filter": "content_filter"}
EMBEDDING_SIZES = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
_WORD = re.compile(r"\S+\s*")


class FakeOpenAIServer(FakeServer):
    """The OpenAI API, scripted. Quirk switches (attributes, change them before a request):

    * ``validate`` — reject what the real API rejects (default True);
    * ``require_auth`` — a missing ``Authorization: Bearer`` is a 401 (default True);
    * ``obfuscation`` — add the ``obfuscation`` padding key to stream frames (default True);
    * ``usage`` — report usage at all (default True; False mimics servers that never do);
    * ``reasoning_field`` — when set (``"reasoning_content"``), chat completions carry
      ``Scenario.reasoning`` in that delta/message field, as DeepSeek and vLLM do;
    * ``done_marker`` — end chat streams with ``data: [DONE]`` (default True);
    * ``azure_filters`` — Azure OpenAI's content-filter annotations, and its first stream chunk
      with ``choices: []`` and empty ``id`` / ``model`` (default False).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, validate: bool = True) -> None:
        super().__init__(host, port)
        self.validate = validate
        self.require_auth = True
        self.obfuscation = True
        self.usage = True
        self.reasoning_field: str | None = None
        self.done_marker = True
        self.azure_filters = False
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ scripting

    def default_responder(self, request: RecordedRequest) -> Any:
        """Echo the last user message (chat and responses), deterministic vectors (embeddings)."""
        path = request.path
        if request.method == "GET" and path == MODELS_PATH:
            return Reply.json(
                {
                    "object": "list",
                    "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "system"}
                        for m in ("gpt-4o-mini", "text-embedding-3-small")
                    ],
                },
                headers=self._headers(),
            )
        if path in (EMBEDDINGS_PATH, INPUT_TOKENS_PATH):
            return _Computed()
        body = request.json_or_none()
        if path in (CHAT_PATH, RESPONSES_PATH) and isinstance(body, dict):
            text = last_user_text(body) or ""
            pieces = tuple(_WORD.findall(text)) or ("",)
            return Scenario(
                text=pieces,
                usage=Usage(input_tokens=max(count_words(body), 1), output_tokens=len(pieces)),
                model=str(body.get("model") or "gpt-4o-mini"),
                id=("chatcmpl-" if path == CHAT_PATH else "resp_") + f"echo{next(self._ids)}",
            )
        return _Computed()

    # ------------------------------------------------------------------ rendering

    def render(self, item: Any, request: RecordedRequest) -> Reply:
        if isinstance(item, Reply):
            return item
        if isinstance(item, ErrorScenario):
            if item.in_stream and request.streamed:
                return self.render_stream_error(item, request.path)
            return render_error(item)
        rejected = self.check(request)
        if rejected is not None:
            return rejected
        if isinstance(item, _Computed):
            return self.render_computed(request)
        if isinstance(item, Scenario):
            body = request.json()
            path = request.path
            if path == CHAT_PATH:
                if body.get("stream") is True:
                    include_usage = bool((body.get("stream_options") or {}).get("include_usage")) and self.usage
                    frames = self.chat_frames(item, include_usage=include_usage)
                    return Reply(200, self._headers(stream=True), frames, stream=True, fault=item.fault)
                payload = self.chat_completion(item)
                return self._json_reply(payload, item)
            if path == RESPONSES_PATH:
                if body.get("stream") is True:
                    frames = self.response_frames(item, body)
                    return Reply(200, self._headers(stream=True), frames, stream=True, fault=item.fault)
                return self._json_reply(self.response_object(item, body, final=True), item)
            return invalid_url(request, self._rid())
        raise TypeError(f"{type(self).__name__} cannot render {item!r}")

    def _json_reply(self, payload: Mapping[str, Any], scenario: Scenario) -> Reply:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        if scenario.malformed:
            data = data[: max(len(data) // 2, 1)]
        # A reply that a fault cuts short is sent in pieces, so the cut can land inside the body.
        chunks: Sequence[bytes] = (data,)
        fault = scenario.fault
        if fault is not None and (fault.reset_after is not None or fault.truncate_after is not None):
            size = max(len(data) // 4, 1)
            chunks = [data[i : i + size] for i in range(0, len(data), size)]
        headers = {"content-type": "application/json", **self._headers()}
        return Reply(200, headers, chunks, fault=fault)

    def render_computed(self, request: RecordedRequest) -> Reply:
        body = request.json()
        if request.path == EMBEDDINGS_PATH:
            return Reply.json(embeddings_response(body), headers=self._headers())
        if request.path == INPUT_TOKENS_PATH:
            payload = {"object": "response.input_tokens", "input_tokens": max(count_words(body), 1)}
            return Reply.json(payload, headers=self._headers())
        return invalid_url(request, self._rid())

    def render_stream_error(self, scenario: ErrorScenario, path: str) -> Reply:
        _status, etype, code, param = ERRORS.get(scenario.kind, ERRORS["server"])
        if path == RESPONSES_PATH:
            frames = sse(
                [
                    (
                        "error",
                        {
                            "type": "error",
                            "code": code or etype,
                            "message": scenario.message,
                            "param": param,
                            "sequence_number": 0,
                        },
                    )
                ]
            )
        else:
            first = self._chunk(
                Scenario(),
                [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}],
                None,
                False,
            )
            error = {"error": {"message": scenario.message, "type": etype, "param": param, "code": code}}
            frames = sse([(None, first), (None, error)])
        headers = self._headers(stream=True)
        headers["x-request-id"] = scenario.request_id
        return Reply(200, headers, frames, stream=True)

    # ---- chat completions

    def chat_completion(self, scenario: Scenario) -> dict[str, Any]:
        """The ``chat.completion`` object for ``scenario``."""
        message: dict[str, Any] = {
            "role": "assistant",
            "content": scenario.full_text or None,
            "refusal": None,
            "annotations": [],
        }
        if self.reasoning_field and scenario.full_reasoning:
            message[self.reasoning_field] = scenario.full_reasoning
        if scenario.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in scenario.tool_calls
            ]
        payload: dict[str, Any] = {
            "id": scenario.id,
            "object": "chat.completion",
            "created": _now(),
            "model": scenario.model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": chat_finish(scenario)}],
            "usage": chat_usage(scenario.usage),
            "service_tier": "default",
            "system_fingerprint": FINGERPRINT,
        }
        if not self.usage:
            del payload["usage"]
        if self.azure_filters:
            payload["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": AZURE_FILTER_RESULTS}]
            payload["choices"][0]["content_filter_results"] = AZURE_FILTER_RESULTS
        if scenario.unknown_events:
            payload["x_future_field"] = {"nested": [1, 2, 3]}
            message["x_future_annotation"] = {"kind": "unknown"}
            payload["choices"][0]["x_choice_extra"] = True
        return payload

    def chat_frames(self, scenario: Scenario, *, include_usage: bool) -> list[bytes]:
        """The SSE frames of a streamed chat completion."""
        frames: list[bytes] = []
        for chunk in self.chat_chunks(scenario, include_usage=include_usage):
            if isinstance(chunk, bytes):
                frames.append(chunk)
            else:
                frames.extend(sse([(None, chunk)]))
        if self.done_marker:
            frames.append(b"data: [DONE]\n\n")
        return frames

    def chat_chunks(self, scenario: Scenario, *, include_usage: bool) -> Iterator[dict[str, Any] | bytes]:
        """The ``chat.completion.chunk`` objects (and raw frames for faults) of a stream."""
        unknown = scenario.unknown_events

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            if unknown:
                delta = {**delta, "x_future_delta": None}
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            if self.azure_filters:
                choice["content_filter_results"] = AZURE_FILTER_RESULTS if delta.get("content") else {}
            return self._chunk(scenario, [choice], None, include_usage)

        if self.azure_filters:
            yield {
                "choices": [],
                "created": 0,
                "id": "",
                "model": "",
                "object": "",
                "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": AZURE_FILTER_RESULTS}],
            }
        if unknown:
            yield b": keep-alive\n\n"
            yield self._chunk(scenario, [], None, False) | {
                "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}]
            }
        calls = list(scenario.tool_calls)
        text_pieces = [p for p in scenario.text_pieces if p]
        reasoning_pieces = [p for p in scenario.reasoning_pieces if p] if self.reasoning_field else []
        opens_with_tool = bool(calls) and not text_pieces and not reasoning_pieces
        if opens_with_tool:
            first_call = calls[0]
            yield chunk(
                {"role": "assistant", "content": None, "tool_calls": [_call_start(0, first_call)], "refusal": None}
            )
        else:
            yield chunk({"role": "assistant", "content": "", "refusal": None})
        if scenario.malformed:
            yield b'data: {"id": "' + scenario.id.encode() + b'", "choices": [{"index": 0, "delta": {"content": "bro\n\n'
        for piece in reasoning_pieces:
            yield chunk({self.reasoning_field or "reasoning_content": piece})
        if not scenario.text_after_tools:
            for piece in text_pieces:
                yield chunk({"content": piece})
        for index, call in enumerate(calls):
            if not (opens_with_tool and index == 0):
                yield chunk({"tool_calls": [_call_start(index, call)]})
            for fragment in call.pieces():
                if fragment:
                    yield chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
            if unknown:
                yield chunk({})  # an empty delta, as the real API sometimes sends
        if scenario.text_after_tools:
            for piece in text_pieces:
                yield chunk({"content": piece})
        yield chunk({}, chat_finish(scenario))
        if include_usage:
            yield self._chunk(scenario, [], chat_usage(scenario.usage), True)

    def _chunk(
        self, scenario: Scenario, choices: list[dict[str, Any]], usage: dict[str, Any] | None, include_usage: bool
    ) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": scenario.id,
            "object": "chat.completion.chunk",
            "created": _now(),
            "model": scenario.model,
            "service_tier": "default",
            "system_fingerprint": FINGERPRINT,
            "choices": choices,
        }
        if include_usage:
            chunk["usage"] = usage
        if self.obfuscation:
            chunk["obfuscation"] = _padding(next(self._ids))
        return chunk

    # ---- responses

    def response_object(self, scenario: Scenario, request: Mapping[str, Any], *, final: bool) -> dict[str, Any]:
        """The ``response`` object; with ``final`` False, as ``response.created`` shows it."""
        status, incomplete = response_status(scenario)
        payload: dict[str, Any] = {
            "id": scenario.id,
            "object": "response",
            "created_at": _now(),
            "status": status if final else "in_progress",
            "background": False,
            "completed_at": _now() if final and status == "completed" else None,
            "error": None,
            "incomplete_details": incomplete if final else None,
            "instructions": request.get("instructions"),
            "max_output_tokens": request.get("max_output_tokens"),
            "model": scenario.model,
            "output": self.response_items(scenario, request) if final else [],
            "parallel_tool_calls": request.get("parallel_tool_calls", True),
            "previous_response_id": request.get("previous_response_id"),
            "reasoning": {"effort": (request.get("reasoning") or {}).get("effort"), "summary": None},
            "service_tier": "default",
            "store": request.get("store", True),
            "temperature": request.get("temperature", 1.0),
            "text": request.get("text") or {"format": {"type": "text"}},
            "tool_choice": request.get("tool_choice", "auto"),
            "tools": request.get("tools", []),
            "top_p": request.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": response_usage(scenario.usage) if final and self.usage else None,
            "user": None,
            "metadata": {},
        }
        if scenario.unknown_events:
            payload["x_future_field"] = {"nested": True}
        return payload

    def response_items(self, scenario: Scenario, request: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The output items of a finished response, in order."""
        items: list[dict[str, Any]] = []
        reasoning = self._reasoning_item(scenario, request)
        if reasoning is not None:
            items.append(reasoning)
        message = _message_item(scenario)
        calls = [_function_item(scenario, i, c) for i, c in enumerate(scenario.tool_calls)]
        if scenario.text_after_tools:
            items.extend(calls)
            if message is not None:
                items.append(message)
        else:
            if message is not None:
                items.append(message)
            items.extend(calls)
        if scenario.unknown_events:
            for item in items:
                item["x_future_item_field"] = 1
        return items

    def _reasoning_item(self, scenario: Scenario, request: Mapping[str, Any]) -> dict[str, Any] | None:
        if not scenario.full_reasoning and scenario.signature is None:
            return None
        encrypted = scenario.signature if "reasoning.encrypted_content" in (request.get("include") or ()) else None
        summary = [{"type": "summary_text", "text": scenario.full_reasoning}] if scenario.full_reasoning else []
        item: dict[str, Any] = {"id": f"rs_{scenario.id}", "type": "reasoning", "summary": summary}
        if encrypted is not None:
            item["encrypted_content"] = encrypted
        return item

    def response_frames(self, scenario: Scenario, request: Mapping[str, Any]) -> list[bytes]:
        """The SSE frames of a streamed response."""
        events = list(self.response_events(scenario, request))
        frames: list[bytes] = []
        for name, data in events:
            if name is None:
                frames.append(data)  # a raw frame
            else:
                frames.extend(sse([(name, data)]))
        return frames

    def response_events(self, scenario: Scenario, request: Mapping[str, Any]) -> Iterator[tuple[Any, Any]]:
        """``(event name, data)`` pairs of a streamed response (``(None, bytes)`` for raw frames)."""
        seq = itertools.count()
        pad = self.obfuscation

        def event(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
            data = {"type": kind, **fields, "sequence_number": next(seq)}
            return kind, data

        def delta_event(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
            name, data = event(kind, **fields)
            if pad:
                data["obfuscation"] = _padding(data["sequence_number"])
            return name, data

        yield event("response.created", response=self.response_object(scenario, request, final=False))
        yield event("response.in_progress", response=self.response_object(scenario, request, final=False))
        if scenario.unknown_events:
            yield None, b": keep-alive\n\n"
            yield event("response.future_feature.delta", item_id="x", payload={"a": 1})
        items = self.response_items(scenario, request)
        for index, item in enumerate(items):
            kind = item["type"]
            if kind == "reasoning":
                yield event(
                    "response.output_item.added",
                    output_index=index,
                    item={**item, "summary": [], "encrypted_content": None},
                )
                if scenario.full_reasoning:
                    rid = item["id"]
                    part = {"type": "summary_text", "text": ""}
                    yield event(
                        "response.reasoning_summary_part.added",
                        item_id=rid,
                        output_index=index,
                        summary_index=0,
                        part=part,
                    )
                    for piece in scenario.reasoning_pieces:
                        if piece:
                            yield delta_event(
                                "response.reasoning_summary_text.delta",
                                item_id=rid,
                                output_index=index,
                                summary_index=0,
                                delta=piece,
                            )
                    text = scenario.full_reasoning
                    yield event(
                        "response.reasoning_summary_text.done",
                        item_id=rid,
                        output_index=index,
                        summary_index=0,
                        text=text,
                    )
                    yield event(
                        "response.reasoning_summary_part.done",
                        item_id=rid,
                        output_index=index,
                        summary_index=0,
                        part={"type": "summary_text", "text": text},
                    )
                yield event("response.output_item.done", output_index=index, item=item)
            elif kind == "message":
                mid = item["id"]
                yield event(
                    "response.output_item.added",
                    output_index=index,
                    item={**item, "status": "in_progress", "content": []},
                )
                empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
                yield event("response.content_part.added", item_id=mid, output_index=index, content_index=0, part=empty)
                first = True
                for piece in scenario.text_pieces:
                    if piece:
                        yield delta_event(
                            "response.output_text.delta",
                            item_id=mid,
                            output_index=index,
                            content_index=0,
                            delta=piece,
                            logprobs=[],
                        )
                        if first and scenario.malformed:
                            yield None, b'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", "delta": "bro\n\n'
                        first = False
                text = scenario.full_text
                yield event(
                    "response.output_text.done",
                    item_id=mid,
                    output_index=index,
                    content_index=0,
                    text=text,
                    logprobs=[],
                )
                yield event(
                    "response.content_part.done",
                    item_id=mid,
                    output_index=index,
                    content_index=0,
                    part=item["content"][0],
                )
                yield event("response.output_item.done", output_index=index, item=item)
            elif kind == "function_call":
                fid = item["id"]
                spec = next(c for c in scenario.tool_calls if c.id == item["call_id"])
                yield event(
                    "response.output_item.added",
                    output_index=index,
                    item={**item, "status": "in_progress", "arguments": ""},
                )
                for fragment in spec.pieces():
                    if fragment:
                        yield delta_event(
                            "response.function_call_arguments.delta", item_id=fid, output_index=index, delta=fragment
                        )
                yield event(
                    "response.function_call_arguments.done",
                    item_id=fid,
                    output_index=index,
                    arguments=spec.arguments,
                    name=spec.name,
                )
                yield event("response.output_item.done", output_index=index, item=item)
        if scenario.malformed and not any(i["type"] == "message" for i in items):
            yield None, b'event: response.completed\ndata: {"type": "response.comp\n\n'
        status, _ = response_status(scenario)
        final = self.response_object(scenario, request, final=True)
        yield event("response.completed" if status == "completed" else "response.incomplete", response=final)

    # ------------------------------------------------------------------ request checks

    def check(self, request: RecordedRequest) -> Reply | None:
        """The error reply the real API would give this request, or None when it is acceptable."""
        if not self.validate:
            return None
        if request.path not in (CHAT_PATH, RESPONSES_PATH, EMBEDDINGS_PATH, INPUT_TOKENS_PATH, MODELS_PATH):
            return invalid_url(request, self._rid())
        if self.require_auth and not request.headers.get("authorization", "").startswith("Bearer "):
            message = (
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
            return error_reply(401, message, "invalid_request_error", None, None, self._rid())
        if request.method == "GET":
            return None
        body = request.json_or_none()
        if not isinstance(body, dict):
            message = "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)"
            return error_reply(400, message, "invalid_request_error", None, None, self._rid())
        problem = request_problem(request.path, body)
        if problem is not None:
            message, param = problem
            return error_reply(400, message, "invalid_request_error", param, None, self._rid())
        return None

    # ------------------------------------------------------------------ helpers

    def _rid(self) -> str:
        return f"req_{next(self._ids):012x}"

    def _headers(self, *, stream: bool = False) -> dict[str, str]:
        headers = {
            "x-request-id": self._rid(),
            "openai-organization": "org-fake",
            "openai-processing-ms": "7",
            "openai-version": "2020-10-01",
            "x-ratelimit-limit-requests": "10000",
            "x-ratelimit-remaining-requests": "9999",
        }
        return {**headers, **SSE_HEADERS} if stream else headers


class _Computed:
    """The default answer for endpoints whose reply is computed from the request."""


# --------------------------------------------------------------------------- wire pieces


def chat_finish(scenario: Scenario) -> str:
    return FINISH.get(scenario.finish_reason, "stop")


def chat_usage(usage: Usage) -> dict[str, Any]:
    """``CompletionUsage``: prompt tokens include cached ones, completion tokens reasoning ones."""
    prompt_details: dict[str, Any] = {"cached_tokens": usage.cache_read_tokens, "audio_tokens": 0}
    if usage.cache_write_tokens:
        prompt_details["cache_write_tokens"] = usage.cache_write_tokens
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def response_usage(usage: Usage) -> dict[str, Any]:
    """``ResponseUsage``."""
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }


def response_status(scenario: Scenario) -> tuple[str, dict[str, str] | None]:
    reason = scenario.finish_reason
    if reason == "length":
        return "incomplete", {"reason": "max_output_tokens"}
    if reason == "content_filter":
        return "incomplete", {"reason": "content_filter"}
    return "completed", None


def _call_start(index: int, call: ToolCallSpec) -> dict[str, Any]:
    return {"index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}


def _message_item(scenario: Scenario) -> dict[str, Any] | None:
    if not scenario.full_text:
        return None
    content = {"type": "output_text", "text": scenario.full_text, "annotations": [], "logprobs": []}
    return {
        "id": f"msg_{scenario.id}",
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [content],
    }


def _function_item(scenario: Scenario, index: int, call: ToolCallSpec) -> dict[str, Any]:
    return {
        "id": f"fc_{scenario.id}_{index}",
        "type": "function_call",
        "status": "completed",
        "arguments": call.arguments,
        "call_id": call.id,
        "name": call.name,
    }


def error_body(message: str, etype: str, param: str | None, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": etype, "param": param, "code": code}}


def error_reply(
    status: int,
    message: str,
    etype: str,
    param: str | None,
    code: str | None,
    request_id: str,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    return Reply.json(error_body(message, etype, param, code), status, {"x-request-id": request_id, **(headers or {})})


def render_error(scenario: ErrorScenario) -> Reply:
    """An error answer as OpenAI sends it for ``scenario.kind``."""
    status, etype, code, param = ERRORS.get(scenario.kind, ERRORS["server"])
    headers: dict[str, str] = {}
    if scenario.retry_after is not None:
        headers["retry-after"] = str(max(math.ceil(scenario.retry_after), 0))
        headers["retry-after-ms"] = str(round(scenario.retry_after * 1000))
    if status == 429:
        headers["x-ratelimit-remaining-requests"] = "0"
    return error_reply(status, scenario.message, etype, param, code, scenario.request_id, headers)


def invalid_url(request: RecordedRequest, request_id: str) -> Reply:
    message = f"Invalid URL ({request.method} {request.path})"
    return error_reply(404, message, "invalid_request_error", None, None, request_id)


def request_problem(path: str, body: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """What the real API would say is wrong with ``body`` (message, param), or None."""
    if not body.get("model"):
        return "you must provide a model parameter", None
    if path == CHAT_PATH:
        return _chat_problem(body)
    if path == RESPONSES_PATH:
        if "input" not in body:
            return "Missing required parameter: 'input'.", "input"
        if "stop" in body:
            return "Unsupported parameter: 'stop'.", "stop"
        return None
    if path == EMBEDDINGS_PATH:
        return _embeddings_problem(body)
    return None


def _chat_problem(body: Mapping[str, Any]) -> tuple[str, str | None] | None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "[] is too short - 'messages'", "messages"
    if "stream_options" in body and body.get("stream") is not True:
        return "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options"
    if "tool_choice" in body and not body.get("tools"):
        return (
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            "tool_choice",
        )
    for tool in body.get("tools") or ():
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not function.get("name"):
            return "Missing required parameter: 'tools[0].function'.", "tools"
    pending: list[str] = []
    for position, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("system", "developer", "user", "assistant", "tool"):
            return (
                f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'tool', 'function', and 'developer'.",
                f"messages[{position}].role",
            )
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in pending:
                return (
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
                    f"messages.[{position}].role",
                )
            pending.remove(call_id)
            continue
        if pending:
            return (
                "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(pending)}",
                "messages",
            )
        if role == "assistant":
            pending = [c.get("id") for c in message.get("tool_calls") or ()]
            if message.get("content") is None and not pending:
                return "Invalid value for 'content': expected a string, got null.", f"messages.[{position}].content"
    return None


def _embeddings_problem(body: Mapping[str, Any]) -> tuple[str, str | None] | None:
    inputs = body.get("input")
    if isinstance(inputs, str):
        inputs = [inputs]
    if not isinstance(inputs, list) or not inputs or len(inputs) > MAX_EMBEDDING_INPUTS:
        return (
            "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
            "input",
        )
    if any(not isinstance(i, str) or not i for i in inputs):
        return (
            "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
            "input",
        )
    if body.get("dimensions") is not None and body.get("model") == "text-embedding-ada-002":
        return "This model does not support specifying dimensions.", "dimensions"
    return None


# --------------------------------------------------------------------------- embeddings


def embedding_vector(text: str, size: int) -> list[float]:
    """A deterministic unit vector, float32-exact (what base64 carries): same text, same vector."""
    packed = struct.pack(f"<{size}f", *unit_vector(text, size))
    return list(struct.unpack(f"<{size}f", packed))


def embeddings_response(body: Mapping[str, Any]) -> dict[str, Any]:
    """The ``/v1/embeddings`` answer for a valid request body."""
    inputs = body["input"]
    texts = [inputs] if isinstance(inputs, str) else list(inputs)
    model = str(body["model"])
    size = int(body.get("dimensions") or EMBEDDING_SIZES.get(model, 1536))
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, text in enumerate(texts):
        vector = embedding_vector(text, size)
        value: Any = base64.b64encode(struct.pack(f"<{size}f", *vector)).decode("ascii") if as_base64 else vector
        data.append({"object": "embedding", "index": index, "embedding": value})
    tokens = sum(max(len(t.split()), 1) for t in texts)
    return {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


# --------------------------------------------------------------------------- small helpers


def last_user_text(body: Mapping[str, Any]) -> str | None:
    """The text of the last user message of a chat or responses request body."""
    messages = body.get("messages")
    if messages is None:
        messages = body.get("input")
        if isinstance(messages, str):
            return messages
    for message in reversed(messages or ()):
        if isinstance(message, dict) and message.get("role") == "user":
            return _text_of(message.get("content"))
    return None


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    texts = [
        str(part.get("text", ""))
        for part in content or ()
        if isinstance(part, dict) and part.get("type") in ("text", "input_text")
    ]
    return " ".join(texts)


def count_words(body: Mapping[str, Any]) -> int:
    """A rough input-token count: words in every string of the request."""
    return _count(body.get("messages", body.get("input", ""))) + _count(body.get("instructions", ""))


def _count(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, Mapping):
        return sum(_count(v) for k, v in value.items() if k not in ("role", "type", "tool_call_id", "call_id", "id"))
    if isinstance(value, list):
        return sum(_count(v) for v in value)
    return 0


def _padding(seed: int) -> str:
    """An ``obfuscation`` value: a short, varying run of letters and digits."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    length = 2 + seed * 7 % 13
    return "".join(alphabet[(seed * 31 + i * 17) % len(alphabet)] for i in range(length))


def _now() -> int:
    return int(time.time())
