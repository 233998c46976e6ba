"""Responses API objects and stream events → lluminary responses and stream events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lluminary.errors import APIConnectionError, MalformedResponseError
from lluminary.streaming import parse_arguments
from lluminary.types import (
    ChatResponse,
    Finish,
    Message,
    Part,
    ReasoningDelta,
    ReasoningPart,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    Usage,
    UsageEvent,
)

from .errors import stream_error
from .finish import response_finish
from .parts import add_text
from .usage import response_usage

_NONE: Sequence[StreamEvent] = ()


def reasoning_of(item: Mapping[str, Any], provider: str) -> ReasoningPart | None:
    """A ``reasoning`` output item as a part: its summary text, its encrypted content."""
    summary = "".join(s.get("text", "") for s in item.get("summary") or () if isinstance(s, Mapping))
    encrypted = item.get("encrypted_content")
    if not summary and not encrypted:
        return None
    return ReasoningPart(summary, None, encrypted or None, provider, item.get("id"))


def parse_response(data: Any, *, provider: str, request_id: str | None = None) -> ChatResponse:
    """A finished ``response`` object."""
    if not isinstance(data, Mapping):
        raise MalformedResponseError(f"expected a response object, got {type(data).__name__}", provider=provider)
    status = data.get("status")
    if status == "failed":
        raise stream_error(data.get("error") or {}, provider, request_id)
    parts: list[Part] = []
    refused = False
    calls = 0
    for item in data.get("output") or ():
        kind = item.get("type")
        if kind == "message":
            for content in item.get("content") or ():
                ctype = content.get("type")
                if ctype == "output_text":
                    add_text(parts, content.get("text") or "")
                elif ctype == "refusal":
                    refused = True
                    add_text(parts, content.get("refusal") or "")
        elif kind == "function_call":
            name = item.get("name") or ""
            arguments = parse_arguments(item.get("arguments") or "", provider=provider, tool=name)
            parts.append(ToolCallPart(item.get("call_id") or item.get("id") or "", name, arguments))
            calls += 1
        elif kind == "reasoning":
            part = reasoning_of(item, provider)
            if part is not None:
                parts.append(part)
    usage = data.get("usage")
    incomplete = (data.get("incomplete_details") or {}).get("reason")
    return ChatResponse(
        message=Message("assistant", tuple(parts)),
        finish_reason=response_finish(status, incomplete, tool_calls=calls > 0, refused=refused),
        raw_finish_reason="refusal" if refused else (incomplete or status),
        usage=response_usage(usage) if usage else Usage(),
        model=data.get("model") or "",
        provider=provider,
        id=data.get("id"),
    )


class _Call:
    __slots__ = ("index", "call_id", "name", "streamed")

    def __init__(self, index: int, call_id: str, name: str) -> None:
        self.index = index
        self.call_id = call_id
        self.name = name
        self.streamed = False


class ResponsesStreamParser:
    """Feed it each event's data object; call :meth:`close` at the end of the body.

    Reasoning is emitted once its item is done, as one :class:`ReasoningDelta` holding the summary
    and the encrypted content, so that the accumulated stream equals the non-streamed answer.
    """

    __slots__ = ("provider", "request_id", "_calls", "_refused", "_finish", "done")

    def __init__(self, provider: str, request_id: str | None = None) -> None:
        self.provider = provider
        self.request_id = request_id
        self._calls: dict[str, _Call] = {}
        self._refused = False
        self._finish: Finish | None = None
        self.done = False  # a ``data: [DONE]`` (not sent by OpenAI here, by some compatible servers)

    def feed(self, data: Any) -> Sequence[StreamEvent]:
        if type(data) is not dict:
            raise MalformedResponseError(f"a stream event is not a JSON object: {data!r:.200}", provider=self.provider)
        kind = data.get("type")
        if kind == "response.output_text.delta":
            delta = data.get("delta")
            return [TextDelta(delta)] if delta else _NONE
        if kind == "response.function_call_arguments.delta":
            call = self._calls.get(data.get("item_id") or "")
            delta = data.get("delta")
            if call is None or not delta:
                return _NONE
            call.streamed = True
            return [ToolCallDelta(call.index, delta)]
        if kind == "response.output_item.added":
            item = data.get("item") or {}
            if item.get("type") == "function_call":
                call = _Call(len(self._calls), item.get("call_id") or item.get("id") or "", item.get("name") or "")
                self._calls[item.get("id") or call.call_id] = call
                return [ToolCallStart(call.index, call.call_id, call.name)]
            return _NONE
        if kind == "response.output_item.done":
            return self._item_done(data.get("item") or {})
        if kind == "response.refusal.delta":
            self._refused = True
            delta = data.get("delta")
            return [TextDelta(delta)] if delta else _NONE
        if kind in ("response.completed", "response.incomplete"):
            return self._completed(data.get("response") or {})
        if kind == "response.failed":
            response = data.get("response") or {}
            raise stream_error(response.get("error") or {}, self.provider, self.request_id)
        if kind == "error":
            raise stream_error(data, self.provider, self.request_id)
        return _NONE

    def _item_done(self, item: Mapping[str, Any]) -> Sequence[StreamEvent]:
        kind = item.get("type")
        if kind == "function_call":
            call = self._calls.get(item.get("id") or "") or self._calls.get(item.get("call_id") or "")
            raw = item.get("arguments") or ""
            if call is None:  # done without added: start it now
                call = _Call(len(self._calls), item.get("call_id") or "", item.get("name") or "")
                self._calls[item.get("id") or call.call_id] = call
                out: list[StreamEvent] = [ToolCallStart(call.index, call.call_id, call.name)]
            else:
                out = []
            if raw and not call.streamed:
                out.append(ToolCallDelta(call.index, raw))
            arguments = parse_arguments(raw, provider=self.provider, tool=call.name)
            out.append(ToolCallEnd(call.index, ToolCallPart(call.call_id, call.name, arguments)))
            return out
        if kind == "reasoning":
            part = reasoning_of(item, self.provider)
            if part is None:
                return _NONE
            return [ReasoningDelta(part.text, None, part.redacted, part.id)]
        return _NONE

    def _completed(self, response: Mapping[str, Any]) -> Sequence[StreamEvent]:
        status = response.get("status")
        incomplete = (response.get("incomplete_details") or {}).get("reason")
        reason = response_finish(status, incomplete, tool_calls=bool(self._calls), refused=self._refused)
        raw = "refusal" if self._refused else (incomplete or status)
        self._finish = Finish(reason, raw, response.get("model") or "", response.get("id"))
        usage = response.get("usage")
        return [UsageEvent(response_usage(usage))] if usage else _NONE

    def close(self) -> Sequence[StreamEvent]:
        if self._finish is None:
            raise APIConnectionError(
                "the stream ended before the response completed (no response.completed event)",
                provider=self.provider,
                request_id=self.request_id,
            )
        return [self._finish]
