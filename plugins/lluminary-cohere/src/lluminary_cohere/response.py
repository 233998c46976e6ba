"""What a ``/v2/chat`` answer means in unified terms: finish reasons, usage, citations, tool-call
arguments, and a non-streamed body as the events its stream would have produced.

``generate`` accumulates :func:`events_from_body`, so a generated response and an accumulated
stream of the same answer are built by the same code and compare equal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from lluminary import sdk

PROVIDER = "cohere"

FINISH_REASONS: dict[str, sdk.FinishReason] = {
    "COMPLETE": "stop",
    "STOP_SEQUENCE": "stop",
    "MAX_TOKENS": "length",
    "TOOL_CALL": "tool_calls",
    "ERROR": "error",
    "TIMEOUT": "error",
    # API v1's extra values; v2 documents none of them, but a deployment that still sends one
    # (a safety stop above all) must not be misread.
    "ERROR_TOXIC": "content_filter",
    "ERROR_LIMIT": "length",
    "USER_CANCEL": "other",
}


def finish_reason(raw: str | None, *, has_tool_calls: bool) -> sdk.FinishReason:
    if raw is None:
        return "tool_calls" if has_tool_calls else "stop"
    return sdk.finish_reason_of(has_tool_calls, FINISH_REASONS.get(raw.upper(), "other"))


#: Keys of an embed answer's ``meta`` that are about the API, not usage: left out of ``details``.
NOT_USAGE_KEYS = ("api_version", "warnings")


def usage(raw: Any) -> sdk.Usage:
    """The usage that prices the call: Cohere's ``billed_units`` (what the bill counts), else
    ``tokens`` when an answer has no billed units. ``tokens`` also counts the prompt template
    Cohere wraps every request in (66 tokens for a bare prompt in the API reference's example)
    and is not billed; it stays in ``details`` with the rest of the usage object as it came (``usage``
    of a chat answer, ``meta`` of an embed answer without its API version and warnings).
    ``cached_tokens`` is the cache-read part of the input, capped at the billed input: Cohere
    counts it over the whole templated prompt and publishes no separate cache price, so the
    cost is the same either way."""
    if not isinstance(raw, Mapping):
        return sdk.Usage()
    counts = raw.get("billed_units")
    if not isinstance(counts, Mapping) or not counts:
        counts = raw.get("tokens")
    if not isinstance(counts, Mapping):
        counts = {}
    input_tokens = _int(counts.get("input_tokens"))
    cached = min(_int(raw.get("cached_tokens")), input_tokens)
    details = {key: value for key, value in raw.items() if key not in NOT_USAGE_KEYS}
    return sdk.Usage(
        input_tokens=input_tokens,
        output_tokens=_int(counts.get("output_tokens")),
        cache_read_tokens=cached,
        details=details,
    )


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else _EMPTY


_EMPTY: Mapping[str, Any] = {}


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def citation(raw: Any) -> sdk.Citation | None:
    if not isinstance(raw, Mapping):
        return None
    start, end = raw.get("start"), raw.get("end")
    sources = raw.get("sources")
    return sdk.Citation(
        text=str(raw.get("text") or ""),
        start=start if isinstance(start, int) else None,
        end=end if isinstance(end, int) else None,
        sources=tuple(s for s in sources if isinstance(s, Mapping)) if isinstance(sources, list) else (),
    )


def tool_arguments(raw: str, name: str, provider: str = PROVIDER) -> dict[str, Any]:
    """Parse a call's JSON arguments; Cohere sends ``null`` (or nothing) for a tool without any."""
    if raw.strip() == "null":
        return {}
    return sdk.parse_arguments(raw, provider=provider, tool=name)


def events_from_body(body: Any, model: str, provider: str = PROVIDER) -> Iterator[sdk.StreamEvent]:
    """The events the stream of this non-streamed answer carries, in stream order: thinking and
    text content in order, the tool plan, the tool calls, citations, usage, finish."""
    if not isinstance(body, Mapping) or not isinstance(body.get("message"), Mapping):
        raise sdk.MalformedResponseError(f"a chat answer without a message: {str(body)[:200]!r}", provider=provider)
    message: Mapping[str, Any] = body["message"]
    content = message.get("content")
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    for item in content if isinstance(content, list) else ():
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type")
        if kind == "thinking":
            thinking = item.get("thinking")
            if isinstance(thinking, str) and thinking:
                yield sdk.ReasoningDelta(thinking)
        elif kind == "text" or (kind is None and "text" in item):
            text = item.get("text")
            if isinstance(text, str) and text:
                yield sdk.TextDelta(text)
    plan = message.get("tool_plan")
    if isinstance(plan, str) and plan:
        yield sdk.ReasoningDelta(plan)
    calls = message.get("tool_calls")
    index = 0
    for call in calls if isinstance(calls, list) else ():
        if not isinstance(call, Mapping):
            continue
        function = mapping(call.get("function"))
        call_id = str(call.get("id") or "")
        name = str(function.get("name") or "")
        raw_args = function.get("arguments")
        if isinstance(raw_args, str):
            arguments = raw_args
        elif raw_args is None:
            arguments = ""
        else:  # an object where a JSON string belongs: take it as meant
            arguments = json.dumps(raw_args, ensure_ascii=False)
        yield sdk.ToolCallStart(index, call_id, name)
        if arguments:
            yield sdk.ToolCallDelta(index, arguments)
        yield sdk.ToolCallEnd(index, sdk.ToolCallPart(call_id, name, tool_arguments(arguments, name, provider)))
        index += 1
    citations = message.get("citations")
    for raw in citations if isinstance(citations, list) else ():
        found = citation(raw)
        if found is not None:
            yield sdk.CitationEvent(found)
    yield sdk.UsageEvent(usage(body.get("usage")))
    raw_finish = body.get("finish_reason")
    raw_finish = raw_finish if isinstance(raw_finish, str) else None
    body_id = body.get("id")
    yield sdk.Finish(
        finish_reason(raw_finish, has_tool_calls=index > 0),
        raw_finish,
        model,
        body_id if isinstance(body_id, str) else None,
    )
