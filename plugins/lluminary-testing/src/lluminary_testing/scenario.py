"""Provider-agnostic descriptions of what a fake server should answer.

The conformance suites speak only in scenarios; each provider's fake server renders them in its
own wire format, streamed or not depending on what the request asked for. So one suite checks
every provider, and a scenario states the hard cases (arguments split mid-escape, parallel calls,
text and a tool call in one turn) once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import attrs

from lluminary import Usage
from lluminary.sdk import FinishReason

from .server import Fault


def split_every(text: str, size: int) -> tuple[str, ...]:
    """``text`` in pieces of ``size`` characters (the last may be shorter)."""
    return tuple(text[i : i + size] for i in range(0, len(text), size)) or ("",)


@attrs.frozen
class ToolCallSpec:
    """A tool call the model makes. ``arguments`` is the raw JSON text; ``fragments`` how a
    streaming provider splits it (default: the whole text in one fragment). Fragments must join
    to ``arguments``."""

    id: str
    name: str
    arguments: str = "{}"
    fragments: tuple[str, ...] | None = None

    def pieces(self) -> tuple[str, ...]:
        if self.fragments is None:
            return (self.arguments,)
        if "".join(self.fragments) != self.arguments:
            raise ValueError(f"fragments of {self.id!r} do not join to its arguments")
        return self.fragments


@attrs.frozen
class Scenario:
    """One successful model turn.

    ``text`` and ``reasoning`` are given as the pieces a streaming provider sends (a plain string
    is one piece). ``finish`` defaults to ``tool_calls`` when there are tool calls. ``fault``
    applies to the rendered HTTP reply (streamed or not).

    ``signature`` is the opaque token that carries reasoning into the next turn (Anthropic's
    thinking ``signature``, OpenAI's ``encrypted_content``). ``unknown_events`` asks the server to
    add event types and JSON keys no client knows (as providers do when they ship a feature), and
    ``malformed`` to break the answer: a frame whose data is not JSON after the first event when
    streamed, a body that is not JSON otherwise.
    """

    text: str | Sequence[str] = ""
    reasoning: str | Sequence[str] = ""
    signature: str | None = None
    redacted_reasoning: str | None = None
    tool_calls: Sequence[ToolCallSpec] = ()
    text_after_tools: bool = False
    finish: FinishReason | None = None
    usage: Usage = Usage(input_tokens=12, output_tokens=7)  # noqa: RUF009 - frozen, safe to share
    model: str = "fake-model-1"
    id: str = "resp_fake_1"
    fault: Fault | None = None
    stop_sequence: str | None = None
    unknown_events: bool = False
    malformed: bool = False

    @property
    def text_pieces(self) -> tuple[str, ...]:
        return (self.text,) if isinstance(self.text, str) else tuple(self.text)

    @property
    def reasoning_pieces(self) -> tuple[str, ...]:
        return (self.reasoning,) if isinstance(self.reasoning, str) else tuple(self.reasoning)

    @property
    def full_text(self) -> str:
        return "".join(self.text_pieces)

    @property
    def full_reasoning(self) -> str:
        return "".join(self.reasoning_pieces)

    @property
    def finish_reason(self) -> FinishReason:
        if self.finish is not None:
            return self.finish
        return "tool_calls" if self.tool_calls else "stop"


ErrorKind = Literal[
    "authentication",
    "permission",
    "not_found",
    "rate_limit",
    "context_length",
    "invalid_request",
    "request_too_large",
    "content_filter",
    "server",
    "overloaded",
]


@attrs.frozen
class ErrorScenario:
    """An error answer, rendered as the provider renders that kind of error (status, body,
    headers). ``in_stream`` sends it as an error event inside a 200 stream, where the provider
    does that (Anthropic's ``event: error``, Ollama's ``{"error"}`` line, Bedrock exceptions)."""

    kind: ErrorKind
    message: str = "scripted failure"
    retry_after: float | None = None
    in_stream: bool = False
    request_id: str = "req_fake_1"
