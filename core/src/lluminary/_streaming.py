"""Turning a stream into the response the non-streaming call returns, and back.

:class:`Accumulator` is on the hot path of every stream: it keeps plain lists of fragments and
builds parts once, at the end. :func:`events_from_response` is its inverse, used to replay a
cached answer as a stream and to give stream-less providers a stream.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

from ._errors import MalformedResponseError
from ._types import (
    ChatResponse,
    Citation,
    CitationEvent,
    Finish,
    FinishReason,
    Message,
    Part,
    ReasoningDelta,
    ReasoningPart,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    Usage,
    UsageEvent,
)

_TEXT, _REASONING, _TOOL = 0, 1, 2


class Accumulator:
    """Collects stream events into a :class:`ChatResponse`.

    Consecutive text deltas form one text part; reasoning deltas form one reasoning part until a
    signature or redacted block closes it; tool calls are keyed by their index. Empty text deltas
    create nothing, so a stream and its non-streamed twin compare equal.
    """

    __slots__ = ("provider", "_blocks", "_tools", "_citations", "usage", "finish")

    def __init__(self, provider: str = "") -> None:
        self.provider = provider
        # Each block is a small list: [_TEXT, fragments] | [_REASONING, fragments, signature,
        # redacted, id] | [_TOOL, index].
        self._blocks: list[list[Any]] = []
        self._tools: dict[int, list[Any]] = {}  # index -> [id, name, fragments, final call | None]
        self._citations: list[Citation] = []
        self.usage: Usage | None = None
        self.finish: Finish | None = None

    def add(self, event: StreamEvent) -> None:
        kind = type(event)
        blocks = self._blocks
        if kind is TextDelta:
            text = event.text  # type: ignore[union-attr]
            if text:
                if blocks and blocks[-1][0] is _TEXT:
                    blocks[-1][1].append(text)
                else:
                    blocks.append([_TEXT, [text]])
        elif kind is ReasoningDelta:
            self._add_reasoning(event)  # type: ignore[arg-type]
        elif kind is ToolCallStart:
            start: ToolCallStart = event  # type: ignore[assignment]
            if start.index not in self._tools:
                self._tools[start.index] = [start.id, start.name, [], None]
                blocks.append([_TOOL, start.index])
        elif kind is ToolCallDelta:
            delta: ToolCallDelta = event  # type: ignore[assignment]
            self._tool(delta.index)[2].append(delta.arguments)
        elif kind is ToolCallEnd:
            end: ToolCallEnd = event  # type: ignore[assignment]
            self._tool(end.index)[3] = end.call
        elif kind is UsageEvent:
            self.usage = event.usage  # type: ignore[union-attr]
        elif kind is Finish:
            self.finish = event  # type: ignore[assignment]
        elif kind is CitationEvent:
            self._citations.append(event.citation)  # type: ignore[union-attr]

    def _tool(self, index: int) -> list[Any]:
        entry = self._tools.get(index)
        if entry is None:  # a delta without a start: keep it rather than lose it
            entry = self._tools[index] = ["", "", [], None]
            self._blocks.append([_TOOL, index])
        return entry

    def _add_reasoning(self, event: ReasoningDelta) -> None:
        blocks = self._blocks
        last = blocks[-1] if blocks else None
        open_block = last is not None and last[0] is _REASONING and last[2] is None and last[3] is None
        if event.redacted is not None:
            blocks.append([_REASONING, [event.text] if event.text else [], event.signature, event.redacted, event.id])
            return
        if not open_block:
            if not event.text and event.signature is None:
                return
            blocks.append([_REASONING, [], None, None, event.id])
            last = blocks[-1]
        assert last is not None
        if event.text:
            last[1].append(event.text)
        if event.signature is not None:
            last[2] = event.signature
        if event.id is not None and last[4] is None:
            last[4] = event.id

    @property
    def text(self) -> str:
        """The text so far."""
        return "".join("".join(b[1]) for b in self._blocks if b[0] is _TEXT)

    def parts(self) -> tuple[Part, ...]:
        parts: list[Part] = []
        for block in self._blocks:
            tag = block[0]
            if tag is _TEXT:
                parts.append(TextPart("".join(block[1])))
            elif tag is _REASONING:
                parts.append(ReasoningPart("".join(block[1]), block[2], block[3], self.provider or None, block[4]))
            else:
                parts.append(self._tool_call(block[1]))
        return tuple(parts)

    def _tool_call(self, index: int) -> ToolCallPart:
        call_id, name, fragments, final = self._tools[index]
        if final is not None:
            return final  # type: ignore[no-any-return]
        return ToolCallPart(call_id, name, parse_arguments("".join(fragments), provider=self.provider, tool=name))

    def response(self) -> ChatResponse:
        """The final response. Raises if the stream never finished."""
        finish = self.finish
        if finish is None:
            raise MalformedResponseError("the stream ended without a finish event", provider=self.provider)
        return ChatResponse(
            message=Message("assistant", self.parts()),
            finish_reason=finish.reason,
            raw_finish_reason=finish.raw_reason,
            usage=self.usage or Usage(),
            model=finish.model,
            provider=self.provider,
            id=finish.id,
            citations=tuple(self._citations),
        )


def parse_arguments(raw: str, *, provider: str = "", tool: str = "") -> dict[str, Any]:
    """Parse a tool call's JSON arguments; empty means no arguments. Invalid JSON is a typed error
    that keeps the raw text, so nothing is lost."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        err = MalformedResponseError(
            f"tool call {tool!r} has invalid JSON arguments: {exc}: {raw[:200]!r}", provider=provider
        )
        err.raw_arguments = raw
        raise err from None
    if not isinstance(value, dict):
        err = MalformedResponseError(
            f"tool call {tool!r} arguments are not a JSON object: {raw[:200]!r}", provider=provider
        )
        err.raw_arguments = raw
        raise err
    return value


