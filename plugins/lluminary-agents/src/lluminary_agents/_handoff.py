"""An agent as a tool of another: the caller's model hands it a task, it runs to its answer, and
its usage and cost count in the caller's run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lluminary import Tool

from ._context import RunContext
from ._tools import AgentTool

if TYPE_CHECKING:
    from ._agent import Agent


def handoff_tool(agent: Agent[Any], name: str, description: str | None) -> AgentTool:
    async def hand_off(ctx: RunContext[Any], task: str) -> Any:
        from ._run import render

        result = await agent.arun(task, deps=ctx.deps)
        ctx.add_usage(result.usage, result.cost)
        return render(result.output)

    schema = {
        "type": "object",
        "properties": {"task": {"type": "string", "description": "What the agent should do, in full."}},
        "required": ["task"],
    }
    text = description or f"Hand a task to the {agent.name} agent and get its answer."
    return AgentTool(Tool(name, text, schema), hand_off, takes_context=True, is_async=True, hints={"task": str})
