"""Responses API objects and stream events → lluminary responses and stream events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lluminary import sdk

from .errors import stream_error
from .finish import response_finish
from .parts import add_text, url_citation
from .usage import response_usage

_NONE: Sequence[sdk.StreamEvent] = ()


def reasoning_of(item: Mapping[str, Any], provider: str) -> sdk.ReasoningPart | None:
    """A ``reasoning`` output item as a part: its summary text (several summary parts are
    paragraphs, joined by a blank line), else its ``reasoning_text`` content (gpt-oss on vLLM,
    Ollama, OpenRouter), and its encrypted content."""
    texts = [s.get("text") for s in item.get("summary") or () if isinstance(s, Mapping)]
    if not any(texts):
        texts = [
            c.get("text")
            for c in item.get("content") or ()
            if isinstance(c, Mapping) and c.get("type") == "reasoning_text"
        ]
    text = "\n\n".join(t for t in texts if isinstance(t, str) and t)
    encrypted = item.get("encrypted_content")
    if not text and not encrypted:
        return None
    return sdk.ReasoningPart(text, None, encrypted or None, provider, item.get("id"))


def message_pieces(item: Mapping[str, Any]) -> list[tuple[str, bool, Any]]:
    """``(text, is_refusal, annotations)`` of each content part of a ``message`` output item."""
    pieces: list[tuple[str, bool, Any]] = []
    for content in item.get("content") or ():
        if not isinstance(content, Mapping):
            continue
        ctype = content.get("type")
        if ctype == "output_text":
            pieces.append((content.get("text") or "", False, content.get("annotations")))
        elif ctype == "refusal":
            pieces.append((content.get("refusal") or "", True, None))
    return pieces


def citations_of(pieces: list[tuple[str, bool, Any]], offset: int, seen: list[sdk.Citation]) -> list[sdk.Citation]:
    """The url citations of a message's parts (``offset``: where its text starts in the answer),
    leaving out those already in ``seen``, which it extends."""
    found: list[sdk.Citation] = []
    for text, _, notes in pieces:
        if notes and isinstance(notes, list):
            for annotation in notes:
                citation = url_citation(annotation, text, offset)
                if citation is not None and citation not in seen:
                    seen.append(citation)
                    found.append(citation)
        offset += len(text)
    return found


def parse_response(data: Any, *, provider: str, request_id: str | None = None) -> sdk.ChatResponse:
    """A finished ``response`` object."""
    if not isinstance(data, Mapping):
        raise sdk.MalformedResponseError(f"expected a response object, got {type(data).__name__}", provider=provider)
    status = data.get("status")
    if status == "failed":
        raise stream_error(data.get("error") or {}, provider, request_id)
    parts: list[sdk.Part] = []
    citations: list[sdk.Citation] = []
    refused = False
    calls = 0
    text_length = 0
    for item in data.get("output") or ():
        kind = item.get("type")
        if kind == "message":
            pieces = message_pieces(item)
            citations_of(pieces, text_length, citations)
            for text, is_refusal, _ in pieces:
                refused = refused or is_refusal
                add_text(parts, text)
                text_length += len(text)
        elif kind == "function_call":
            name = item.get("name") or ""
            arguments = sdk.parse_arguments(item.get("arguments") or "", provider=provider, tool=name)
            parts.append(sdk.ToolCallPart(item.get("call_id") or item.get("id") or "", name, arguments))
            calls += 1
        elif kind == "reasoning":
            part = reasoning_of(item, provider)
            if part is not None:
                parts.append(part)
    incomplete = (data.get("incomplete_details") or {}).get("reason")
    return sdk.ChatResponse(
        message=sdk.Message("assistant", tuple(parts)),
        finish_reason=response_finish(status, incomplete, tool_calls=calls > 0, refused=refused),
        raw_finish_reason="refusal" if refused else (incomplete or status),
        usage=response_usage(data.get("usage")),
        model=data.get("model") or "",
        provider=provider,
        id=data.get("id"),
        citations=tuple(citations),
    )


class _Call:
    __slots__ = ("index", "call_id", "name", "streamed", "ended")

    def __init__(self, index: int, call_id: str, name: str) -> None:
        self.index = index
        self.call_id = call_id
        self.name = name
        self.streamed = False
        self.ended = False


class ResponsesStreamParser:
    """Feed it each event's data object; call :meth:`close` at the end of the body.

    Reasoning is emitted once its item is done, as one :class:`ReasoningDelta` holding the summary
    and the encrypted content, so that the accumulated stream equals the non-streamed answer.
    Function calls are found by item id, call id or output index (GitHub Copilot's Responses API
    gives every event a new item id). What the events never carried (a server that streams only
    some of the answer) is taken from the final response object.
    """

    __slots__ = (
        "provider",
        "request_id",
        "_calls",
        "_by_output",
        "_refused",
        "_text",
        "_text_length",
        "_citations",
        "_reasoning",
        "_finish",
        "done",
    )

    def __init__(self, provider: str, request_id: str | None = None) -> None:
        self.provider = provider
        self.request_id = request_id
        self._calls: dict[str, _Call] = {}
        self._by_output: dict[Any, _Call] = {}
        self._refused = False
        self._text = False  # text was streamed
        self._text_length = 0  # characters of text so far, where a message's citations start
        self._citations: list[sdk.Citation] = []
        self._reasoning = False  # reasoning was emitted
        self._finish: sdk.Finish | None = None
        self.done = False  # a ``data: [DONE]`` (not sent by OpenAI here, by some compatible servers)

    def feed(self, data: Any) -> Sequence[sdk.StreamEvent]:
        if type(data) is not dict:
            raise sdk.MalformedResponseError(
                f"a stream event is not a JSON object: {data!r:.200}", provider=self.provider
            )
        kind = data.get("type")
        if kind == "response.output_text.delta":
            return self._text_delta(data.get("delta"))
        if kind == "response.function_call_arguments.delta":
            call = self._call(data.get("item_id"), None, data.get("output_index"))
            delta = data.get("delta")
            if call is None or not delta or call.ended:
                return _NONE
            call.streamed = True
            return [sdk.ToolCallDelta(call.index, delta)]
        if kind == "response.output_item.added":
            item = data.get("item") or {}
            if item.get("type") == "function_call":
                call = self._open(item, data.get("output_index"))
                return [sdk.ToolCallStart(call.index, call.call_id, call.name)]
            return _NONE
        if kind == "response.output_item.done":
            return self._item_done(data.get("item") or {}, data.get("output_index"))
        if kind == "response.refusal.delta":
            self._refused = True
            return self._text_delta(data.get("delta"))
        if kind in ("response.completed", "response.incomplete"):
            return self._completed(data.get("response") or {})
        if kind == "response.failed":
            response = data.get("response") or {}
            raise stream_error(response.get("error") or {}, self.provider, self.request_id)
        if kind == "error":
            # The error is the event itself ({"type": "error", "code", "message"}) or, as recorded
            # from the API, nested in it ({"type": "error", "error": {"type", "code", "message"}}).
            error = data.get("error")
            raise stream_error(error if isinstance(error, Mapping) else data, self.provider, self.request_id)
        return _NONE

    def _call(self, item_id: Any, call_id: Any, output_index: Any) -> _Call | None:
        calls = self._calls
        call = (calls.get(item_id) if item_id else None) or (calls.get(call_id) if call_id else None)
        if call is None and output_index is not None:
            call = self._by_output.get(output_index)
        return call

    def _open(self, item: Mapping[str, Any], output_index: Any) -> _Call:
        call = _Call(len(self._by_output), item.get("call_id") or item.get("id") or "", item.get("name") or "")
        for key in (item.get("id"), call.call_id):
            if key:
                self._calls.setdefault(key, call)
        self._by_output[output_index if output_index is not None else ("call", call.index)] = call
        return call

    def _text_delta(self, delta: Any) -> Sequence[sdk.StreamEvent]:
        if not delta:
            return _NONE
        self._text = True
        self._text_length += len(delta)
        return [sdk.TextDelta(delta)]

    def _item_done(self, item: Mapping[str, Any], output_index: Any) -> Sequence[sdk.StreamEvent]:
        kind = item.get("type")
        if kind == "function_call":
            call = self._call(item.get("id"), item.get("call_id"), output_index)
            out: list[sdk.StreamEvent] = []
            if call is None:  # done without added: start it now
                call = self._open(item, output_index)
                out.append(sdk.ToolCallStart(call.index, call.call_id, call.name))
            elif call.ended:
                return _NONE
            raw = item.get("arguments") or ""
            if raw and not call.streamed:
                out.append(sdk.ToolCallDelta(call.index, raw))
            call.ended = True
            arguments = sdk.parse_arguments(raw, provider=self.provider, tool=call.name)
            out.append(sdk.ToolCallEnd(call.index, sdk.ToolCallPart(call.call_id, call.name, arguments)))
            return out
        if kind == "reasoning":
            part = reasoning_of(item, self.provider)
            if part is None:
                return _NONE
            self._reasoning = True
            return [sdk.ReasoningDelta(part.text, None, part.redacted, part.id)]
        if kind == "message":  # its text was streamed: its citations come with the whole item
            pieces = message_pieces(item)
            start = max(self._text_length - sum(len(text) for text, _, _ in pieces), 0)
            return [sdk.CitationEvent(c) for c in citations_of(pieces, start, self._citations)]
        return _NONE

    def _completed(self, response: Mapping[str, Any]) -> Sequence[sdk.StreamEvent]:
        out = self._missing(response.get("output") or ())
        status = response.get("status")
        incomplete = (response.get("incomplete_details") or {}).get("reason")
        reason = response_finish(status, incomplete, tool_calls=bool(self._by_output), refused=self._refused)
        raw = "refusal" if self._refused else (incomplete or status)
        self._finish = sdk.Finish(reason, raw, response.get("model") or "", response.get("id"))
        usage = response.get("usage")
        if usage and isinstance(usage, Mapping):
            out.append(sdk.UsageEvent(response_usage(usage)))
        return out

    def _missing(self, output: Any) -> list[sdk.StreamEvent]:
        """Events for what the final ``output`` holds and no event carried: text when no text was
        streamed, reasoning when none was emitted, function calls when none were announced."""
        out: list[sdk.StreamEvent] = []
        if not isinstance(output, list) or (self._text and self._reasoning and self._by_output):
            return out
        text, reasoning, calls = not self._text, not self._reasoning, not self._by_output
        for index, item in enumerate(output):
            if not isinstance(item, Mapping):
                continue
            kind = item.get("type")
            if kind == "message" and text:
                pieces = message_pieces(item)
                for piece, is_refusal, _ in pieces:
                    self._refused = self._refused or is_refusal
                    if piece:
                        self._text = True
                        self._text_length += len(piece)
                        out.append(sdk.TextDelta(piece))
                out.extend(self._item_done(item, None))
            elif kind == "reasoning" and reasoning:
                out.extend(self._item_done(item, None))
            elif kind == "function_call" and calls:
                out.extend(self._item_done(item, ("final", index)))
        return out

    def close(self) -> Sequence[sdk.StreamEvent]:
        if self._finish is None:
            raise sdk.APIConnectionError(
                "the stream ended before the response completed (no response.completed event)",
                provider=self.provider,
                request_id=self.request_id,
            )
        return [self._finish]