def partial_object(raw: str) -> dict[str, Any]:
    """The JSON object a cut-off tool input holds so far, read as the official SDK's partial
    parser reads it: the longest prefix that ends after a complete value (a string value cut
    mid-way, a trailing number or a key without its value are dropped), with its brackets closed.
    ``{}`` when nothing complete remains."""
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if isinstance(value, dict):
        return value
    stack: list[str] = []
    cuts: list[tuple[int, str]] = []  # (prefix length, closing brackets) where a value may end
    in_string = escaped = False
    for position, char in enumerate(raw):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                cuts.append((position + 1, "".join(reversed(stack))))
        elif char == '"':
            in_string = True
        elif char == "{" or char == "[":
            stack.append("}" if char == "{" else "]")
            cuts.append((position + 1, "".join(reversed(stack))))
        elif char == "}" or char == "]":
            if stack:
                stack.pop()
            cuts.append((position + 1, "".join(reversed(stack))))
        elif char == ",":
            cuts.append((position, "".join(reversed(stack))))
    for end, closing in reversed(cuts[-64:]):
        try:
            value = json.loads(raw[:end] + closing)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return {}


def events_from_response(response: ChatResponse) -> Iterable[StreamEvent]:
    """The stream that accumulates to exactly ``response``."""
    tool_index = 0
    for part in response.message.content:
        if isinstance(part, TextPart):
            if part.text:
                yield TextDelta(part.text)
        elif isinstance(part, ReasoningPart):
            if part.redacted is not None:
                yield ReasoningDelta(part.text, part.signature, part.redacted, part.id)
            else:
                yield ReasoningDelta(part.text, None, None, part.id)
                if part.signature is not None:
                    # The id again: a block with no text has only this event to carry it.
                    yield ReasoningDelta("", part.signature, None, part.id)
        elif isinstance(part, ToolCallPart):
            yield ToolCallStart(tool_index, part.id, part.name)
            if part.arguments:
                yield ToolCallDelta(tool_index, json.dumps(part.arguments, ensure_ascii=False))
            yield ToolCallEnd(tool_index, part)
            tool_index += 1
    for citation in response.citations:
        yield CitationEvent(citation)
    yield UsageEvent(response.usage)
    yield Finish(response.finish_reason, response.raw_finish_reason, response.model, response.id)


async def aiter_events(events: Iterable[StreamEvent]) -> AsyncIterator[StreamEvent]:
    """An async iterator over already-known events (a cache replay)."""
    for event in events:
        yield event


async def accumulate(stream: AsyncIterator[StreamEvent], provider: str = "") -> ChatResponse:
    """Drain ``stream`` into its final response."""
    acc = Accumulator(provider)
    async for event in stream:
        acc.add(event)
    return acc.response()


def finish_reason_of(has_tool_calls: bool, reason: FinishReason) -> FinishReason:
    """Providers that say "stop" after a tool call (Gemini, Ollama) report ``tool_calls``."""
    return "tool_calls" if has_tool_calls and reason == "stop" else reason
