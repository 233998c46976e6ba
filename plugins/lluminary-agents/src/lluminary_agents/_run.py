"""The loop of one run, as an async generator of agent events: a model turn (streamed, so its
deltas reach the caller live), then the tools it called, run concurrently, until the model gives
its answer or a limit ends the run with a typed error that carries the partial run."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lluminary import (
    Cost,
    MalformedResponseError,
    Message,
    OutputValidationError,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallPart,
    ToolCallStart,
    ToolResultPart,
)

from ._context import RunContext
from ._errors import MaxCostExceeded, MaxStepsExceeded, RunStopped, RunTimeout
from ._events import (
    AgentEvent,
    ApprovalRequested,
    FinalOutput,
    ReasoningChunk,
    StepFinished,
    TextChunk,
    ToolArgumentsChunk,
    ToolCallStarted,
    ToolExecuted,
    ToolFailed,
)
from ._output import FINAL_TOOL, is_text, parse_output
from ._state import RunState, StepRecord
from ._tools import ArgumentError
from ._trace import Span, current_parent

if TYPE_CHECKING:
    from ._agent import Agent

#: What the model is told when it answered in text but a typed answer was asked for.
_ZERO = Cost()
#: The result of a tool call the run did not wait for.
UNFINISHED = "the run ended before this tool call finished"
ASK_FOR_FINAL = "Give your answer by calling the final_result tool with the answer as its arguments."


class Run:
    """One run of ``agent`` over ``state``; iterate :meth:`events` once."""

    def __init__(self, agent: Agent[Any], state: RunState, deps: Any) -> None:
        self.agent = agent
        self.state = state
        self.context: RunContext[Any] = RunContext(deps, state, agent.name, agent.client)
        self.deadline: float | None = None
        self.span: Span | None = None

    async def events(self) -> AsyncIterator[AgentEvent]:
        agent, state = self.agent, self.state
        if agent.timeout is not None:
            self.deadline = asyncio.get_running_loop().time() + agent.timeout
        self.span = Span(
            agent.client, state.run_id, "invoke_agent", agent.model, current_parent.get(), agent.trace_metadata
        )
        token = current_parent.set(state.run_id)
        try:
            if state.status == "paused":
                async for event in self._resume():
                    yield event
            while state.status == "running":
                async for event in self._step():
                    yield event
        except TimeoutError:
            error = RunTimeout(f"the run took longer than {agent.timeout} s", state)
            self.span.fail(error)
            raise error from None
        except BaseException as exc:
            self.span.fail(exc)
            raise
        finally:
            try:
                current_parent.reset(token)
            except ValueError:  # closed from another context (an abandoned stream collected later)
                pass
        if state.status == "finished":
            self.span.end(state.usage, state.cost, "stop")
            if agent.memory is not None:
                await agent.memory.remember(state.messages[state.recalled :], agent)
            yield FinalOutput(len(state.steps), state.output)
        else:
            self.span.end(state.usage, state.cost, "paused")

    # ------------------------------------------------------------------ one step

    async def _step(self) -> AsyncIterator[AgentEvent]:
        agent, state = self.agent, self.state
        if len(state.steps) >= agent.max_steps:
            raise MaxStepsExceeded(f"no answer after {agent.max_steps} steps", state)
        self._check_cost()
        index = len(state.steps) + 1
        started = time.perf_counter()
        stream = agent.client.astream(
            agent.model,
            messages=tuple(state.messages),
            system=agent.instructions or None,
            tools=agent.definitions,
            parent_id=state.run_id,
            **agent.model_options,
        )
        source: AsyncIterator[StreamEvent] = stream if self.deadline is None else _within(stream, self.deadline)
        last_tool = ""
        try:
            async for event in source:
                if type(event) is TextDelta:
                    if event.text:
                        yield TextChunk(index, event.text)
                elif type(event) is ToolCallDelta:
                    yield ToolArgumentsChunk(index, event.index, event.arguments)
                elif type(event) is ToolCallStart:
                    last_tool = event.name
                    yield ToolCallStarted(index, event.index, event.id, event.name)
                elif type(event) is ReasoningDelta and event.text:
                    yield ReasoningChunk(index, event.text)
        except MalformedResponseError as exc:
            if exc.raw_arguments is None:
                raise
            # Arguments that are not JSON: the call cannot be answered by id, so the model is
            # told in a user turn and asked again (the step counts).
            message = f"Your call of tool {last_tool!r} had arguments that are not valid JSON ({exc}). Call it again."
            state.steps.append(
                StepRecord(index, agent.model, finish_reason="error", duration=time.perf_counter() - started)
            )
            state.messages.append(Message.user(message))
            yield ToolFailed(index, "", last_tool, {}, message, "invalid_json", 0.0)
            yield StepFinished(index, 0, state.usage, state.cost)
            return
        finally:
            await stream.aclose()
        response = stream.final
        assert response is not None
        state.add(response.usage, response.cost)
        calls = response.tool_calls
        state.steps.append(
            StepRecord(
                index,
                response.model or agent.model,
                response.usage,
                response.cost or _ZERO,
                tuple(c.name for c in calls),
                response.finish_reason,
                time.perf_counter() - started,
            )
        )
        state.messages.append(response.message)
        if not calls:
            self._answer_in_text(response.text)
            self._check_cost()
            yield StepFinished(index, 0, state.usage, state.cost)
            return
        waiting = [c.id for c in calls if self._needs_approval(c.name)]
        if waiting:
            state.status = "paused"
            state.pending = tuple(waiting)
            yield StepFinished(index, len(calls), state.usage, state.cost)
            yield ApprovalRequested(index, tuple(waiting))
            return
        async for happened in self._tools(index, calls):
            yield happened

    def _answer_in_text(self, text: str) -> None:
        agent, state = self.agent, self.state
        if is_text(agent.output_type):
            state.output, state.status = text, "finished"
            return
        try:
            state.output = parse_output(_typed(agent.output_type), text)
            state.status = "finished"
        except OutputValidationError:
            state.messages.append(Message.user(ASK_FOR_FINAL))

    async def _resume(self) -> AsyncIterator[AgentEvent]:
        from lluminary import RequestValidationError

        state = self.state
        if state.undecided:
            raise RequestValidationError(f"approve or deny every pending tool call first: {state.undecided}")
        last = next((m for m in reversed(state.messages) if m.role == "assistant"), None)
        calls = last.tool_calls if last is not None else ()
        state.status = "running"
        async for event in self._tools(len(state.steps), calls):
            yield event
        state.pending, state.decisions = (), {}

    # ------------------------------------------------------------------ tools

    async def _tools(self, index: int, calls: Sequence[ToolCallPart]) -> AsyncIterator[AgentEvent]:
        """Run the step's tool calls concurrently (at most ``max_parallel_tools`` at once); events
        come as each call finishes, results go back in call order."""
        agent, state = self.agent, self.state
        results: dict[str, ToolResultPart] = {}
        done: asyncio.Queue[AgentEvent] = asyncio.Queue()
        limit = asyncio.Semaphore(agent.max_parallel_tools)
        final: list[Any] = []
        tasks = []
        for call in calls:
            if call.name == FINAL_TOOL and not is_text(agent.output_type):
                results[call.id] = self._final(index, call, final, done)
            else:
                tasks.append(asyncio.create_task(self._one(index, call, limit, results, done)))
        try:
            for _ in range(len(calls)):
                if self.deadline is None:
                    event = await done.get()
                else:
                    async with asyncio.timeout_at(self.deadline):
                        event = await done.get()
                yield event
        except BaseException:
            # The run ends here (a timeout, a cancellation): every call still gets a result, so
            # the saved conversation stays one a model accepts.
            for call in calls:
                if call.id not in results:
                    results[call.id] = ToolResultPart(call.id, UNFINISHED, True, call.name)
            raise
        finally:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            if len(results) == len(calls):
                state.messages.append(Message("tool", tuple(results[c.id] for c in calls)))
        self._check_cost()
        yield StepFinished(index, len(calls), state.usage, state.cost)
        if final:
            state.output, state.status = final[0], "finished"
        elif self.context.stop_reason is not None:
            raise RunStopped(self.context.stop_reason, state)

    def _final(
        self, index: int, call: ToolCallPart, final: list[Any], done: asyncio.Queue[AgentEvent]
    ) -> ToolResultPart:
        try:
            value = parse_output(_typed(self.agent.output_type), dict(call.arguments))
        except OutputValidationError as exc:
            done.put_nowait(ToolFailed(index, call.id, call.name, call.arguments, str(exc), "output", 0.0))
            return ToolResultPart(call.id, f"{exc}. Call final_result again with a valid answer.", True, call.name)
        final.append(value)
        done.put_nowait(ToolExecuted(index, call.id, call.name, call.arguments, "answer accepted", 0.0))
        return ToolResultPart(call.id, "answer accepted", False, call.name)

    async def _one(
        self,
        index: int,
        call: ToolCallPart,
        limit: asyncio.Semaphore,
        results: dict[str, ToolResultPart],
        done: asyncio.Queue[AgentEvent],
    ) -> None:
        agent = self.agent
        tool = agent.tool_for(call.name)
        async with limit:
            started = time.perf_counter()
            span = Span(
                agent.client,
                call.id or _fresh(),
                "execute_tool",
                agent.model,
                self.state.run_id,
                {"gen_ai.tool.name": call.name, "gen_ai.tool.call.id": call.id, **agent.trace_metadata},
            )
            error, kind = "", ""
            token = current_parent.set(span.call_id)
            try:
                if tool is None:
                    error, kind = f"there is no tool named {call.name!r} (tools: {agent.tool_names})", "unknown"
                elif tool.requires_approval and not self._approved(call.id):
                    error, kind = self.state.decisions[call.id].reason, "denied"
                else:
                    value = await tool.call(call.arguments, self.context)
                    text = render(value)
            except ArgumentError as exc:
                error, kind = str(exc), "arguments"
            except TimeoutError:
                error, kind = f"tool {call.name!r} timed out after {tool.timeout if tool else 0} s", "timeout"
            except Exception as exc:  # noqa: BLE001 - a failing tool goes back to the model
                error, kind = f"tool {call.name!r} failed: {type(exc).__name__}: {exc}", "exception"
            finally:
                current_parent.reset(token)
            duration = time.perf_counter() - started
        if kind:
            span.fail(error)
            results[call.id] = ToolResultPart(call.id, error, True, call.name)
            done.put_nowait(ToolFailed(index, call.id, call.name, call.arguments, error, kind, duration))
        else:
            span.end()
            results[call.id] = ToolResultPart(call.id, text, False, call.name)
            done.put_nowait(ToolExecuted(index, call.id, call.name, call.arguments, text, duration))

    def _needs_approval(self, name: str) -> bool:
        found = self.agent.tool_for(name)
        return found is not None and found.requires_approval

    def _approved(self, call_id: str) -> bool:
        decision = self.state.decisions.get(call_id)
        return decision is not None and decision.approved

    def _check_cost(self) -> None:
        limit = self.agent.max_cost
        if limit is not None and self.state.cost.total > limit:
            raise MaxCostExceeded(f"the run spent ${self.state.cost.total:.6f}, over its ${limit} limit", self.state)


def render(value: Any) -> str:
    """A tool's return value as the text the model reads."""
    if isinstance(value, str):
        return value
    dump = getattr(value, "model_dump_json", None)
    if callable(dump):
        return str(dump())
    if hasattr(value, "__attrs_attrs__") or hasattr(value, "__dataclass_fields__"):
        import cattrs

        value = cattrs.Converter().unstructure(value)
    if isinstance(value, (Mapping, list, tuple, int, float, bool)) or value is None:
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


async def _within(events: AsyncIterable[StreamEvent], deadline: float) -> AsyncIterator[StreamEvent]:
    """``events``, each awaited only until ``deadline`` (loop time)."""
    iterator = events.__aiter__()
    while True:
        async with asyncio.timeout_at(deadline):
            try:
                event = await iterator.__anext__()
            except StopAsyncIteration:
                return
        yield event


def _typed(output_type: type[Any] | None) -> type[Any]:
    assert output_type is not None
    return output_type


def _fresh() -> str:
    from ._trace import new_id

    return new_id()
