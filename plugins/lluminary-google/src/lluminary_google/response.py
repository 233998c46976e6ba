"""Gemini ``GenerateContentResponse`` objects as unified stream events.

A streamed answer is a series of whole ``GenerateContentResponse`` chunks; a non-streamed answer is
one. Both go through :class:`ResponseParser`, so ``generate`` returns exactly what accumulating
``stream`` gives. Per chunk, only the first candidate is read:

* ``text`` parts → :class:`TextDelta`, ``thought: true`` parts → :class:`ReasoningDelta`;
* a ``functionCall`` arrives whole: it still yields start / arguments / end, with a synthesised,
  stable id when the wire has none (``gcall_<responseId>_<index>``);
* a ``thoughtSignature`` on a function call stays on its :class:`ToolCallPart`; on any other part it
  follows that part as ``ReasoningDelta(signature=...)`` (an empty-text reasoning part once
  accumulated), which the request builder puts back on the same part next turn;
* ``finishReason`` and ``usageMetadata`` are taken from the last chunk that carries them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lluminary.errors import ContentFilteredError, MalformedResponseError
from lluminary.types import (
    Finish,
    FinishReason,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    Usage,
    UsageEvent,
)

from .request import SYNTHETIC_ID_PREFIX

FINISH_REASONS: Mapping[str, FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
    "MALFORMED_FUNCTION_CALL": "error",
    "UNEXPECTED_TOOL_CALL": "error",
    "LANGUAGE": "other",
    "OTHER": "other",
    "TOO_MANY_TOOL_CALLS": "other",
    "NO_IMAGE": "other",
    "IMAGE_OTHER": "other",
    "FINISH_REASON_UNSPECIFIED": "other",
}


def finish_reason(raw: str, has_tool_calls: bool) -> FinishReason:
    """Gemini finishes a tool call with ``STOP``: that is ``tool_calls`` here."""
    reason = FINISH_REASONS.get(raw, "other")
    return "tool_calls" if has_tool_calls and reason == "stop" else reason


def usage_from(meta: Mapping[str, Any]) -> Usage:
    """``promptTokenCount`` already includes cached content; tool-use prompt tokens are input too;
    thoughts are output (lluminary's convention), counted apart as reasoning."""
    prompt = (meta.get("promptTokenCount") or 0) + (meta.get("toolUsePromptTokenCount") or 0)
    thoughts = meta.get("thoughtsTokenCount") or 0
    return Usage(
        input_tokens=prompt,
        output_tokens=(meta.get("candidatesTokenCount") or 0) + thoughts,
        cache_read_tokens=meta.get("cachedContentTokenCount") or 0,
        reasoning_tokens=thoughts,
    )


class ResponseParser:
    """Turns the chunks of one answer into events; :meth:`close` gives the usage and the finish."""

    __slots__ = ("provider", "tool_index", "raw_finish", "usage_meta", "model", "id", "chunks")

    def __init__(self, provider: str, model: str = "") -> None:
        self.provider = provider
        self.tool_index = 0
        self.raw_finish: str | None = None
        self.usage_meta: Mapping[str, Any] | None = None
        self.model = model  # until a chunk names its modelVersion
        self.id: str | None = None
        self.chunks = 0

    def feed(self, chunk: Any) -> list[StreamEvent]:
        """The events of one ``GenerateContentResponse``."""
        if not isinstance(chunk, dict):
            raise MalformedResponseError(f"expected a JSON object, got {type(chunk).__name__}", provider=self.provider)
        self.chunks += 1
        meta = chunk.get("usageMetadata")
        if meta:
            self.usage_meta = meta
        model = chunk.get("modelVersion")
        if model:
            self.model = model
        response_id = chunk.get("responseId")
        if response_id:
            self.id = response_id
        candidates = chunk.get("candidates")
        if not candidates:
            feedback = chunk.get("promptFeedback")
            reason = feedback.get("blockReason") if isinstance(feedback, dict) else None
            if reason:
                detail = feedback.get("blockReasonMessage") if isinstance(feedback, dict) else None
                raise ContentFilteredError(
                    f"the prompt was blocked ({reason})" + (f": {detail}" if detail else ""),
                    provider=self.provider,
                    code=str(reason),
                )
            return []
        candidate = candidates[0]
        events: list[StreamEvent] = []
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        if parts:
            for part in parts:
                self._part(part, events)
        reason = candidate.get("finishReason")
        if reason:
            self.raw_finish = reason
        return events

    def _part(self, part: Mapping[str, Any], events: list[StreamEvent]) -> None:
        signature = part.get("thoughtSignature")
        call = part.get("functionCall")
        if call is not None:
            self._call(call, signature, events)
            return
        text = part.get("text")
        if text:
            events.append(ReasoningDelta(text) if part.get("thought") else TextDelta(text))
        if signature:
            events.append(ReasoningDelta("", signature))

    def _call(self, call: Mapping[str, Any], signature: str | None, events: list[StreamEvent]) -> None:
        name = call.get("name") or ""
        args = call.get("args")
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise MalformedResponseError(
                f"function call {name!r} has arguments that are not an object: {args!r}", provider=self.provider
            )
        index = self.tool_index
        self.tool_index += 1
        call_id = call.get("id") or f"{SYNTHETIC_ID_PREFIX}{self.id or 'x'}_{index}"
        events.append(ToolCallStart(index, call_id, name))
        events.append(ToolCallDelta(index, json.dumps(args, ensure_ascii=False)))
        events.append(ToolCallEnd(index, ToolCallPart(call_id, name, args, signature or None)))

    @property
    def finished(self) -> bool:
        return self.raw_finish is not None

    def close(self) -> list[StreamEvent]:
        """The usage and the finish, once every chunk is in."""
        raw = self.raw_finish or "STOP"
        usage = usage_from(self.usage_meta) if self.usage_meta else Usage()
        return [
            UsageEvent(usage),
            Finish(finish_reason(raw, self.tool_index > 0), raw, self.model, self.id),
        ]
