"""One event model for a streamed agent run, the same on every provider: what the model writes,
what the tools do, and when a step or the run is over."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

import attrs

from lluminary import Cost, Usage


@attrs.frozen
class TextChunk:
    """A piece of the model's text in step ``step``."""

    step: int
    text: str


@attrs.frozen
class ReasoningChunk:
    """A piece of the model's reasoning in step ``step``."""

    step: int
    text: str


@attrs.frozen
class ToolCallStarted:
    """The model began a tool call (``index`` counts calls within the step from 0)."""

    step: int
    index: int
    call_id: str
    name: str


@attrs.frozen
class ToolArgumentsChunk:
    """A raw fragment of a tool call's JSON arguments, as the provider sent it."""

    step: int
    index: int
    fragment: str


@attrs.frozen
class ToolExecuted:
    """A tool ran and returned ``result`` (the text sent back to the model)."""

    step: int
    call_id: str
    name: str
    arguments: Mapping[str, Any]
    result: str
    duration: float


@attrs.frozen
class ToolFailed:
    """A tool call failed (bad arguments, an exception, a timeout, a denial); ``error`` went back
    to the model as an error tool result. ``kind`` says which of those it was."""

    step: int
    call_id: str
    name: str
    arguments: Mapping[str, Any]
    error: str
    kind: str
    duration: float


@attrs.frozen
class StepFinished:
    """A model turn and the tools it called are done; ``usage`` and ``cost`` are the run's so far."""

    step: int
    tool_calls: int
    usage: Usage
    cost: Cost


@attrs.frozen
class ApprovalRequested:
    """The run paused: these tool calls wait for approval (see :meth:`RunState.approve`)."""

    step: int
    call_ids: tuple[str, ...]


@attrs.frozen
class FinalOutput:
    """The run's answer, of the agent's ``output_type``."""

    step: int
    output: Any


AgentEvent = Union[
    TextChunk,
    ReasoningChunk,
    ToolCallStarted,
    ToolArgumentsChunk,
    ToolExecuted,
    ToolFailed,
    StepFinished,
    ApprovalRequested,
    FinalOutput,
]
