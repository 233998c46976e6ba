"""ConverseStream: AWS event-stream frames → unified stream events.

botocore's ``EventStreamBuffer`` does the framing: it is fed the raw bytes as they arrive, split
anywhere, checks each frame's prelude and message CRC, and yields whole messages. Each message's
JSON payload is parsed once and dispatched on its ``:event-type`` header:

* ``contentBlockStart`` with ``start.toolUse`` opens a tool call (→ ``ToolCallStart``, numbered
  among the tool calls of the answer, not by ``contentBlockIndex``);
* ``contentBlockDelta`` carries ``text``, a ``toolUse.input`` JSON fragment, or ``reasoningContent``
  (``text``, ``signature``, ``redactedContent``);
* ``contentBlockStop`` closes a tool call (→ ``ToolCallEnd`` with the parsed arguments);
* ``messageStop`` has the stop reason, ``metadata`` the usage (the only event that does).

Unknown events and keys (payloads carry a random ``"p"`` padding key) are ignored. A
``:message-type exception`` or ``error`` frame raises the typed error it names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
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

from .errors import stream_exception
from .response import finish_reason, usage


class _Tool:
    __slots__ = ("index", "id", "name", "fragments", "ended", "json_answer")

    def __init__(self, index: int, call_id: str, name: str, json_answer: bool) -> None:
        self.index = index
        self.id = call_id
        self.name = name
        self.fragments: list[str] = []
        self.ended = False
        self.json_answer = json_answer


class ConverseStreamParser:
    """Turns decoded event-stream messages into unified events; :meth:`close` ends the stream."""

    __slots__ = ("provider", "model", "headers", "json_tool", "_blocks", "_tools", "_stop_reason", "_stopped")

    def __init__(self, provider: str, model: str, headers: Mapping[str, str], json_tool: str | None = None) -> None:
        self.provider = provider
        self.model = model
        self.headers = headers
        self.json_tool = json_tool
        self._blocks: dict[int, _Tool] = {}  # contentBlockIndex -> tool call
        self._tools = 0  # tool calls seen (not counting a structured answer's tool)
        self._stop_reason: str | None = None
        self._stopped = False

    def handle(self, message_headers: Mapping[str, Any], payload: bytes) -> Iterator[StreamEvent]:
        kind = message_headers.get(":message-type")
        if kind == "event":
            yield from self._event(message_headers.get(":event-type"), payload)
        elif kind == "exception":
            name = str(message_headers.get(":exception-type") or "exception")
            data = self._json(payload) if payload else {}
            text = data.get("message") or data.get("Message") or data.get("originalMessage") or ""
            status = data.get("originalStatusCode")
            raise stream_exception(
                name, str(text), self.headers, self.provider, status if isinstance(status, int) else None
            )
        elif kind == "error":
            code = str(message_headers.get(":error-code") or "error")
            raise stream_exception(code, str(message_headers.get(":error-message") or ""), self.headers, self.provider)
        # anything else: ignored

    def _json(self, payload: bytes) -> dict[str, Any]:
        try:
            data = json.loads(payload)
        except ValueError as exc:
            raise MalformedResponseError(f"an event's payload is not JSON: {exc}", provider=self.provider) from None
        if not isinstance(data, dict):
            raise MalformedResponseError("an event's payload is not a JSON object", provider=self.provider)
        return data

    def _event(self, name: Any, payload: bytes) -> Iterator[StreamEvent]:
        if name == "contentBlockDelta":
            data = self._json(payload)
            delta = data.get("delta")
            if not isinstance(delta, Mapping):
                return
            text = delta.get("text")
            if text is not None:
                if isinstance(text, str) and text:
                    yield TextDelta(text)
                return
            tool_use = delta.get("toolUse")
            if isinstance(tool_use, Mapping):
                yield from self._tool_delta(data.get("contentBlockIndex"), tool_use.get("input"))
                return
            reasoning = delta.get("reasoningContent")
            if isinstance(reasoning, Mapping):
                yield from _reasoning_delta(reasoning)
        elif name == "contentBlockStart":
            data = self._json(payload)
            start = data.get("start")
            tool_use = start.get("toolUse") if isinstance(start, Mapping) else None
            if isinstance(tool_use, Mapping):
                block = data.get("contentBlockIndex")
                if block not in self._blocks:
                    yield from self._open(block, str(tool_use.get("toolUseId") or ""), str(tool_use.get("name") or ""))
        elif name == "contentBlockStop":
            tool = self._blocks.get(self._json(payload).get("contentBlockIndex"))  # type: ignore[arg-type]
            if tool is not None and not tool.ended:
                yield from self._close(tool)
        elif name == "messageStop":
            reason = self._json(payload).get("stopReason")
            self._stop_reason = reason if isinstance(reason, str) else None
            self._stopped = True
        elif name == "metadata":
            data = self._json(payload)
            if "usage" in data:
                yield UsageEvent(usage(data["usage"]))
        # messageStart and unknown events carry nothing we need

    def _open(self, block: Any, call_id: str, name: str) -> Iterator[StreamEvent]:
        json_answer = self.json_tool is not None and name == self.json_tool
        tool = _Tool(-1 if json_answer else self._tools, call_id, name, json_answer)
        self._blocks[block] = tool
        if not json_answer:
            self._tools += 1
            yield ToolCallStart(tool.index, call_id, name)

    def _tool_delta(self, block: Any, fragment: Any) -> Iterator[StreamEvent]:
        tool = self._blocks.get(block)
        if tool is None:  # a fragment without its start: keep it rather than lose it
            yield from self._open(block, "", "")
            tool = self._blocks[block]
        if not isinstance(fragment, str) or not fragment:
            return
        if tool.json_answer:
            yield TextDelta(fragment)
            return
        tool.fragments.append(fragment)
        yield ToolCallDelta(tool.index, fragment)

    def _close(self, tool: _Tool) -> Iterator[StreamEvent]:
        tool.ended = True
        if tool.json_answer:
            return
        arguments = parse_arguments("".join(tool.fragments), provider=self.provider, tool=tool.name)
        yield ToolCallEnd(tool.index, ToolCallPart(tool.id, tool.name, arguments))

    def close(self) -> Iterator[StreamEvent]:
        """The end of the body: close what is open and finish, or fail if the answer is cut short."""
        if not self._stopped:
            raise APIConnectionError(
                "the stream ended before messageStop (connection cut short)",
                provider=self.provider,
                request_id=self.headers.get("x-amzn-requestid"),
            )
        for tool in self._blocks.values():
            if not tool.ended:
                yield from self._close(tool)
        reason = finish_reason(self._stop_reason, tool_calls=self._tools > 0, json_tool=self.json_tool)
        yield Finish(reason, self._stop_reason, self.model, self.headers.get("x-amzn-requestid"))


def _reasoning_delta(reasoning: Mapping[str, Any]) -> Iterator[ReasoningDelta]:
    text = reasoning.get("text")
    if isinstance(text, str):
        if text:
            yield ReasoningDelta(text)
        return
    signature = reasoning.get("signature")
    if isinstance(signature, str):
        if signature:
            yield ReasoningDelta(signature=signature)
        return
    redacted = reasoning.get("redactedContent")
    if isinstance(redacted, str):
        yield ReasoningDelta(redacted=redacted)
