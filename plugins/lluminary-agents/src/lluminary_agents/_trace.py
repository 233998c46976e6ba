"""Agent runs and tool calls as trace events, through the client's public ``emit``: a run is an
``invoke_agent`` operation, each tool call an ``execute_tool`` one (the GenAI semantic-convention
names), and the model calls of a step carry the run's id as their parent. Nothing is built while
no exporter listens."""

from __future__ import annotations

import contextvars
import os
import time
from collections.abc import Mapping
from typing import Any

from lluminary import Cost, TraceEvent, Usage

#: The agent run or tool call that work started now belongs to (a handoff's sub-run).
current_parent: contextvars.ContextVar[str | None] = contextvars.ContextVar("lluminary_agents_parent", default=None)


def new_id() -> str:
    return os.urandom(8).hex()


class Span:
    """Start, end and error events of one run or tool call."""

    __slots__ = ("client", "call_id", "operation", "model", "parent_id", "metadata", "started", "live")

    def __init__(
        self, client: Any, call_id: str, operation: str, model: str, parent_id: str | None, metadata: Mapping[str, str]
    ) -> None:
        self.client = client
        self.call_id = call_id
        self.operation = operation
        self.model = model
        self.parent_id = parent_id
        self.metadata = metadata
        self.started = time.perf_counter()
        self.live = bool(getattr(client, "tracing", False))
        if self.live:
            self._emit("start")

    def end(self, usage: Usage | None = None, cost: Cost | None = None, finish: str | None = None) -> None:
        if self.live:
            self._emit("end", usage=usage, cost=cost, finish_reason=finish)

    def fail(self, error: BaseException | str) -> None:
        if self.live:
            message = error if isinstance(error, str) else str(error)
            kind = "ToolError" if isinstance(error, str) else type(error).__name__
            self._emit("error", error=message, error_type=kind)

    def _emit(self, kind: str, **fields: Any) -> None:
        provider = self.model.partition(":")[0] if ":" in self.model else ""
        duration = None if kind == "start" else time.perf_counter() - self.started
        self.client.emit(
            TraceEvent(
                kind,
                self.call_id,
                self.operation,
                self.model,
                time.time(),
                duration=duration,
                metadata=self.metadata,
                parent_id=self.parent_id,
                provider=provider,
                **fields,
            )
        )
