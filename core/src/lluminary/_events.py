"""The event family: what a stream yields (text, reasoning, tool-call start / arguments / end,
usage, citations, finish) and what exporters receive (:class:`TraceEvent`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Union

import attrs

from ._types import Citation, Cost, FinishReason, ToolCallPart, Usage

# --------------------------------------------------------------------------- stream events


@attrs.frozen
class TextDelta:
    text: str


@attrs.frozen
class ReasoningDelta:
    """A piece of reasoning. A ``signature`` closes the current reasoning block; ``redacted``
    carries a whole encrypted block."""

    text: str = ""
    signature: str | None = None
    redacted: str | None = None
    id: str | None = None


@attrs.frozen
class ToolCallStart:
    """A tool call begins. ``index`` counts tool calls in this response from 0, on every provider."""

    index: int
    id: str
    name: str


@attrs.frozen
class ToolCallDelta:
    """A raw fragment of a tool call's JSON arguments, exactly as the provider sent it."""

    index: int
    arguments: str


@attrs.frozen
class ToolCallEnd:
    """A tool call is complete: ``call`` has the parsed arguments."""

    index: int
    call: ToolCallPart


@attrs.frozen
class UsageEvent:
    """Usage so far; a later one replaces an earlier one."""

    usage: Usage


@attrs.frozen
class CitationEvent:
    citation: Citation


@attrs.frozen
class Finish:
    """The last event of every stream."""

    reason: FinishReason
    raw_reason: str | None = None
    model: str = ""
    id: str | None = None


StreamEvent = Union[
    TextDelta,
    ReasoningDelta,
    ToolCallStart,
    ToolCallDelta,
    ToolCallEnd,
    UsageEvent,
    CitationEvent,
    Finish,
]


# Not slotted: a frozen slotted class sets each of its 18 fields through ``object.__setattr__``,
# a frozen dict class writes them straight into its ``__dict__`` (half the cost, and events are
# built on every call an exporter watches).
@attrs.frozen(slots=False)
class TraceEvent:
    """What exporters receive, one per moment of a call.

    ``kind`` is ``start``, ``first_chunk``, ``end``, ``error`` or ``cache_hit``. ``operation`` is
    ``generate``, ``stream`` or ``embed`` for model calls, and open for others (an agent run, a
    tool). ``time`` is wall-clock seconds since the epoch; ``duration`` and
    ``time_to_first_chunk`` are seconds since the attempt started. ``call_id`` names one
    logical call across its attempts and fallbacks; ``parent_id`` the call it belongs to (an agent
    step, a gateway request). ``model`` is the model asked for, ``response_model`` the one that
    answered. Events never carry an API key or, by default, prompt content.
    """

    kind: str
    call_id: str
    operation: str
    model: str
    time: float
    duration: float | None = None
    attempt: int = 1
    usage: Usage | None = None
    cost: Cost | None = None
    error: str | None = None
    error_type: str | None = None
    metadata: Mapping[str, str] = attrs.field(factory=dict)
    parent_id: str | None = None
    provider: str = ""
    response_model: str | None = None
    response_id: str | None = None
    finish_reason: str | None = None
    time_to_first_chunk: float | None = None
