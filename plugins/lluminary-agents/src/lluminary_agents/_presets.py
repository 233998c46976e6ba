"""Ready-made agents: a tool-calling assistant, a retrieval agent over a vector store, and a
planner/executor."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ._agent import Agent
from ._planning import (
    EXECUTOR_INSTRUCTIONS,
    PLANNER_INSTRUCTIONS,
    REPLANNER_INSTRUCTIONS,
    Plan,
    PlanAndExecute,
    Replan,
)
from ._tools import AgentTool

if TYPE_CHECKING:
    from lluminary import Collection

ASSISTANT_INSTRUCTIONS = (
    "You are a helpful assistant. Use the tools when they help; when a tool fails, say so or try "
    "another way. Answer concisely."
)
RETRIEVAL_INSTRUCTIONS = (
    "Answer from the knowledge base: search it first, answer only from what it returns, and cite the "
    "passages you used by their [id]. If it has no answer, say so."
)


def tool_calling_assistant(
    model: str, tools: Iterable[Callable[..., Any] | AgentTool] = (), **options: Any
) -> Agent[Any]:
    """A general assistant that calls ``tools`` (ReAct)."""
    options.setdefault("name", "assistant")
    return Agent(model, options.pop("instructions", ASSISTANT_INSTRUCTIONS), tools, **options)


def retrieval_agent(model: str, collection: Collection, *, k: int = 4, **options: Any) -> Agent[Any]:
    """An agent that answers from ``collection`` through a ``search_knowledge_base`` tool."""

    async def search_knowledge_base(query: str) -> str:
        """Search the knowledge base for passages relevant to a query.

        Args:
            query: What to look for, as a question or keywords.
        """
        matches = await collection.aretrieve(query, k)
        if not matches:
            return "No passages found."
        return "\n".join(f"[{m.id}] {m.text}" for m in matches)

    options.setdefault("name", "retrieval")
    tools = [search_knowledge_base, *options.pop("tools", ())]
    return Agent(model, options.pop("instructions", RETRIEVAL_INSTRUCTIONS), tools, **options)


def planner_executor(
    model: str,
    tools: Iterable[Callable[..., Any] | AgentTool] = (),
    *,
    replan: bool = True,
    max_steps: int = 10,
    **options: Any,
) -> PlanAndExecute:
    """Plan-and-execute on one model: a planner, an executor with ``tools``, and (``replan``) a
    replanner."""
    planner = Agent(model, PLANNER_INSTRUCTIONS, output_type=Plan, name="planner", **options)
    executor = Agent(model, EXECUTOR_INSTRUCTIONS, tools, name="executor", **options)
    replanner = (
        Agent(model, REPLANNER_INSTRUCTIONS, output_type=Replan, name="replanner", **options) if replan else None
    )
    return PlanAndExecute(planner, executor, replanner, max_steps=max_steps)
