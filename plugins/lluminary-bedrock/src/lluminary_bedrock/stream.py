"""ConverseStream: AWS event-stream frames → unified stream events.

botocore's ``EventStreamBuffer`` does the framing: it is fed the raw bytes as they arrive, split
anywhere, checks each frame's prelude and message CRC, and yields whole messages. Each message's
JSON payload is parsed once and dispatched on its ``:event-type`` header:

* ``contentBlockStart`` with ``start.toolUse`` opens a tool call (→ ``ToolCallStart``, numbered
  among the tool calls of the answer, not by ``contentBlockIndex``); a ``server_tool_use`` (a tool
  Bedrock runs itself) is not the caller's to run and is skipped, as are ``toolResult`` blocks;
* ``contentBlockDelta`` carries ``text``, a ``toolUse.input`` JSON fragment, ``reasoningContent``
  (``text``, ``signature``, ``redactedContent``) or a ``citation`` of the block's text (document
  citations: the block's citations are reported as one :class:`CitationEvent` when it stops);
* ``contentBlockStop`` closes a tool call (→ ``ToolCallEnd`` with the parsed arguments). Arguments
  that are not valid JSON fail the stream at its end unless the answer was cut by ``max_tokens``:
  then the tool call keeps what was complete (:func:`partial_object`);
* ``messageStop`` has the stop reason, ``metadata`` the usage (the only event that does).

Unknown events and keys (payloads carry a random ``"p"`` padding key) are ignored. A
``:message-type exception`` or ``error`` frame raises the typed error it names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from lluminary import sdk

from .errors import stream_exception
from .response import finish_reason, usage

_NO_BLOCK = object()

#: Stop reasons that cut the answer short: a tool call's JSON may end mid-value.
_CUT = frozenset({"max_tokens", "model_context_window_exceeded"})


class _Tool:
    __slots__ = ("index", "id", "name", "fragments", "ended", "json_answer", "broken", "server")

    def __init__(self, index: int, call_id: str, name: str, json_answer: bool, server: bool = False) -> None:
        self.index = index
        self.id = call_id
        self.name = name
        self.fragments: list[str] = []
        self.ended = False
        self.json_answer = json_answer
        self.broken = False  # stopped with arguments that do not parse: judged at the end
        self.server = server  # a server tool Bedrock runs itself: not a call for the caller


class ConverseStreamParser:
    """Turns decoded event-stream messages into unified events; :meth:`close` ends the stream."""

    __slots__ = (
        "provider",
        "model",
        "headers",
        "json_tool",
        "_blocks",
        "_tools",
        "_stop_reason",
        "_stopped",
        "_text_len",
        "_text_block",
        "_text_start",
        "_text_pieces",
        "_cited",
    )

    def __init__(self, provider: str, model: str, headers: Mapping[str, str], json_tool: str | None = None) -> None:
        self.provider = provider
        self.model = model
        self.headers = headers
        self.json_tool = json_tool
        self._blocks: dict[int, _Tool] = {}  # contentBlockIndex -> tool call
        self._tools = 0  # tool calls seen (not counting a structured answer's tool)
        self._stop_reason: str | None = None
        self._stopped = False
        self._text_len = 0  # characters of answer text so far, for citation spans
        # The text block being streamed: its contentBlockIndex, start offset and pieces.
        self._text_block: Any = _NO_BLOCK
        self._text_start = 0
        self._text_pieces: list[str] = []
        # contentBlockIndex -> [start offset, text pieces, citations] of a cited text block
        self._cited: dict[Any, list[Any]] = {}

    def handle(self, message_headers: Mapping[str, Any], payload: bytes) -> Iterator[sdk.StreamEvent]:
        kind = message_headers.get(":message-type")
        if kind == "event":
            yield from self._event(message_headers.get(":event-type"), payload)
        elif kind == "exception":
            name = str(message_headers.get(":exception-type") or "exception")
            data = self._json(payload) if payload else {}
            text = str(data.get("message") or data.get("Message") or "")
            original = data.get("originalMessage")  # what the model behind Bedrock said
            if isinstance(original, str) and original and original not in text:
                text = f"{text}: {original}" if text else original
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
            data = sdk.loads(payload)
        except ValueError as exc:
            raise sdk.MalformedResponseError(f"an event's payload is not JSON: {exc}", provider=self.provider) from None
        if not isinstance(data, dict):
            raise sdk.MalformedResponseError("an event's payload is not a JSON object", provider=self.provider)
        return data

    def _event(self, name: Any, payload: bytes) -> Iterator[sdk.StreamEvent]:
        if name == "contentBlockDelta":
            data = self._json(payload)
            delta = data.get("delta")
            if not isinstance(delta, Mapping):
                return
            text = delta.get("text")
            if text is not None:
                if isinstance(text, str) and text:
                    self._text_piece(data.get("contentBlockIndex")).append(text)
                    self._text_len += len(text)
                    yield sdk.TextDelta(text)
                return
            tool_use = delta.get("toolUse")
            if isinstance(tool_use, Mapping):
                yield from self._tool_delta(data.get("contentBlockIndex"), tool_use.get("input"))
                return
            reasoning = delta.get("reasoningContent")
            if isinstance(reasoning, Mapping):
                yield from _reasoning_delta(reasoning)
                return
            citation = delta.get("citation")
            if isinstance(citation, Mapping):
                block = data.get("contentBlockIndex")
                cited = self._cited.get(block)
                if cited is None:
                    pieces = self._text_piece(block)  # the block's text, before and after this
                    cited = self._cited[block] = [self._text_start, pieces, []]
                cited[2].append(citation)
        elif name == "contentBlockStart":
            data = self._json(payload)
            start = data.get("start")
            tool_use = start.get("toolUse") if isinstance(start, Mapping) else None
            if isinstance(tool_use, Mapping):
                block = data.get("contentBlockIndex")
                if block not in self._blocks:
                    call_id, tool_name = str(tool_use.get("toolUseId") or ""), str(tool_use.get("name") or "")
                    yield from self._open(block, call_id, tool_name, tool_use.get("type") == "server_tool_use")
        elif name == "contentBlockStop":
            block = self._json(payload).get("contentBlockIndex")
            tool = self._blocks.get(block)  # type: ignore[arg-type]
            if tool is not None and not tool.ended:
                yield from self._close(tool)
            elif self._cited and block in self._cited:
                yield self._citation(self._cited.pop(block))
        elif name == "messageStop":
            reason = self._json(payload).get("stopReason")
            self._stop_reason = reason if isinstance(reason, str) else None
            self._stopped = True
        elif name == "metadata":
            data = self._json(payload)
            if "usage" in data:
                yield sdk.UsageEvent(usage(data["usage"]))
        # messageStart and unknown events carry nothing we need

    def _text_piece(self, block: Any) -> list[str]:
        """The pieces of text block ``block`` (text blocks come one after another)."""
        if block != self._text_block:
            self._text_block, self._text_start, self._text_pieces = block, self._text_len, []
        return self._text_pieces

    def _open(self, block: Any, call_id: str, name: str, server: bool = False) -> Iterator[sdk.StreamEvent]:
        json_answer = self.json_tool is not None and name == self.json_tool
        tool = _Tool(-1 if json_answer or server else self._tools, call_id, name, json_answer, server)
        self._blocks[block] = tool
        if not json_answer and not server:
            self._tools += 1
            yield sdk.ToolCallStart(tool.index, call_id, name)

    def _tool_delta(self, block: Any, fragment: Any) -> Iterator[sdk.StreamEvent]:
        tool = self._blocks.get(block)
        if tool is None:  # a fragment without its start: keep it rather than lose it
            yield from self._open(block, "", "")
            tool = self._blocks[block]
        if not isinstance(fragment, str) or not fragment or tool.server:
            return
        if tool.json_answer:
            self._text_len += len(fragment)
            yield sdk.TextDelta(fragment)
            return
        tool.fragments.append(fragment)
        yield sdk.ToolCallDelta(tool.index, fragment)

    def _close(self, tool: _Tool, final: bool = False) -> Iterator[sdk.StreamEvent]:
        """End a tool call. Arguments that do not parse are judged at the end of the stream
        (``final``), once the stop reason says whether the answer was cut short."""
        tool.ended = True
        if tool.json_answer or tool.server:
            return
        raw = "".join(tool.fragments)
        if final and tool.broken and self._stop_reason in _CUT:
            arguments = sdk.partial_object(raw)
        else:
            try:
                arguments = sdk.parse_arguments(raw, provider=self.provider, tool=tool.name)
            except sdk.MalformedResponseError:
                if final or self._stopped:
                    raise
                tool.broken = True
                return
        yield sdk.ToolCallEnd(tool.index, sdk.ToolCallPart(tool.id, tool.name, arguments))

    def _citation(self, cited: list[Any]) -> sdk.CitationEvent:
        start, pieces, sources = cited
        text = "".join(pieces)
        return sdk.CitationEvent(sdk.Citation(text, start, start + len(text), tuple(sources)))

    def close(self) -> Iterator[sdk.StreamEvent]:
        """The end of the body: close what is open and finish, or fail if the answer is cut short."""
        if not self._stopped:
            raise sdk.APIConnectionError(
                "the stream ended before messageStop (connection cut short)",
                provider=self.provider,
                request_id=self.headers.get("x-amzn-requestid"),
            )
        for tool in self._blocks.values():
            if not tool.ended or tool.broken:
                if self._stop_reason in _CUT:
                    tool.broken = True  # an unclosed call was cut too
                yield from self._close(tool, final=True)
        for cited in self._cited.values():
            yield self._citation(cited)
        self._cited.clear()
        reason = finish_reason(self._stop_reason, tool_calls=self._tools > 0, json_tool=self.json_tool)
        yield sdk.Finish(reason, self._stop_reason, self.model, self.headers.get("x-amzn-requestid"))


def _reasoning_delta(reasoning: Mapping[str, Any]) -> Iterator[sdk.ReasoningDelta]:
    # One member per delta on the wire; a delta with text and signature together is taken whole.
    text = reasoning.get("text")
    if isinstance(text, str) and text:
        yield sdk.ReasoningDelta(text)
    signature = reasoning.get("signature")
    if isinstance(signature, str) and signature:
        yield sdk.ReasoningDelta(signature=signature)
    redacted = reasoning.get("redactedContent")
    if isinstance(redacted, str):
        yield sdk.ReasoningDelta(redacted=redacted)
