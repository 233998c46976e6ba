"""What a tool that asks for it receives: the run's dependencies, its usage and cost so far, and
a way to end the run."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from lluminary import Cost, Usage

from ._state import RunState

Deps = TypeVar("Deps")


class RunContext(Generic[Deps]):
    """Injected into a tool whose first parameter is annotated ``RunContext`` (or
    ``RunContext[MyDeps]``); that parameter is not part of the tool's schema."""

    __slots__ = ("deps", "state", "agent_name", "stop_reason", "client")

    def __init__(self, deps: Deps, state: RunState, agent_name: str, client: Any) -> None:
        self.deps = deps
        self.state = state
        self.agent_name = agent_name
        self.client = client
        self.stop_reason: str | None = None

    @property
    def usage(self) -> Usage:
        """Tokens the run used so far."""
        return self.state.usage

    @property
    def cost(self) -> Cost:
        """What the run spent so far, in US dollars."""
        return self.state.cost

    @property
    def step(self) -> int:
        """The current step, counted from 1."""
        return len(self.state.steps)

    def stop(self, reason: str = "stopped by a tool") -> None:
        """End the run after this step: it raises :class:`RunStopped` carrying the partial run."""
        self.stop_reason = reason

    def add_usage(self, usage: Usage, cost: Cost | None = None) -> None:
        """Count a model call a tool made itself (a sub-agent) in this run's totals."""
        self.state.add(usage, cost)
