"""Ollama chat answers, streamed (NDJSON lines) or not (one object), to unified events.

A non-streamed answer is the same object as the last streamed line with the whole message in it,
so one :class:`LineParser` serves both and ``generate`` equals the accumulated ``stream``.
Tool calls arrive whole (``{"function": {"index", "name", "arguments": {...}}, "id"?}``) in a
``done: false`` line; each becomes a start, one delta with the arguments as JSON text, and an end.
Calls without an id get a stable one derived from their position, name and arguments — the
parsed arguments, so the same call gets the same id whatever whitespace or key order the JSON text
had (a line and a whole body, or a proxy that re-serialises, may differ there). A call repeated with
the same id, name and arguments counts once; one that only shares its id with another (a server
that numbers ids per line) is still a call of its own.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from lluminary import sdk

from . import errors
from .config import NAME

DONE_REASONS: dict[str, sdk.FinishReason] = {
    "stop": "stop",
    "length": "length",
    "load": "stop",
    "unload": "stop",
}


#: The fields of a final object (and of an embed answer) that say what the call used: token
#: counts and durations in nanoseconds. Ollama has no usage object; these are its usage.
USAGE_SUFFIXES = ("_count", "_duration")


def usage_of(data: Mapping[str, Any]) -> sdk.Usage:
    """Tokens in and out (``prompt_eval_count``, ``eval_count``); ``details`` keeps every count
    and duration field of the object as it came (``total_duration``, ``load_duration``, ...)."""
    details = {key: value for key, value in data.items() if key.endswith(USAGE_SUFFIXES)}
    return sdk.Usage(
        input_tokens=_count(details.get("prompt_eval_count")),
        output_tokens=_count(details.get("eval_count")),
        details=details,
    )


def _count(value: Any) -> int:
    """A token count: a number, or digits in a string; anything else counts nothing."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0


_ARGUMENTS_KEY = re.compile(r'"arguments"\s*:\s*')
_DECODER = json.JSONDecoder()


def raw_json_of(text: str, value: Any, start: int = 0) -> tuple[str | None, int]:
    """The exact JSON text of the ``"arguments"`` value equal to ``value`` in ``text`` (a line or
    body as received), searching from ``start``; ``(None, start)`` when it cannot be found."""
    pos = start
    while True:
        found = _ARGUMENTS_KEY.search(text, pos)
        if found is None:
            return None, start
        try:
            decoded, end = _DECODER.raw_decode(text, found.end())
        except ValueError:
            pos = found.end()
            continue
        if decoded == value:
            return text[found.end() : end], end
        pos = found.end()


def canonical(arguments: Any) -> str:
    """Arguments as one JSON text, whatever the spacing or key order they came in."""
    return json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def synthetic_id(ordinal: int, name: str, arguments: Any) -> str:
    digest = hashlib.sha1(f"{name}\x00{canonical(arguments)}".encode()).hexdigest()[:12]
    return f"call_{ordinal}_{digest}"


class LineParser:
    __slots__ = ("_calls", "_seen_ids", "_raw", "_raw_pos", "done", "done_reason", "usage", "model")

    def __init__(self) -> None:
        self._calls = 0
        self._seen_ids: set[tuple[str, str, str]] = set()
        self._raw = ""
        self._raw_pos = 0
        self.done = False
        self.done_reason: str | None = None
        self.usage: sdk.Usage | None = None
        self.model = ""

    def line(self, data: Any, out: list[sdk.StreamEvent], raw: str = "") -> None:
        """One parsed line; ``raw`` is its text, from which tool-call arguments are quoted exactly."""
        if not isinstance(data, dict):
            raise sdk.MalformedResponseError(f"expected a JSON object, got {type(data).__name__}", provider=NAME)
        if "error" in data:
            raise errors.from_stream_error(data["error"])
        if not self.model and data.get("model"):
            self.model = str(data["model"])
        message = data.get("message")
        if isinstance(message, dict):
            thinking = message.get("thinking")
            if thinking:
                out.append(sdk.ReasoningDelta(str(thinking)))
            content = message.get("content")
            if content:
                out.append(sdk.TextDelta(str(content)))
            calls = message.get("tool_calls")
            if calls:
                self._raw, self._raw_pos = raw, 0
                for call in calls:
                    if isinstance(call, dict):
                        self._tool(call, out)
        if data.get("done"):
            self.done = True
            reason = data.get("done_reason")
            self.done_reason = str(reason) if reason else None
            self.usage = usage_of(data)

    def _tool(self, call: dict[str, Any], out: list[sdk.StreamEvent]) -> None:
        function = call.get("function") if isinstance(call.get("function"), dict) else {}
        assert isinstance(function, dict)
        name = str(function.get("name") or "")
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            text = arguments
            parsed = sdk.parse_arguments(arguments, provider=NAME, tool=name)
        elif isinstance(arguments, dict):
            quoted, self._raw_pos = raw_json_of(self._raw, arguments, self._raw_pos) if self._raw else (None, 0)
            text = quoted if quoted is not None else json.dumps(arguments, ensure_ascii=False)
            parsed = arguments
        elif arguments is None:
            text, parsed = "", {}
        else:
            error = sdk.MalformedResponseError(
                f"tool call {name!r} arguments are not a JSON object: {arguments!r:.200}", provider=NAME
            )
            error.raw_arguments = json.dumps(arguments, ensure_ascii=False)
            raise error
        raw_id = call.get("id")
        call_id = str(raw_id) if raw_id else synthetic_id(self._calls, name, parsed)
        if raw_id:
            seen = (call_id, name, canonical(parsed))
            if seen in self._seen_ids:
                return  # the same call repeated
            self._seen_ids.add(seen)
        index = self._calls
        self._calls += 1
        out.append(sdk.ToolCallStart(index, call_id, name))
        if text:
            out.append(sdk.ToolCallDelta(index, text))
        out.append(sdk.ToolCallEnd(index, sdk.ToolCallPart(call_id, name, dict(parsed))))

    def finish(self, out: list[sdk.StreamEvent]) -> None:
        raw = self.done_reason
        reason: sdk.FinishReason = DONE_REASONS.get(raw, "other") if raw else "stop"
        reason = sdk.finish_reason_of(self._calls > 0, reason)
        out.append(sdk.UsageEvent(self.usage or sdk.Usage()))
        out.append(sdk.Finish(reason, raw, self.model, None))
