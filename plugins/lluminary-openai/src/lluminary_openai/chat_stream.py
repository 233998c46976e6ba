"""``chat.completion.chunk`` objects → lluminary stream events.

The parser is fed each decoded chunk once and returns the events it produces (usually one). It
is tolerant of what real servers send: tool-call ids and names repeated on later fragments or
missing from them, a call whose name arrives after its first argument fragment, a new call that
reuses an index with a different id, empty deltas, chunks with ``choices: []``, usage on every
chunk or in Groq's ``x_groq``, reasoning in ``reasoning_content`` deltas, and keys it has never
heard of.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lluminary.errors import APIConnectionError, MalformedResponseError
from lluminary.streaming import parse_arguments
from lluminary.types import (
    Finish,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    UsageEvent,
)

from .errors import stream_error
from .finish import chat_finish
from .usage import chat_usage

_NONE: Sequence[StreamEvent] = ()


class _Call:
    __slots__ = ("index", "id", "name", "fragments", "started", "ended")

    def __init__(self, index: int, call_id: str, name: str) -> None:
        self.index = index
        self.id = call_id
        self.name = name
        self.fragments: list[str] = []
        self.started = False
        self.ended = False


class ChatStreamParser:
    """Feed it chunks with :meth:`feed`; call :meth:`close` at the end of the body."""

    __slots__ = (
        "provider",
        "request_id",
        "reasoning_fields",
        "_calls",
        "_by_wire",
        "_raw_finish",
        "_refused",
        "model",
        "id",
        "done",
    )

    def __init__(self, provider: str, reasoning_fields: tuple[str, ...] = (), request_id: str | None = None) -> None:
        self.provider = provider
        self.request_id = request_id
        self.reasoning_fields = reasoning_fields
        self._calls: list[_Call] = []
        self._by_wire: dict[Any, _Call] = {}
        self._raw_finish: str | None = None
        self._refused = False
        self.model = ""
        self.id: str | None = None
        self.done = False  # set by the caller on ``data: [DONE]``

    def feed(self, chunk: Any) -> Sequence[StreamEvent]:
        """The events of one chunk."""
        if type(chunk) is not dict:
            raise MalformedResponseError(f"a stream frame is not a JSON object: {chunk!r:.200}", provider=self.provider)
        if self.id is None:
            self.id = chunk.get("id")
            self.model = chunk.get("model") or ""
        out: list[StreamEvent] | None = None
        choices = chunk.get("choices")
        if choices:
            choice = choices[0]
            delta = choice.get("delta")
            finish = choice.get("finish_reason")
            if delta:
                content = delta.get("content")
                if content and len(delta) == 1 and finish is None and not chunk.get("usage"):
                    return [TextDelta(content)]  # the common case: one piece of text
                out = self._delta(delta, content)
            if finish:
                if out is None:
                    out = []
                self._raw_finish = finish
                self._end_calls(out)
        elif "error" in chunk:
            raise stream_error(chunk["error"], self.provider, self.request_id)
        usage = chunk.get("usage")
        if usage is None and "x_groq" in chunk:
            usage = (chunk["x_groq"] or {}).get("usage")
        if usage:
            if out is None:
                out = []
            out.append(UsageEvent(chat_usage(usage)))
        return out or _NONE

    def _delta(self, delta: dict[str, Any], content: Any) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        for field in self.reasoning_fields:
            reasoning = delta.get(field)
            if reasoning and isinstance(reasoning, str):
                out.append(ReasoningDelta(reasoning))
                break
        if content and isinstance(content, str):
            out.append(TextDelta(content))
        tool_calls = delta.get("tool_calls")
        if tool_calls:
            self._tool_fragments(tool_calls, out)
        refusal = delta.get("refusal")
        if refusal:
            self._refused = True
            out.append(TextDelta(refusal))
        return out

    def _tool_fragments(self, fragments: list[Any], out: list[StreamEvent]) -> None:
        calls = self._calls
        for fragment in fragments:
            wire_index = fragment.get("index")
            call_id = fragment.get("id") or ""
            function = fragment.get("function") or {}
            name = function.get("name") or ""
            arguments = function.get("arguments")
            if wire_index is not None:
                call = self._by_wire.get(wire_index)
            else:  # no index (some servers): a fragment with an id opens a call, else continues the last
                call = calls[-1] if calls and not call_id else None
            if call is not None and call_id and call.id and call_id != call.id and name:
                call = None  # a new call reusing the index of an earlier one
            if call is None:
                call = _Call(len(calls), call_id, name)
                calls.append(call)
                if wire_index is not None:
                    self._by_wire[wire_index] = call
            else:
                if call_id and not call.id:
                    call.id = call_id
                if name and not call.name:
                    call.name = name
            if arguments:
                call.fragments.append(arguments)
            if not call.started:
                if call.name:
                    self._start(call, out)
            elif arguments:
                out.append(ToolCallDelta(call.index, arguments))

    def _start(self, call: _Call, out: list[StreamEvent]) -> None:
        call.started = True
        if not call.id:
            call.id = f"call_{call.index}"
        out.append(ToolCallStart(call.index, call.id, call.name))
        if call.fragments:
            out.append(ToolCallDelta(call.index, "".join(call.fragments)))

    def _end_calls(self, out: list[StreamEvent]) -> None:
        for call in self._calls:
            if call.ended:
                continue
            if not call.started:
                self._start(call, out)
            call.ended = True
            arguments = parse_arguments("".join(call.fragments), provider=self.provider, tool=call.name)
            out.append(ToolCallEnd(call.index, ToolCallPart(call.id, call.name, arguments)))

    def close(self) -> list[StreamEvent]:
        """The last events, once the body has ended. A body that ends before the server said the
        turn was over (no finish reason, no ``[DONE]``) was cut short: that is a connection error."""
        if self._raw_finish is None and not self.done:
            raise APIConnectionError(
                "the stream ended before the server finished the answer (no finish_reason, no [DONE])",
                provider=self.provider,
                request_id=self.request_id,
            )
        out: list[StreamEvent] = []
        self._end_calls(out)
        raw = self._raw_finish
        reason = chat_finish(raw, tool_calls=bool(self._calls), refused=self._refused)
        out.append(Finish(reason, "refusal" if self._refused else raw, self.model, self.id))
        return out
