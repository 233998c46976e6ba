"""Agents for lluminary: a tool-running loop with typed answers, streaming agent events, memory,
planning and handoffs, the same on every provider (``pip install lluminary-agents``)::

    from lluminary_agents import Agent

    def get_weather(city: str) -> str:
        \"\"\"Current weather in a city.\"\"\"
        return f"18C and sunny in {city}"

    agent = Agent("openai:gpt-4o-mini", "You are helpful.", tools=[get_weather])
    print(agent.run("Weather in Paris?").output)

Everything is imported on first use: importing this package costs next to nothing.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False

__version__ = "0.1.0"

_EXPORTS = {
    "Agent": "_agent",
    "AgentStream": "_agent",
    "AgentTool": "_tools",
    "tool": "_tools",
    "RunContext": "_context",
    "RunResult": "_result",
    "RunState": "_state",
    "StepRecord": "_state",
    "AgentError": "_errors",
    "MaxStepsExceeded": "_errors",
    "MaxCostExceeded": "_errors",
    "RunTimeout": "_errors",
    "RunStopped": "_errors",
    "ToolDefinitionError": "_errors",
    "AgentEvent": "_events",
    "TextChunk": "_events",
    "ReasoningChunk": "_events",
    "ToolCallStarted": "_events",
    "ToolArgumentsChunk": "_events",
    "ToolExecuted": "_events",
    "ToolFailed": "_events",
    "StepFinished": "_events",
    "ApprovalRequested": "_events",
    "FinalOutput": "_events",
    "Memory": "_memory",
    "BufferMemory": "_memory",
    "TokenWindowMemory": "_memory",
    "VectorMemory": "_memory",
    "Plan": "_planning",
    "Replan": "_planning",
    "PlanAndExecute": "_planning",
    "PlanResult": "_planning",
    "tool_calling_assistant": "_presets",
    "retrieval_agent": "_presets",
    "planner_executor": "_presets",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lluminary_agents' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"lluminary_agents.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from ._agent import Agent as Agent, AgentStream as AgentStream
    from ._context import RunContext as RunContext
    from ._errors import (
        AgentError as AgentError,
        MaxCostExceeded as MaxCostExceeded,
        MaxStepsExceeded as MaxStepsExceeded,
        RunStopped as RunStopped,
        RunTimeout as RunTimeout,
        ToolDefinitionError as ToolDefinitionError,
    )
    from ._events import (
        AgentEvent as AgentEvent,
        ApprovalRequested as ApprovalRequested,
        FinalOutput as FinalOutput,
        ReasoningChunk as ReasoningChunk,
        StepFinished as StepFinished,
        TextChunk as TextChunk,
        ToolArgumentsChunk as ToolArgumentsChunk,
        ToolCallStarted as ToolCallStarted,
        ToolExecuted as ToolExecuted,
        ToolFailed as ToolFailed,
    )
    from ._memory import (
        BufferMemory as BufferMemory,
        Memory as Memory,
        TokenWindowMemory as TokenWindowMemory,
        VectorMemory as VectorMemory,
    )
    from ._planning import Plan as Plan, PlanAndExecute as PlanAndExecute, PlanResult as PlanResult, Replan as Replan
    from ._presets import (
        planner_executor as planner_executor,
        retrieval_agent as retrieval_agent,
        tool_calling_assistant as tool_calling_assistant,
    )
    from ._result import RunResult as RunResult
    from ._state import RunState as RunState, StepRecord as StepRecord
    from ._tools import AgentTool as AgentTool, tool as tool
