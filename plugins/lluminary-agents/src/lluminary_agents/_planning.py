"""Plan-and-execute: a planner writes a typed plan, an executor agent carries out each step with
its tools, and a replanner revises what is left after each step (or gives the answer). ReAct, the
:class:`Agent`'s own loop, is the default; this is for tasks that benefit from a plan first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from lluminary import Cost, RequestValidationError, Usage

from ._agent import Agent
from ._errors import MaxStepsExceeded
from ._state import RunState

PLANNER_INSTRUCTIONS = (
    "Break the user's task into a short list of concrete steps that, done in order, complete it. "
    "Each step must be doable on its own with the available tools."
)
REPLANNER_INSTRUCTIONS = (
    "You revise a plan as it is carried out. Given the task, the steps done with their results, and "
    "the steps left, either give the final answer (when the task is done) or the steps still needed."
)
EXECUTOR_INSTRUCTIONS = "Carry out the step you are given, using the tools, and report its result briefly."


@attrs.define
class Plan:
    """The steps that complete a task, in order."""

    steps: list[str]


@attrs.define
class Replan:
    """The replanner's verdict: the final ``answer`` when the task is done, else the ``steps`` left."""

    steps: list[str] = attrs.field(factory=list)
    answer: str | None = None


@attrs.define
class StepResult:
    step: str
    output: Any


@attrs.define
class PlanResult:
    """The answer, the plans made (the first, then each revision) and what each step returned."""

    output: Any
    plans: list[list[str]]
    done: list[StepResult]
    usage: Usage = Usage()  # noqa: RUF009 - frozen, safe to share
    cost: Cost = Cost()  # noqa: RUF009 - frozen, safe to share


class PlanAndExecute:
    """``planner`` (an ``Agent[Plan]``), ``executor`` (any agent with tools) and an optional
    ``replanner`` (an ``Agent[Replan]``). Without a replanner the plan is followed as written and
    the last step's output is the answer. ``max_steps`` bounds the steps executed."""

    def __init__(
        self,
        planner: Agent[Plan],
        executor: Agent[Any],
        replanner: Agent[Replan] | None = None,
        *,
        max_steps: int = 10,
    ) -> None:
        if planner.output_type is not Plan:
            raise RequestValidationError("the planner must be an Agent with output_type=Plan")
        if replanner is not None and replanner.output_type is not Replan:
            raise RequestValidationError("the replanner must be an Agent with output_type=Replan")
        self.planner = planner
        self.executor = executor
        self.replanner = replanner
        self.max_steps = max_steps

    async def arun(self, task: str, *, deps: Any = None) -> PlanResult:
        totals = RunState()
        planned = await self.planner.arun(task, deps=deps)
        totals.add(planned.usage, planned.cost)
        remaining = list(planned.output.steps)
        result = PlanResult(None, [list(remaining)], [])
        while remaining:
            if len(result.done) >= self.max_steps:
                result.usage, result.cost = totals.usage, totals.cost
                raise MaxStepsExceeded(f"the plan did not finish in {self.max_steps} steps", totals)
            step = remaining.pop(0)
            executed = await self.executor.arun(_step_prompt(task, result.done, step), deps=deps)
            totals.add(executed.usage, executed.cost)
            result.done.append(StepResult(step, executed.output))
            result.output = executed.output
            if self.replanner is None:
                continue
            revised = await self.replanner.arun(_replan_prompt(task, result.done, remaining), deps=deps)
            totals.add(revised.usage, revised.cost)
            if revised.output.answer is not None:
                result.output = revised.output.answer
                break
            remaining = list(revised.output.steps)
            result.plans.append(list(remaining))
        result.usage, result.cost = totals.usage, totals.cost
        return result

    def run(self, task: str, *, deps: Any = None) -> PlanResult:
        from lluminary.sdk import run_sync

        return run_sync(self.arun(task, deps=deps))


def _done_lines(done: Sequence[StepResult]) -> str:
    return "\n".join(f"{i}. {d.step} -> {d.output}" for i, d in enumerate(done, 1)) or "(none yet)"


def _step_prompt(task: str, done: Sequence[StepResult], step: str) -> str:
    return f"Task: {task}\nSteps done:\n{_done_lines(done)}\nNow do this step: {step}"


def _replan_prompt(task: str, done: Sequence[StepResult], remaining: Sequence[str]) -> str:
    left = "\n".join(f"- {s}" for s in remaining) or "(none)"
    return f"Task: {task}\nSteps done:\n{_done_lines(done)}\nSteps left:\n{left}"
