"""Gemini ``GenerateContentResponse`` objects as unified stream events.

A streamed answer is a series of whole ``GenerateContentResponse`` chunks; a non-streamed answer is
one. Both go through :class:`ResponseParser`, so ``generate`` returns exactly what accumulating
``stream`` gives. Per chunk, only the first candidate is read:

* ``text`` parts → :class:`TextDelta`, ``thought: true`` parts → :class:`ReasoningDelta`;
* a ``functionCall`` arrives whole: it still yields start / arguments / end, with a synthesised,
  stable id when the wire has none (``gcall_<responseId>_<index>``). Vertex AI can also stream a
  call's arguments (``streamFunctionCallArguments``): a part with the ``name`` and
  ``willContinue: true``, parts with ``partialArgs`` (``jsonPath`` + a value), then an empty
  ``functionCall`` (or a last ``partialArgs`` without ``willContinue``); those are assembled into
  one call, which ends like a whole one;
* a ``thoughtSignature`` on a function call stays on its :class:`ToolCallPart`; on a text or
  thought part it follows that run of text (or thought) as ``ReasoningDelta(signature=...)`` (an
  empty-text reasoning part once accumulated, or the signature of the thought), which the request
  builder puts back on the same part next turn. Gemini 2.5 streams the signature on the *first*
  text chunk: holding it to the end of the run keeps the text one part, as the non-streamed
  answer has it;
* parts this plugin has no type for but Gemini needs back next turn — code execution
  (``executableCode`` / ``codeExecutionResult``), server-side tool invocations (``toolCall`` /
  ``toolResponse``), generated files (``inlineData`` / ``fileData``) — are kept whole, signature
  included, as a :class:`ReasoningDelta` whose ``redacted`` is the part's JSON
  (:data:`RAW_PART_PREFIX`); the request builder sends them back unchanged, other providers drop them;
* ``groundingMetadata`` (Google Search, file search) and ``citationMetadata`` (recitation) become
  :class:`Citation` events once the text is complete; Google counts their offsets in UTF-8 bytes,
  lluminary in characters;
* ``finishReason`` and ``usageMetadata`` are taken from the last chunk that carries them.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from lluminary.sdk import (
    Citation,
    CitationEvent,
    ContentFilteredError,
    Finish,
    FinishReason,
    MalformedResponseError,
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

from .request import RAW_PART_PREFIX, SYNTHETIC_ID_PREFIX

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
    "MODEL_ARMOR": "content_filter",
    "MALFORMED_FUNCTION_CALL": "error",
    "UNEXPECTED_TOOL_CALL": "error",
    "LANGUAGE": "other",
    "OTHER": "other",
    "TOO_MANY_TOOL_CALLS": "other",
    "NO_IMAGE": "other",
    "IMAGE_OTHER": "other",
    "FINISH_REASON_UNSPECIFIED": "other",
}

#: Part kinds kept whole (see the module docstring): Gemini wants them back as they came.
RAW_PART_KEYS = ("executableCode", "codeExecutionResult", "toolCall", "toolResponse", "inlineData", "fileData")

_TEXT, _THOUGHT = "text", "thought"
_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\[\"((?:[^\"\\]|\\.)*)\"\]")


def finish_reason(raw: str, has_tool_calls: bool) -> FinishReason:
    """Gemini finishes a tool call with ``STOP``: that is ``tool_calls`` here."""
    reason = FINISH_REASONS.get(raw, "other")
    return "tool_calls" if has_tool_calls and reason == "stop" else reason


def usage_from(meta: Any) -> Usage:
    """``promptTokenCount`` already includes cached content; tool-use prompt tokens are input too;
    thoughts are output (lluminary's convention), counted apart as reasoning. ``details`` keeps
    ``usageMetadata`` as it came, where ``toolUsePromptTokenCount`` and the per-modality counts
    stay apart (a ``usageMetadata`` that is not an object counts nothing and keeps nothing)."""
    if not isinstance(meta, Mapping):
        return Usage()
    prompt = (meta.get("promptTokenCount") or 0) + (meta.get("toolUsePromptTokenCount") or 0)
    thoughts = meta.get("thoughtsTokenCount") or 0
    return Usage(
        input_tokens=prompt,
        output_tokens=(meta.get("candidatesTokenCount") or 0) + thoughts,
        cache_read_tokens=meta.get("cachedContentTokenCount") or 0,
        reasoning_tokens=thoughts,
        details=dict(meta),
    )


class _StreamedCall:
    """A function call whose arguments arrive as ``partialArgs`` (Vertex AI)."""

    __slots__ = ("index", "id", "name", "signature", "args", "open_strings")

    def __init__(self, index: int, call_id: str, name: str, signature: str | None) -> None:
        self.index = index
        self.id = call_id
        self.name = name
        self.signature = signature
        self.args: dict[str, Any] = {}
        self.open_strings: set[tuple[str | int, ...]] = set()

    def apply(self, partial: Sequence[Any]) -> None:
        """One ``partialArgs`` list: each item sets (or, for a string still being written,
        extends) the value at its ``jsonPath``."""
        for item in partial:
            if not isinstance(item, dict):
                continue
            path = json_path(item.get("jsonPath"))
            if not path:
                continue
            if "stringValue" in item:
                piece = str(item.get("stringValue") or "")
                if path in self.open_strings:
                    previous = _get(self.args, path)
                    piece = (previous if isinstance(previous, str) else "") + piece
                value: Any = piece
                if item.get("willContinue"):
                    self.open_strings.add(path)
                else:
                    self.open_strings.discard(path)
            elif "numberValue" in item:
                value = item["numberValue"]
            elif "boolValue" in item:
                value = bool(item["boolValue"])
            elif "nullValue" in item:
                value = None
            elif "structValue" in item:
                value = item["structValue"]
            elif "listValue" in item:
                value = item["listValue"]
            else:
                continue
            _set(self.args, path, value)


def json_path(raw: Any) -> tuple[str | int, ...] | None:
    """``$.a.b[0]`` (or ``$['a b']``) as the keys and indexes it walks; None if unreadable."""
    if not isinstance(raw, str) or not raw.startswith("$"):
        return None
    steps: list[str | int] = []
    pos = 1
    while pos < len(raw):
        found = _PATH_STEP.match(raw, pos)
        if found is None:
            return None
        key, index, single, double = found.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(key if key is not None else (single if single is not None else double))
        pos = found.end()
    return tuple(steps)


def _get(root: Any, path: tuple[str | int, ...]) -> Any:
    node = root
    for step in path:
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            node = node[step]
        elif isinstance(step, str) and isinstance(node, dict):
            node = node.get(step)
        else:
            return None
    return node


def _set(root: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = root
    for step, following in itertools.pairwise(path):
        empty: Any = [] if isinstance(following, int) else {}
        node = _child(node, step, empty)
        if node is None:
            return
    last = path[-1]
    if isinstance(last, int) and isinstance(node, list):
        node.extend([None] * (last + 1 - len(node)))
        node[last] = value
    elif isinstance(last, str) and isinstance(node, dict):
        node[last] = value


def _child(node: Any, step: str | int, empty: Any) -> Any:
    if isinstance(step, int) and isinstance(node, list):
        node.extend([None] * (step + 1 - len(node)))
        if not isinstance(node[step], (dict, list)):
            node[step] = empty
        return node[step]
    if isinstance(step, str) and isinstance(node, dict):
        if not isinstance(node.get(step), (dict, list)):
            node[step] = empty
        return node[step]
    return None


class ResponseParser:
    """Turns the chunks of one answer into events; :meth:`close` gives the citations, the usage
    and the finish."""

    __slots__ = (
        "provider",
        "tool_index",
        "raw_finish",
        "usage_meta",
        "model",
        "id",
        "chunks",
        "_run",
        "_run_signature",
        "_streamed_call",
        "_texts",
        "_sources",
        "_seen_sources",
    )

    def __init__(self, provider: str, model: str = "") -> None:
        self.provider = provider
        self.tool_index = 0
        self.raw_finish: str | None = None
        self.usage_meta: Mapping[str, Any] | None = None
        self.model = model  # until a chunk names its modelVersion
        self.id: str | None = None
        self.chunks = 0
        self._run: str | None = None  # the kind of the text run under way: _TEXT, _THOUGHT or None
        self._run_signature: str | None = None  # its signature, held until the run ends
        self._streamed_call: _StreamedCall | None = None
        self._texts: list[str] = []  # the answer's text, which citation offsets count in
        self._sources: list[tuple[str, int | None, int | None, tuple[Mapping[str, Any], ...]]] = []
        self._seen_sources: set[str] = set()

    def feed(self, chunk: Any) -> list[StreamEvent]:
        """The events of one ``GenerateContentResponse``."""
        if not isinstance(chunk, dict):
            raise MalformedResponseError(f"expected a JSON object, got {type(chunk).__name__}", provider=self.provider)
        self.chunks += 1
        meta = chunk.get("usageMetadata")
        if meta and isinstance(meta, dict):
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
        if not isinstance(candidate, dict):
            return []
        events: list[StreamEvent] = []
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        if parts:
            for part in parts:
                if isinstance(part, dict):
                    self._part(part, events)
        grounding = candidate.get("groundingMetadata")
        if isinstance(grounding, dict) and grounding:
            self._grounding(grounding)
        recitation = candidate.get("citationMetadata")
        if isinstance(recitation, dict) and recitation:
            self._recitation(recitation)
        reason = candidate.get("finishReason")
        if reason:
            self.raw_finish = reason
        return events

    # ---- parts

    def _part(self, part: Mapping[str, Any], events: list[StreamEvent]) -> None:
        signature = part.get("thoughtSignature") or None
        call = part.get("functionCall")
        if call is not None:
            self._end_run(events)
            self._call(call if isinstance(call, dict) else {}, signature, events)
            return
        raw = next((key for key in RAW_PART_KEYS if key in part), None)
        if raw is not None:
            self._end_run(events)
            self._end_streamed_call(events)
            data = json.dumps(part, ensure_ascii=False, separators=(",", ":"))
            events.append(ReasoningDelta(redacted=RAW_PART_PREFIX + data))
            return
        text = part.get("text")
        kind = _THOUGHT if part.get("thought") else _TEXT
        if not text and signature is None:
            return  # an empty part (often the one that carries the finish reason)
        if kind != self._run or (signature is not None and self._run_signature not in (None, signature)):
            self._end_run(events)  # a new kind of run, or a part signed apart from the one before
            self._run = kind
        if text:
            self._end_streamed_call(events)
            if kind == _THOUGHT:
                events.append(ReasoningDelta(text))
            else:
                self._texts.append(text)
                events.append(TextDelta(text))
        if signature is not None:
            self._run_signature = signature

    def _end_run(self, events: list[StreamEvent]) -> None:
        """A run of text (or thought) parts is over: its signature follows it."""
        if self._run_signature is not None:
            events.append(ReasoningDelta("", self._run_signature))
        self._run = None
        self._run_signature = None

    def _call(self, call: Mapping[str, Any], signature: str | None, events: list[StreamEvent]) -> None:
        name = call.get("name") or ""
        partial = call.get("partialArgs")
        more = bool(call.get("willContinue"))
        streamed = self._streamed_call
        if streamed is not None and not name:  # the next piece of the call being streamed
            if signature and not streamed.signature:
                streamed.signature = signature
            if isinstance(partial, list):
                streamed.apply(partial)
            if not more and not _continues(partial):
                self._end_streamed_call(events)
            return
        self._end_streamed_call(events)
        if name and (more or partial is not None) and "args" not in call:  # a call that streams its arguments
            index = self.tool_index
            self.tool_index += 1
            call_id = call.get("id") or f"{SYNTHETIC_ID_PREFIX}{self.id or 'x'}_{index}"
            streamed = self._streamed_call = _StreamedCall(index, call_id, name, signature)
            events.append(ToolCallStart(index, call_id, name))
            if isinstance(partial, list):
                streamed.apply(partial)
            if not more and not _continues(partial):
                self._end_streamed_call(events)
            return
        args = call.get("args")
        if not name and not args:
            return  # the end (or a keep-alive) of a streamed call that is already closed
        if args is None:
            args = {}
        if not isinstance(args, dict):
            # Arguments the model wrote as invalid JSON come as a string: keep them whole.
            error = MalformedResponseError(
                f"function call {name!r} has arguments that are not an object: {args!r:.200}", provider=self.provider
            )
            error.raw_arguments = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
            raise error
        index = self.tool_index
        self.tool_index += 1
        call_id = call.get("id") or f"{SYNTHETIC_ID_PREFIX}{self.id or 'x'}_{index}"
        events.append(ToolCallStart(index, call_id, name))
        events.append(ToolCallDelta(index, json.dumps(args, ensure_ascii=False)))
        events.append(ToolCallEnd(index, ToolCallPart(call_id, name, args, signature or None)))

    def _end_streamed_call(self, events: list[StreamEvent]) -> None:
        streamed = self._streamed_call
        if streamed is None:
            return
        self._streamed_call = None
        args = streamed.args
        events.append(ToolCallDelta(streamed.index, json.dumps(args, ensure_ascii=False)))
        part = ToolCallPart(streamed.id, streamed.name, args, streamed.signature)
        events.append(ToolCallEnd(streamed.index, part))

    # ---- citations

    def _grounding(self, grounding: Mapping[str, Any]) -> None:
        chunks = grounding.get("groundingChunks")
        chunks = chunks if isinstance(chunks, list) else []
        supports = grounding.get("groundingSupports")
        supports = supports if isinstance(supports, list) else []
        for support in supports:
            if not isinstance(support, dict):
                continue
            segment = support.get("segment")
            segment = segment if isinstance(segment, dict) else {}
            indices = support.get("groundingChunkIndices")
            sources = tuple(
                chunks[i]
                for i in (indices if isinstance(indices, list) else ())
                if isinstance(i, int) and 0 <= i < len(chunks) and isinstance(chunks[i], dict)
            )
            end = segment.get("endIndex")
            start = segment.get("startIndex", 0 if end is not None else None)  # proto3 JSON omits a 0
            self._source(str(segment.get("text") or ""), start, end, sources)
        if not supports and chunks:  # sources the answer drew on, with no span to pin them to
            self._source("", None, None, tuple(c for c in chunks if isinstance(c, dict)))

    def _recitation(self, recitation: Mapping[str, Any]) -> None:
        sources = recitation.get("citationSources")
        if not isinstance(sources, list):
            sources = recitation.get("citations")  # Vertex AI's name for them
        for source in sources if isinstance(sources, list) else ():
            if isinstance(source, dict):
                end = source.get("endIndex")
                start = source.get("startIndex", 0 if end is not None else None)
                self._source("", start, end, (source,))

    def _source(self, text: str, start: Any, end: Any, sources: tuple[Mapping[str, Any], ...]) -> None:
        start = start if isinstance(start, int) and not isinstance(start, bool) else None
        end = end if isinstance(end, int) and not isinstance(end, bool) else None
        key = json.dumps([text, start, end, sources], sort_keys=True, default=str)
        if key not in self._seen_sources:  # streams may repeat the metadata chunk after chunk
            self._seen_sources.add(key)
            self._sources.append((text, start, end, sources))

    def _citations(self) -> list[StreamEvent]:
        if not self._sources:
            return []
        full = "".join(self._texts)
        data = full.encode("utf-8")
        events: list[StreamEvent] = []
        for text, start, end, sources in self._sources:
            first, last = _span(full, data, text, start, end)
            if not text and first is not None and last is not None:
                text = full[first:last]
            events.append(CitationEvent(Citation(text, first, last, sources)))
        return events

    # ---- the end

    @property
    def finished(self) -> bool:
        return self.raw_finish is not None

    def close(self) -> list[StreamEvent]:
        """What is held back until every chunk is in (a signature, a streamed call), then the
        citations, the usage and the finish."""
        events: list[StreamEvent] = []
        self._end_run(events)
        self._end_streamed_call(events)
        events.extend(self._citations())
        raw = self.raw_finish or "STOP"
        events.append(UsageEvent(usage_from(self.usage_meta)))
        events.append(Finish(finish_reason(raw, self.tool_index > 0), raw, self.model, self.id))
        return events


def _continues(partial: Any) -> bool:
    """Whether a ``partialArgs`` list leaves a string value open."""
    return isinstance(partial, list) and any(isinstance(p, dict) and p.get("willContinue") for p in partial)


def _span(full: str, data: bytes, text: str, start: int | None, end: int | None) -> tuple[int | None, int | None]:
    """A span given in UTF-8 byte offsets as character offsets into ``full``; checked against the
    segment's own text when there is one, and found by that text when the offsets do not fit (they
    can count from the start of one part when the answer has several)."""
    if start is not None and end is not None and 0 <= start <= end <= len(data):
        first = len(data[:start].decode("utf-8", "ignore"))
        last = first + len(data[start:end].decode("utf-8", "ignore"))
        if not text or full[first:last] == text:
            return first, last
    if text:
        found = full.find(text)
        if found >= 0:
            return found, found + len(text)
    return None, None
