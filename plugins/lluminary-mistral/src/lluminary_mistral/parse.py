"""Mistral chat answers, streamed or not, to unified events.

One :class:`ChunkParser` serves both paths: a non-streamed response is parsed as a single chunk whose
``message`` is the whole delta, so ``generate`` returns exactly what accumulating ``stream`` gives.

Mistral sends each tool call whole in one delta, with ``arguments`` as a JSON object or a JSON
string; both become a ``ToolCallStart``, one ``ToolCallDelta`` holding the arguments as JSON text,
and a ``ToolCallEnd``. Fragmented arguments (OpenAI-style, from Mistral-compatible servers) are
also understood: a call stays open until its text parses as a JSON object or the answer ends;
continuation fragments may lack the id (or carry ``"null"``) and the index, and a server that
resends the whole text so far on every fragment is read for what is new in each.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from lluminary import sdk

from .config import NAME

FINISH_REASONS: dict[str, sdk.FinishReason] = {
    "stop": "stop",
    "length": "length",
    "model_length": "length",
    "tool_calls": "tool_calls",
    "error": "error",
    "content_filter": "content_filter",
}


def usage_of(data: Any) -> sdk.Usage | None:
    """Usage from Mistral's ``usage`` object; cached prompt tokens come as
    ``prompt_tokens_details.cached_tokens`` (or the older ``prompt_token_details`` /
    ``num_cached_tokens``) and are part of ``prompt_tokens``. ``details`` keeps the object as it
    came; None when it is not an object."""
    if not isinstance(data, dict):
        return None
    cached = 0
    for key in ("prompt_tokens_details", "prompt_token_details"):
        details = data.get(key)
        if isinstance(details, dict) and details.get("cached_tokens"):
            cached = int(details["cached_tokens"])
            break
    else:
        cached = int(data.get("num_cached_tokens") or 0)
    return sdk.Usage(
        input_tokens=int(data.get("prompt_tokens") or 0),
        output_tokens=int(data.get("completion_tokens") or 0),
        cache_read_tokens=cached,
        details=dict(data),
    )


def synthetic_id(ordinal: int, name: str, arguments: str) -> str:
    """A stable id for a tool call the server sent without one: the same answer gets the same id,
    streamed or not."""
    digest = hashlib.sha1(f"{name}\x00{arguments}".encode()).hexdigest()[:12]
    return f"call_{ordinal}_{digest}"


class _Call:
    __slots__ = ("ordinal", "id", "name", "wire_index", "buffer", "size", "ended")

    def __init__(self, ordinal: int, call_id: str, name: str, wire_index: Any) -> None:
        self.ordinal = ordinal
        self.id = call_id
        self.name = name
        self.wire_index = wire_index
        self.buffer: list[str] = []
        self.size = 0
        self.ended = False

    def add(self, fragment: str) -> dict[str, Any] | None:
        """Add an arguments fragment; the arguments once they are a whole JSON object."""
        self.buffer.append(fragment)
        self.size += len(fragment)
        if fragment.rstrip()[-1:] not in ("}", '"'):
            return None  # cannot have just completed an object: spare the join and the parse
        return _complete_object("".join(self.buffer))


class ChunkParser:
    """Feeds chunks in, appends events to the list it is given."""

    __slots__ = ("_calls", "_by_id", "_open", "finish_raw", "usage", "model", "id", "seen_choice")

    def __init__(self) -> None:
        self._calls: list[_Call] = []
        self._by_id: dict[str, _Call] = {}
        self._open: list[_Call] = []
        self.finish_raw: str | None = None
        self.usage: sdk.Usage | None = None
        self.model = ""
        self.id: str | None = None
        self.seen_choice = False

    # ---- input

    def chunk(self, data: Any, out: list[sdk.StreamEvent], *, delta_key: str = "delta") -> None:
        """One parsed chunk (``delta_key="message"`` for a non-streamed response)."""
        if not isinstance(data, dict):
            raise sdk.MalformedResponseError(f"expected a JSON object, got {type(data).__name__}", provider=NAME)
        if not self.id and data.get("id"):
            self.id = str(data["id"])
        if not self.model and data.get("model"):
            self.model = str(data["model"])
        usage = data.get("usage")
        if usage:
            parsed = usage_of(usage)
            if parsed is not None:
                self.usage = parsed
        choices = data.get("choices")
        if not choices:
            return
        choice = choices[0]
        if not isinstance(choice, dict):
            return
        self.seen_choice = True
        delta = choice.get(delta_key)
        if isinstance(delta, dict):
            content = delta.get("content")
            if content:
                self._content(content, out)
            calls = delta.get("tool_calls")
            if calls:
                for entry in calls:
                    if isinstance(entry, dict):
                        self._tool(entry, out)
        reason = choice.get("finish_reason")
        if reason:
            self.finish_raw = str(reason)

    def _content(self, content: Any, out: list[sdk.StreamEvent]) -> None:
        if isinstance(content, str):
            out.append(sdk.TextDelta(content))
            return
        if not isinstance(content, list):
            return
        for chunk in content:
            if not isinstance(chunk, dict):
                continue
            kind = chunk.get("type")
            if kind == "text":
                text = chunk.get("text")
                if text:
                    out.append(sdk.TextDelta(text))
            elif kind == "thinking":
                inner = chunk.get("thinking")
                if isinstance(inner, str):
                    if inner:
                        out.append(sdk.ReasoningDelta(inner))
                elif isinstance(inner, list):
                    out.extend(
                        sdk.ReasoningDelta(piece["text"])
                        for piece in inner
                        if isinstance(piece, dict) and piece.get("type", "text") == "text" and piece.get("text")
                    )
            # image_url, reference, document_url, ...: not part of an answer we can represent

    def _tool(self, entry: dict[str, Any], out: list[sdk.StreamEvent]) -> None:
        function = entry.get("function")
        if not isinstance(function, dict):
            function = {}
        raw_id = entry.get("id")
        call_id = str(raw_id) if raw_id not in (None, "", "null") else None
        name = function.get("name") or ""
        arguments = function.get("arguments")
        if arguments is not None and not isinstance(arguments, (str, dict)):
            # A JSON value that is not an object (a list, a number): kept as its text, which
            # sdk.parse_arguments rejects with a MalformedResponseError holding it when the call ends.
            arguments = sdk.dumps_str(arguments)
        wire_index = entry.get("index")
        call: _Call | None = None
        if call_id is not None:
            call = self._by_id.get(call_id)
            if call is not None and call.ended:
                return  # the same whole call sent again: already complete
        elif self._open:
            # A fragment without id continues the open call of its index; one without index too
            # (some servers put the index on a call's first fragment only).
            call = next(
                (c for c in reversed(self._open) if wire_index is None or c.wire_index in (None, wire_index)), None
            )
        if call is None:
            if isinstance(arguments, dict):
                text = json.dumps(arguments, ensure_ascii=False)
            else:
                text = arguments if isinstance(arguments, str) else ""
            ordinal = len(self._calls)
            call = _Call(ordinal, call_id or synthetic_id(ordinal, name, text), name, wire_index)
            self._calls.append(call)
            self._by_id[call.id] = call
            self._open.append(call)
            out.append(sdk.ToolCallStart(ordinal, call.id, name))
        elif name and not call.name:
            call.name = name
        if isinstance(arguments, dict):
            text = json.dumps(arguments, ensure_ascii=False)
            out.append(sdk.ToolCallDelta(call.ordinal, text))
            self._end(call, dict(arguments), out)
        elif isinstance(arguments, str) and arguments:
            if call.size and len(arguments) >= call.size:
                # Some OpenAI-compatible servers send the whole text so far on every fragment:
                # keep only what is new.
                so_far = "".join(call.buffer)
                if arguments.startswith(so_far) and _complete_object(so_far + arguments) is None:
                    arguments = arguments[call.size :]
                    if not arguments:
                        return
            out.append(sdk.ToolCallDelta(call.ordinal, arguments))
            parsed = call.add(arguments)
            if parsed is not None:
                self._end(call, parsed, out)

    def _end(self, call: _Call, arguments: dict[str, Any], out: list[sdk.StreamEvent]) -> None:
        call.ended = True
        self._open.remove(call)
        out.append(sdk.ToolCallEnd(call.ordinal, sdk.ToolCallPart(call.id, call.name, arguments)))

    # ---- output

    def finish(self, out: list[sdk.StreamEvent]) -> None:
        """Close what is open and append the usage and the finish event."""
        for call in list(self._open):
            raw = "".join(call.buffer)
            arguments = _complete_object(raw)
            if arguments is None:
                arguments = sdk.parse_arguments(raw, provider=NAME, tool=call.name)
            self._end(call, arguments, out)
        raw_reason = self.finish_raw
        reason: sdk.FinishReason = FINISH_REASONS.get(raw_reason, "other") if raw_reason else "other"
        reason = sdk.finish_reason_of(bool(self._calls), reason)
        out.append(sdk.UsageEvent(self.usage or sdk.Usage()))
        out.append(sdk.Finish(reason, raw_reason, self.model, self.id))


def _complete_object(text: str) -> dict[str, Any] | None:
    """``text`` as a JSON object if it is one already (also when double-encoded), else None."""
    if not text or text.rstrip()[-1:] not in ("}", '"'):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, str):  # arguments JSON-encoded twice
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None
