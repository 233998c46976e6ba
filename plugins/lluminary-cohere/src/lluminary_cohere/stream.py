"""The ``/v2/chat`` stream (SSE frames whose data is ``{"type": ...}``) as unified events.

One :class:`StreamParser` per stream. Each frame is parsed once; text deltas take a short path.
Unknown event types, ``debug`` events, padding keys and a ``[DONE]`` line are ignored. Tool calls
are numbered by the order they start, whatever ``index`` Cohere gives them; a call that never got
its ``tool-call-end`` is closed by the next call's start or by ``message-end``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lluminary import sdk

from .response import PROVIDER, citation, finish_reason, mapping, tool_arguments, usage

_NONE: tuple[sdk.StreamEvent, ...] = ()


class _Call:
    __slots__ = ("index", "id", "name", "fragments", "ended", "provider")

    def __init__(self, index: int, call_id: str, name: str, provider: str) -> None:
        self.provider = provider
        self.index = index
        self.id = call_id
        self.name = name
        self.fragments: list[str] = []
        self.ended = False

    def end(self) -> sdk.ToolCallEnd:
        self.ended = True
        part = sdk.ToolCallPart(self.id, self.name, tool_arguments("".join(self.fragments), self.name, self.provider))
        return sdk.ToolCallEnd(self.index, part)


class StreamParser:
    """Feed it each SSE frame (:meth:`feed`); it returns the events that frame carries."""

    __slots__ = ("model", "provider", "id", "finished", "_calls", "_order")

    def __init__(self, model: str, provider: str = PROVIDER) -> None:
        self.model = model
        self.provider = provider
        self.id: str | None = None
        self.finished = False
        self._calls: dict[Any, _Call] = {}
        self._order: list[_Call] = []

    def feed(self, data: str, event: str = "") -> tuple[sdk.StreamEvent, ...]:
        if self.finished:
            return _NONE
        if data[:1] != "{":
            stripped = data.strip()
            if not stripped or stripped == "[DONE]":
                return _NONE
            data = stripped
        try:
            frame = sdk.loads(data)
        except ValueError as exc:
            raise sdk.MalformedResponseError(
                f"invalid JSON in the stream: {exc}: {data[:200]!r}", provider=self.provider
            ) from None
        if not isinstance(frame, dict):
            return _NONE
        kind = frame.get("type") or event
        try:
            if kind == "content-delta":
                return _content(frame["delta"]["message"]["content"])
            if kind == "tool-call-delta":
                return self._tool_delta(frame)
            if kind == "tool-plan-delta":
                plan = frame["delta"]["message"].get("tool_plan")
                return (sdk.ReasoningDelta(plan),) if plan and isinstance(plan, str) else _NONE
            if kind == "content-start":
                return _content(frame["delta"]["message"]["content"])
            if kind == "tool-call-start":
                return self._tool_start(frame)
            if kind == "tool-call-end":
                call = self._calls.get(frame.get("index"))
                if call is None or call.ended:
                    return _NONE
                return (call.end(),)
            if kind == "citation-start":
                found = citation(frame["delta"]["message"].get("citations"))
                return (sdk.CitationEvent(found),) if found is not None else _NONE
            if kind == "message-start":
                if isinstance(frame.get("id"), str):
                    self.id = frame["id"]
                return _NONE
            if kind == "message-end":
                return self._message_end(frame)
        except (KeyError, TypeError, AttributeError):
            return _NONE  # a frame of a known type without its usual fields carries nothing
        return _NONE  # content-end, citation-end, debug, and types this version does not know

    # ---- the less frequent frames

    def _tool_start(self, frame: dict[str, Any]) -> tuple[sdk.StreamEvent, ...]:
        raw = frame["delta"]["message"].get("tool_calls")
        if isinstance(raw, list):  # documented as one object; tolerate a one-item array
            raw = raw[0] if raw else {}
        if not isinstance(raw, Mapping):
            raw = {}
        function = mapping(raw.get("function"))
        key = frame.get("index", len(self._order))
        known = self._calls.get(key)
        if known is not None and not known.ended:
            return _NONE  # a repeated start for a call already under way
        # Cohere streams calls one after another: a new start ends a call left open.
        events: list[sdk.StreamEvent] = [open_call.end() for open_call in self._order if not open_call.ended]
        call = _Call(len(self._order), str(raw.get("id") or ""), str(function.get("name") or ""), self.provider)
        self._calls[key] = call
        self._order.append(call)
        events.append(sdk.ToolCallStart(call.index, call.id, call.name))
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            call.fragments.append(arguments)
            events.append(sdk.ToolCallDelta(call.index, arguments))
        return tuple(events)

    def _tool_delta(self, frame: dict[str, Any]) -> tuple[sdk.StreamEvent, ...]:
        raw = frame["delta"]["message"]["tool_calls"]
        if isinstance(raw, list):
            raw = raw[0] if raw else {}
        fragment = raw["function"].get("arguments")
        if not fragment or not isinstance(fragment, str):
            return _NONE
        key = frame.get("index", len(self._order) - 1)
        call = self._calls.get(key)
        if call is None or call.ended:  # a delta without its start: keep the arguments anyway
            call = _Call(len(self._order), "", "", self.provider)
            self._calls[key] = call
            self._order.append(call)
            call.fragments.append(fragment)
            return (sdk.ToolCallStart(call.index, "", ""), sdk.ToolCallDelta(call.index, fragment))
        call.fragments.append(fragment)
        return (sdk.ToolCallDelta(call.index, fragment),)

    def _message_end(self, frame: dict[str, Any]) -> tuple[sdk.StreamEvent, ...]:
        delta = mapping(frame.get("delta"))
        raw_finish = delta.get("finish_reason")
        raw_finish = raw_finish if isinstance(raw_finish, str) else None
        error = delta.get("error")
        if isinstance(error, str) and error.strip():
            raise stream_error(error, raw_finish, self.provider)
        if isinstance(frame.get("id"), str) and self.id is None:
            self.id = frame["id"]
        events: list[sdk.StreamEvent] = [call.end() for call in self._order if not call.ended]
        events.append(sdk.UsageEvent(usage(delta.get("usage"))))
        reason = finish_reason(raw_finish, has_tool_calls=bool(self._order))
        events.append(sdk.Finish(reason, raw_finish, self.model, self.id))
        self.finished = True
        return tuple(events)


def _content(content: Mapping[str, Any]) -> tuple[sdk.StreamEvent, ...]:
    """A content block's start or delta: text, or thinking."""
    text = content.get("text")
    if text and isinstance(text, str):
        return (sdk.TextDelta(text),)
    thinking = content.get("thinking")
    if thinking and isinstance(thinking, str):
        return (sdk.ReasoningDelta(thinking),)
    return _NONE


def stream_error(message: str, raw_finish: str | None, provider: str = PROVIDER) -> sdk.ProviderError:
    """The typed error for a ``message-end`` that carries an error message."""
    lowered = message.lower()
    cls: type[sdk.ProviderError] = sdk.ServerError
    if any(marker in lowered for marker in sdk.CONTEXT_LENGTH_MARKERS):
        cls = sdk.ContextLengthExceededError
    elif raw_finish == "TIMEOUT" or "timed out" in lowered or "timeout" in lowered:
        cls = sdk.APITimeoutError
    elif "rate limit" in lowered or "too many requests" in lowered:
        cls = sdk.RateLimitError
    return cls(message, provider=provider, code=raw_finish)
