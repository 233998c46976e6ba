"""Anthropic server-sent events → unified stream events.

One :class:`StreamParser` per stream. :meth:`StreamParser.handle` takes one decoded SSE frame,
parses its JSON once, and returns nothing, one event, or (rarely) a tuple of events — no list or
generator per frame. Every event type is handled:

* ``message_start`` — id, model, the input side of usage, and any content (and stop reason) the
  message already has: a programmatic tool call resumed from code execution arrives as a
  ``message_start`` whose ``content`` holds the finished ``tool_use`` blocks, then ``message_stop``.
  A repeated ``message_start`` for the same id is ignored; one for another id while a message is
  open is a spliced stream (two generations in one body) and an error;
* ``content_block_start`` — ``text``, ``thinking``, ``redacted_thinking`` (a whole encrypted
  block), ``tool_use`` (→ :class:`ToolCallStart` whose index counts tool calls, not content
  blocks); ``fallback`` (another model took over) renames the answer's model; server-tool and
  unknown block types are skipped with their deltas;
* ``content_block_delta`` — ``text_delta``, ``input_json_delta`` (the raw fragment; the first is
  often empty and is not forwarded), ``thinking_delta``, ``signature_delta`` (closes the
  reasoning block), ``citations_delta`` (kept and emitted as a :class:`CitationEvent` when the
  cited text block ends), unknown delta types ignored;
* ``content_block_stop`` — a tool call's arguments are parsed here (:class:`ToolCallEnd`);
* ``message_delta`` — stop reason and the *cumulative* usage (:class:`UsageEvent`);
* ``message_stop`` — :class:`Finish`. Blocks still open are closed first: with fine-grained tool
  streaming a ``max_tokens`` stop can cut a tool call's JSON mid-value and never send its
  ``content_block_stop``; its arguments are then what was complete so far (:func:`partial_object`);
* ``ping`` — skipped without parsing;
* ``error`` — raised as the typed error; any other event type — ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lluminary import sdk

from .errors import stream_error
from .payload import Plan
from .response import citation_from, finish_reason

_TEXT, _THINKING, _TOOL, _JSON, _SKIP = range(5)


class StreamParser:
    """The state of one streamed message."""

    __slots__ = (
        "provider",
        "plan",
        "request_id",
        "_blocks",
        "_tools",
        "_text_len",
        "_id",
        "_model",
        "_stop",
        "_input",
        "_read",
        "_write",
        "_output",
        "_thinking",
        "_raw_usage",
        "_usage_sent",
        "started",
        "done",
    )

    def __init__(self, provider: str, plan: Plan, request_id: str | None = None) -> None:
        self.provider = provider
        self.plan = plan
        self.request_id = request_id
        # content-block index -> state: [_TEXT, start offset, pieces | None, citations | None]
        # | [_THINKING] | [_TOOL, ordinal, id, name, fragments, start input] | [_JSON, fragments, start input] | [_SKIP]
        self._blocks: dict[int, list[Any]] = {}
        self._tools = 0
        self._text_len = 0
        self._id: str | None = None
        self._model = ""
        self._stop: str | None = None
        self._input = self._read = self._write = self._output = self._thinking = 0
        self._raw_usage: dict[str, Any] = {}  # the usage object as the final message would hold it
        self._usage_sent = False
        self.started = False
        self.done = False

    # ------------------------------------------------------------------ frames

    def handle(self, frame: sdk.SSEEvent) -> Any:
        """The unified event(s) for one SSE frame: None, one event, or a tuple of events."""
        if frame.event == "ping" or self.done:
            return None
        raw = frame.data
        if not raw or raw == "[DONE]":
            return None
        try:
            data = sdk.loads(raw)
        except ValueError:
            raise sdk.MalformedResponseError(
                f"invalid JSON in a {frame.event!r} event: {raw[:200]!r}", provider=self.provider
            ) from None
        if type(data) is not dict:
            raise sdk.MalformedResponseError(
                f"a {frame.event!r} event is not an object: {raw[:200]!r}", provider=self.provider
            )
        kind = data.get("type") or frame.event
        if kind == "content_block_delta":
            return self._delta(data)
        if kind == "content_block_start":
            return self._start(data)
        if kind == "content_block_stop":
            return self._stop_block(data.get("index", -1))
        if kind == "message_start":
            return self._message_start(data)
        if kind == "message_delta":
            return self._message_delta(data)
        if kind == "message_stop":
            return self._message_stop()
        if kind == "error":
            raise stream_error(data, self.provider, self.request_id)
        return None  # ping, or an event type this version does not know

    def end(self, pending: bool = False) -> None:
        """The body ended: without ``message_stop`` the answer is incomplete, which is an error."""
        if self.done:
            return
        where = "before any event" if not self.started else "before message_stop"
        detail = " (mid-event)" if pending else ""
        raise sdk.APIConnectionError(
            f"the stream ended {where}{detail}: the answer is incomplete", provider=self.provider
        )

    # ------------------------------------------------------------------ message

    def _message_start(self, data: dict[str, Any]) -> Any:
        message = data.get("message")
        if not isinstance(message, Mapping):
            self.started = True
            return None
        if self.started:
            if not self._id or not message.get("id") or message.get("id") == self._id:
                return None  # the same message announced twice: nothing new
            raise sdk.MalformedResponseError(
                f"message {message.get('id')!r} started while message {self._id!r} was still open"
                " (two generations spliced into one stream)",
                provider=self.provider,
                request_id=self.request_id,
            )
        self.started = True
        self._id = message.get("id")
        self._model = str(message.get("model") or "")
        usage = message.get("usage")
        if isinstance(usage, Mapping):
            self._take_usage(usage)
        if message.get("stop_reason") is not None:
            self._stop = message["stop_reason"]
        content = message.get("content")
        if not content or not isinstance(content, list):
            return None
        # Blocks the message already holds: each is started and stopped at once.
        events: list[Any] = []
        for index, block in enumerate(content):
            for out in (self._start({"index": -1 - index, "content_block": block}), self._stop_block(-1 - index)):
                if type(out) is tuple:
                    events.extend(out)
                elif out is not None:
                    events.append(out)
        return tuple(events) or None

    def _take_usage(self, usage: Mapping[str, Any]) -> None:
        # Every counter is cumulative: a later value replaces an earlier one (a null in a later
        # usage leaves the earlier value, as the final message's usage would show it).
        raw = self._raw_usage
        for key, value in usage.items():
            if value is not None or key not in raw:
                raw[key] = value
        value = usage.get("input_tokens")
        if type(value) is int:
            self._input = value
        value = usage.get("cache_read_input_tokens")
        if type(value) is int:
            self._read = value
        value = usage.get("cache_creation_input_tokens")
        if type(value) is int:
            self._write = value
        value = usage.get("output_tokens")
        if type(value) is int:
            self._output = value
        details = usage.get("output_tokens_details")
        if isinstance(details, Mapping) and type(details.get("thinking_tokens")) is int:
            self._thinking = details["thinking_tokens"]

    def usage(self) -> sdk.Usage:
        read, write = self._read, self._write
        details = dict(self._raw_usage)
        return sdk.Usage(self._input + read + write, self._output, read, write, self._thinking, details)

    def _message_delta(self, data: dict[str, Any]) -> sdk.UsageEvent:
        delta = data.get("delta")
        if isinstance(delta, Mapping) and delta.get("stop_reason") is not None:
            self._stop = delta["stop_reason"]
        usage = data.get("usage")
        if isinstance(usage, Mapping):
            self._take_usage(usage)
        self._usage_sent = True
        return sdk.UsageEvent(self.usage())

    def _message_stop(self) -> Any:
        self.done = True
        events: list[Any] = []
        for index in list(self._blocks):  # blocks never stopped (an answer cut by max_tokens)
            out = self._stop_block(index, cut=True)
            if out is not None:
                events.append(out)
        if not self._usage_sent:
            events.append(sdk.UsageEvent(self.usage()))
        reason = finish_reason(self._stop, self.plan, self._tools > 0)
        events.append(sdk.Finish(reason, self._stop, self._model, self._id))
        return events[0] if len(events) == 1 else tuple(events)

    # ------------------------------------------------------------------ content blocks

    def _start(self, data: dict[str, Any]) -> Any:
        index = data.get("index", -1)
        block = data.get("content_block")
        kind = block.get("type") if isinstance(block, Mapping) else None
        if kind == "text":
            cited = block.get("citations")  # type: ignore[union-attr]
            state: list[Any] = [_TEXT, self._text_len, [] if cited is not None else None, list(cited or ()) or None]
            self._blocks[index] = state
            text = block.get("text")  # type: ignore[union-attr]
            return self._text(state, text) if text else None
        if kind == "tool_use":
            assert isinstance(block, Mapping)
            name = str(block.get("name") or "")
            start_input = block.get("input")
            if name == self.plan.json_tool and self.plan.json_tool is not None:
                self._blocks[index] = [_JSON, [], start_input]
                return None
            ordinal = self._tools
            self._tools += 1
            call_id = str(block.get("id") or "")
            self._blocks[index] = [_TOOL, ordinal, call_id, name, [], start_input]
            return sdk.ToolCallStart(ordinal, call_id, name)
        if kind == "thinking":
            assert isinstance(block, Mapping)
            self._blocks[index] = [_THINKING]
            thought = block.get("thinking") or ""
            signature = block.get("signature") or None
            return sdk.ReasoningDelta(thought, signature) if thought or signature else None
        if kind == "redacted_thinking":
            assert isinstance(block, Mapping)
            self._blocks[index] = [_THINKING]
            return sdk.ReasoningDelta("", None, str(block.get("data") or ""))
        if kind == "fallback":  # the rest of the answer comes from another model
            assert isinstance(block, Mapping)
            target = block.get("to")
            model = target.get("model") if isinstance(target, Mapping) else None
            if isinstance(model, str) and model:
                self._model = model
        self._blocks[index] = [_SKIP]  # server_tool_use, web_search_tool_result, ...
        return None

    def _text(self, state: list[Any] | None, text: str) -> sdk.TextDelta:
        self._text_len += len(text)
        if state is not None and state[2] is not None:
            state[2].append(text)
        return sdk.TextDelta(text)

    def _delta(self, data: dict[str, Any]) -> Any:
        delta = data.get("delta")
        if type(delta) is not dict:
            return None
        kind = delta.get("type")
        if kind == "text_delta":
            text = delta.get("text")
            if not text:
                return None
            state = self._blocks.get(data.get("index", -1))
            if state is not None and state[0] is _JSON:  # a proxy that sends the answer as text
                state[1].append(text)
            return self._text(state, text)
        if kind == "input_json_delta":
            fragment = delta.get("partial_json")
            if not fragment:
                return None  # the first fragment is usually ""
            state = self._blocks.get(data.get("index", -1))
            if state is None:
                return None
            tag = state[0]
            if tag is _TOOL:
                state[4].append(fragment)
                return sdk.ToolCallDelta(state[1], fragment)
            if tag is _JSON:
                state[1].append(fragment)
                return self._text(None, fragment)
            return None
        if kind == "thinking_delta":
            thought = delta.get("thinking")
            return sdk.ReasoningDelta(thought) if thought else None
        if kind == "signature_delta":
            signature = delta.get("signature")
            return sdk.ReasoningDelta("", signature) if signature else None
        if kind == "citations_delta":
            state = self._blocks.get(data.get("index", -1))
            citation = delta.get("citation")
            if state is not None and state[0] is _TEXT and isinstance(citation, Mapping):
                if state[3] is None:
                    state[3] = []
                if state[2] is None:
                    state[2] = []
                state[3].append(citation)
            return None
        return None  # a delta type this version does not know

    def _stop_block(self, index: Any, cut: bool = False) -> Any:
        """Close a content block; ``cut``: the message ended without closing it."""
        state = self._blocks.pop(index, None)
        if state is None:
            return None
        tag = state[0]
        if tag is _TOOL:
            _tag, ordinal, call_id, name, fragments, start_input = state
            if fragments and cut:
                arguments = sdk.partial_object("".join(fragments))
            elif fragments:
                arguments = sdk.parse_arguments("".join(fragments), provider=self.provider, tool=name)
            elif isinstance(start_input, Mapping):
                arguments = dict(start_input)
            else:
                arguments = {}
            return sdk.ToolCallEnd(ordinal, sdk.ToolCallPart(call_id, name, arguments))
        if tag is _TEXT and state[3]:
            return sdk.CitationEvent(citation_from("".join(state[2] or ()), state[1], state[3]))
        if tag is _JSON and not state[1] and isinstance(state[2], Mapping) and state[2]:
            return self._text(None, json.dumps(state[2], ensure_ascii=False))
        return None
