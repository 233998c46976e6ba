"""What a run returns: its answer, or, for a paused run, the calls that wait for approval."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import attrs

from lluminary import Cost, Message, ToolCallPart, Usage

from ._state import RunState

Out = TypeVar("Out")


@attrs.define
class RunResult(Generic[Out]):
    """``output`` is the answer (of the agent's ``output_type``), None while ``paused``."""

    output: Out
    state: RunState

    @property
    def paused(self) -> bool:
        """The run waits for approval of :attr:`pending` calls (resume with ``arun(state=...)``)."""
        return self.state.status == "paused"

    @property
    def pending(self) -> tuple[ToolCallPart, ...]:
        """The tool calls that wait for a decision."""
        waiting = set(self.state.pending)
        calls = [c for m in self.state.messages if m.role == "assistant" for c in m.tool_calls]
        return tuple(c for c in calls if c.id in waiting)

    @property
    def messages(self) -> list[Message]:
        return self.state.messages

    @property
    def usage(self) -> Usage:
        return self.state.usage

    @property
    def cost(self) -> Cost:
        return self.state.cost

    @property
    def steps(self) -> int:
        return len(self.state.steps)

    def __repr__(self) -> str:
        status = "paused" if self.paused else repr(self.output)
        return f"<RunResult {status} steps={self.steps} usage={self.usage.total_tokens} cost=${self.cost.total:.6f}>"


def result_of(state: RunState) -> RunResult[Any]:
    return RunResult(state.output if state.status == "finished" else None, state)
