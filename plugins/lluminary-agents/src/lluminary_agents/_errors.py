"""Typed errors that end a run early; each carries the partial run, so nothing done is lost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lluminary import LluminaryError

if TYPE_CHECKING:
    from ._state import RunState


class AgentError(LluminaryError):
    """A run ended without an answer. ``state`` holds its messages, steps, usage and cost."""

    def __init__(self, message: str, state: RunState) -> None:
        super().__init__(message)
        self.state = state


class MaxStepsExceeded(AgentError):
    """The run used ``max_steps`` model turns without a final answer."""


class MaxCostExceeded(AgentError):
    """The run spent more than ``max_cost`` US dollars."""


class RunTimeout(AgentError):
    """The run took longer than ``timeout`` seconds."""


class RunStopped(AgentError):
    """A tool called ``ctx.stop(reason)`` before the run had an answer."""


class ToolDefinitionError(LluminaryError):
    """A tool cannot be built from the function given (a hint without a schema, a bad name)."""
