"""``chat.completion.chunk`` objects → lluminary stream events.

The parser is fed each decoded chunk once and returns the events it produces (usually one). It
is tolerant of what real servers send: tool-call ids and names repeated on later fragments or
missing from them, a call whose name arrives after its first argument fragment, a new call that
reuses an index with a different id, fragments without an ``index``, arguments sent again in
full after their fragments (or as the whole text so far on every fragment), empty deltas,
chunks with ``choices: []`` (Azure's first chunk, whose ``id`` and ``model`` are empty), usage on
every chunk or in Groq's ``x_groq``, reasoning in ``reasoning_content`` / ``reasoning`` deltas,
content as a list of typed parts, error objects in either OpenAI's or vLLM's shape, and keys it
has never heard of.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lluminary import sdk

from .errors import stream_error
from .finish import chat_finish
from .parts import content_pieces, url_citation
from .usage import chat_usage

_NONE: Sequence[sdk.StreamEvent] = ()


class _Call:
    """One tool call being assembled. ``fragments`` is the arguments text as it is streamed out
    (repeats removed), ``size`` its length; ``raw``, once a fragment was taken for a repeat, every
    fragment exactly as received: the fallback when the de-duplicated text does not parse."""

    __slots__ = ("index", "id", "name", "fragments", "size", "raw", "started", "ended")

    def __init__(self, index: int, call_id: str, name: str) -> None:
        self.index = index
        self.id = call_id
        self.name = name
        self.fragments: list[str] = []
        self.size = 0
        self.raw: list[str] | None = None
        self.started = False
        self.ended = False

    def add(self, fragment: str) -> None:
        self.fragments.append(fragment)
        self.size += len(fragment)

    def complete(self) -> bool:
        """Whether the arguments so far are a whole JSON object (checked only when they end in "}")."""
        fragments = self.fragments
        return bool(fragments) and fragments[-1].rstrip()[-1:] == "}" and _object("".join(fragments)) is not None


def _object(text: str) -> dict[str, Any] | None:
    """``text`` as a complete JSON object (also when JSON-encoded a second time), else None."""
    if text[:1] not in ("{", '"'):
        text = text.lstrip()
        if text[:1] not in ("{", '"'):
            return None
    try:
        value: Any = sdk.loads(text)
        if isinstance(value, str):
            value = sdk.loads(value)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _repeats(call: _Call, fragment: str) -> bool:
    """Whether ``fragment`` says again what ``call``'s arguments already say: the same text, or
    the same whole object written differently (re-serialised, or JSON-encoded twice)."""
    if len(fragment) == call.size and fragment == "".join(call.fragments):
        return True
    again = _object(fragment)
    return again is not None and call.complete() and again == _object("".join(call.fragments))


class ChatStreamParser:
    """Feed it chunks with :meth:`feed`; call :meth:`close` at the end of the body."""

    __slots__ = (
        "provider",
        "request_id",
        "reasoning_fields",
        "_calls",
        "_by_wire",
        "_raw_finish",
        "_refused",
        "_texts",
        "_citations",
        "model",
        "id",
        "done",
    )

    def __init__(self, provider: str, reasoning_fields: tuple[str, ...] = (), request_id: str | None = None) -> None:
        self.provider = provider
        self.request_id = request_id
        self.reasoning_fields = reasoning_fields
        self._calls: list[_Call] = []
        self._by_wire: dict[Any, _Call] = {}
        self._raw_finish: str | None = None
        self._refused = False
        self._texts: list[str] = []  # the answer's text, for the spans of url citations
        self._citations: list[sdk.Citation] = []
        self.model = ""
        self.id: str | None = None
        self.done = False  # set by the caller on ``data: [DONE]``

    def feed(self, chunk: Any) -> Sequence[sdk.StreamEvent]:
        """The events of one chunk."""
        if type(chunk) is not dict:
            raise sdk.MalformedResponseError(
                f"a stream frame is not a JSON object: {chunk!r:.200}", provider=self.provider
            )
        if not self.id or not self.model:
            # Not simply the first chunk's: Azure's first chunk (prompt_filter_results) has id "" and model "".
            self.id = self.id or chunk.get("id") or None
            self.model = self.model or chunk.get("model") or ""
        out: list[sdk.StreamEvent] | None = None
        choices = chunk.get("choices")
        if choices:
            choice = choices[0]
            delta = choice.get("delta")
            finish = choice.get("finish_reason")
            if delta:
                content = delta.get("content")
                if content and len(delta) == 1 and finish is None and type(content) is str and not chunk.get("usage"):
                    self._texts.append(content)
                    return [sdk.TextDelta(content)]  # the common case: one piece of text
                out = self._delta(delta, content)
            error = chunk.get("error")
            if error:  # OpenRouter: an error mid-stream rides on a chunk that still has a choice
                raise stream_error(error, self.provider, self.request_id)
            if finish:
                if out is None:
                    out = []
                self._raw_finish = finish
                self._end_calls(out)
        elif chunk.get("error") or chunk.get("object") == "error":  # vLLM: the error object itself
            raise stream_error(chunk.get("error") or chunk, self.provider, self.request_id)
        usage = chunk.get("usage")
        if usage is None and "x_groq" in chunk:
            groq = chunk["x_groq"]
            usage = groq.get("usage") if type(groq) is dict else None
        if usage and type(usage) is dict:
            if out is None:
                out = []
            out.append(sdk.UsageEvent(chat_usage(usage)))
        return out or _NONE

    def _delta(self, delta: dict[str, Any], content: Any) -> list[sdk.StreamEvent]:
        out: list[sdk.StreamEvent] = []
        for field in self.reasoning_fields:
            reasoning = delta.get(field)
            if reasoning and isinstance(reasoning, str):
                out.append(sdk.ReasoningDelta(reasoning))
                break
        if content:
            if isinstance(content, str):
                self._texts.append(content)
                out.append(sdk.TextDelta(content))
            elif isinstance(content, list):
                for is_reasoning, text in content_pieces(content):
                    if not is_reasoning:
                        self._texts.append(text)
                    out.append(sdk.ReasoningDelta(text) if is_reasoning else sdk.TextDelta(text))
        tool_calls = delta.get("tool_calls")
        if tool_calls:
            self._tool_fragments(tool_calls, out)
        refusal = delta.get("refusal")
        if refusal:
            self._refused = True
            self._texts.append(refusal)
            out.append(sdk.TextDelta(refusal))
        annotations = delta.get("annotations")
        if annotations and isinstance(annotations, list):  # search models: url citations, often on the last delta
            text = "".join(self._texts)
            for annotation in annotations:
                citation = url_citation(annotation, text)
                if citation is not None and citation not in self._citations:
                    self._citations.append(citation)
                    out.append(sdk.CitationEvent(citation))
        return out

    def _tool_fragments(self, fragments: list[Any], out: list[sdk.StreamEvent]) -> None:
        calls = self._calls
        for fragment in fragments:
            if not isinstance(fragment, dict):
                continue
            wire_index = fragment.get("index")
            call_id = fragment.get("id") or ""
            if call_id == "null":  # a placeholder some gateways put on continuation fragments
                call_id = ""
            function = fragment.get("function") or {}
            name = function.get("name") or ""
            arguments = function.get("arguments")
            if arguments is not None and not isinstance(arguments, str):
                arguments = sdk.dumps_str(arguments)  # an object rather than JSON text
            call: _Call | None
            if wire_index is not None:
                call = self._by_wire.get(wire_index)
            elif call_id:  # no index (some servers): the id says which call, a new id opens one
                call = next((c for c in reversed(calls) if c.id == call_id), None)
            else:  # neither: a continuation of the last call
                call = calls[-1] if calls else None
            if call is not None and self._opens_new(call, call_id, name, arguments):
                call = None
            if call is None:
                call = _Call(len(calls), call_id, name)
                calls.append(call)
                if wire_index is not None:
                    self._by_wire[wire_index] = call
                if arguments:
                    call.add(arguments)
            else:
                if call.ended:
                    continue  # a repeat of a call already complete
                if call_id and not call.id:
                    call.id = call_id
                if name and not call.name:
                    call.name = name
                if arguments:
                    arguments = self._add_arguments(call, arguments)
            if not call.started:
                if call.name:
                    self._start(call, out)
            elif arguments:
                out.append(sdk.ToolCallDelta(call.index, arguments))

    @staticmethod
    def _opens_new(call: _Call, call_id: str, name: str, arguments: str | None) -> bool:
        """Whether a fragment that points at ``call`` (same index, or no index) starts another call:
        it has another id and a name, or it names a function after ``call`` is complete and says
        something else (parallel calls all sent with index 0 and no ids)."""
        if call_id and call.id and call_id != call.id and name:
            return True
        if not name or not arguments or not (call.ended or call.complete()):
            return False
        return not _repeats(call, arguments)

    @staticmethod
    def _add_arguments(call: _Call, arguments: str) -> str:
        """Add an arguments fragment to ``call``; returns what is new in it ("" for a repeat). Some
        servers send the whole arguments again after their fragments, or the whole text so far on
        every fragment: only what is new is kept."""
        received = arguments
        if call.size:
            if _repeats(call, arguments):
                arguments = ""
            elif len(arguments) > call.size and arguments.startswith("".join(call.fragments)):
                arguments = arguments[call.size :]
        if call.raw is None and arguments is not received:
            call.raw = list(call.fragments)
        if call.raw is not None:
            call.raw.append(received)
        if arguments:
            call.add(arguments)
        return arguments

    def _start(self, call: _Call, out: list[sdk.StreamEvent]) -> None:
        call.started = True
        if not call.id:
            call.id = f"call_{call.index}"
        out.append(sdk.ToolCallStart(call.index, call.id, call.name))
        if call.fragments:
            out.append(sdk.ToolCallDelta(call.index, "".join(call.fragments)))

    def _end_calls(self, out: list[sdk.StreamEvent]) -> None:
        for call in self._calls:
            if call.ended:
                continue
            if not call.started:
                self._start(call, out)
            call.ended = True
            out.append(sdk.ToolCallEnd(call.index, sdk.ToolCallPart(call.id, call.name, self._arguments(call))))

    def _arguments(self, call: _Call) -> dict[str, Any]:
        if call.raw is not None:
            # Some fragment was taken for a repeat. Had it been one, the text as received is not
            # JSON (``{...}{...}``); if it is, the fragment was not a repeat after all.
            raw = _object("".join(call.raw))
            if raw is not None:
                return raw
        return sdk.parse_arguments("".join(call.fragments), provider=self.provider, tool=call.name)

    def close(self) -> list[sdk.StreamEvent]:
        """The last events, once the body has ended. A body that ends before the server said the
        turn was over (no finish reason, no ``[DONE]``) was cut short: that is a connection error."""
        if self._raw_finish is None and not self.done:
            raise sdk.APIConnectionError(
                "the stream ended before the server finished the answer (no finish_reason, no [DONE])",
                provider=self.provider,
                request_id=self.request_id,
            )
        out: list[sdk.StreamEvent] = []
        self._end_calls(out)
        raw = self._raw_finish
        reason = chat_finish(raw, tool_calls=bool(self._calls), refused=self._refused)
        out.append(sdk.Finish(reason, "refusal" if self._refused else raw, self.model, self.id))
        return out
