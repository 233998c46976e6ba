"""The :class:`Agent`: a model, instructions and tools, run as a loop until a typed answer or a
limit, with ``run()``, ``arun()`` and ``stream()``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import lluminary
from lluminary import Message, RequestValidationError, Tool
from lluminary.sdk import run_sync

from ._events import AgentEvent
from ._output import final_tool, is_text
from ._result import RunResult, result_of
from ._state import RunState
from ._tools import AgentTool, as_tool

if TYPE_CHECKING:
    from ._memory import Memory

Out = TypeVar("Out")

#: Model turns a run may take unless told otherwise: enough for real work, never forever.
DEFAULT_MAX_STEPS = 10


class Agent(Generic[Out]):
    """An agent over any provider.

    ``model``: ``"provider:model"``. ``instructions``: the system prompt. ``tools``: functions or
    :class:`AgentTool`\\ s. ``output_type``: ``str`` (default) or a pydantic model, attrs class,
    dataclass or TypedDict the answer is parsed into. ``memory``: carries conversations across
    runs. ``max_steps`` (model turns), ``max_cost`` (US dollars) and ``timeout`` (seconds) end a
    run with :class:`MaxStepsExceeded`, :class:`MaxCostExceeded` or :class:`RunTimeout`, each
    carrying the partial run. ``tool_timeout``: seconds each tool may take (a tool's own
    ``timeout`` wins). ``max_parallel_tools``: tool calls of one step run at once, at most this
    many. ``client``: the :class:`lluminary.Client` (default: lluminary's default client), whose
    retries, fallbacks, cache and tracing apply to every step. ``model_options``: more arguments
    for each model call (``temperature``, ``max_tokens``, ``reasoning``, ...).
    """

    @overload
    def __init__(
        self: Agent[str],
        model: str,
        instructions: str = "",
        tools: Iterable[Callable[..., Any] | AgentTool] = (),
        *,
        output_type: None = None,
        memory: Memory | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
        max_cost: float | None = None,
        timeout: float | None = None,
        tool_timeout: float | None = None,
        max_parallel_tools: int = 16,
        client: lluminary.Client | None = None,
        name: str = "agent",
        model_options: Mapping[str, Any] | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self: Agent[Out],
        model: str,
        instructions: str = "",
        tools: Iterable[Callable[..., Any] | AgentTool] = (),
        *,
        output_type: type[Out],
        memory: Memory | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
        max_cost: float | None = None,
        timeout: float | None = None,
        tool_timeout: float | None = None,
        max_parallel_tools: int = 16,
        client: lluminary.Client | None = None,
        name: str = "agent",
        model_options: Mapping[str, Any] | None = None,
    ) -> None: ...

    def __init__(
        self,
        model: str,
        instructions: str = "",
        tools: Iterable[Callable[..., Any] | AgentTool] = (),
        *,
        output_type: type[Any] | None = None,
        memory: Memory | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
        max_cost: float | None = None,
        timeout: float | None = None,
        tool_timeout: float | None = None,
        max_parallel_tools: int = 16,
        client: lluminary.Client | None = None,
        name: str = "agent",
        model_options: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(model, str) or ":" not in model:
            raise RequestValidationError(f"model must be 'provider:model', got {model!r}")
        _positive("max_steps", max_steps, whole=True)
        _positive("max_parallel_tools", max_parallel_tools, whole=True)
        for label, value in (("max_cost", max_cost), ("timeout", timeout), ("tool_timeout", tool_timeout)):
            if value is not None:
                _positive(label, value)
        self.model = model
        self.instructions = instructions
        self.output_type = output_type
        self.memory = memory
        self.max_steps = max_steps
        self.max_cost = max_cost
        self.timeout = timeout
        self.max_parallel_tools = max_parallel_tools
        self.name = name
        self.model_options: dict[str, Any] = dict(model_options or {})
        self._client = client
        self.tools: dict[str, AgentTool] = {}
        for fn in tools:
            agent_tool = as_tool(fn)
            if tool_timeout is not None and agent_tool.timeout is None:
                import attrs

                agent_tool = attrs.evolve(agent_tool, timeout=tool_timeout)
            if agent_tool.name in self.tools:
                raise RequestValidationError(f"two tools are named {agent_tool.name!r}")
            self.tools[agent_tool.name] = agent_tool
        definitions: list[Tool] = [t.definition for t in self.tools.values()]
        if not is_text(output_type):
            assert output_type is not None
            if "final_result" in self.tools:
                raise RequestValidationError("a tool named 'final_result' clashes with the typed answer's tool")
            definitions.append(final_tool(output_type))
        self.definitions = tuple(definitions)
        self.trace_metadata: Mapping[str, str] = {"gen_ai.agent.name": name}

    def __repr__(self) -> str:
        return f"<Agent {self.name!r} model={self.model!r} tools={self.tool_names}>"

    @property
    def client(self) -> lluminary.Client:
        return self._client if self._client is not None else lluminary.default_client()

    @property
    def tool_names(self) -> list[str]:
        return list(self.tools)

    def tool_for(self, name: str) -> AgentTool | None:
        return self.tools.get(name)

    # ------------------------------------------------------------------ running

    async def arun(
        self,
        prompt: str | None = None,
        *,
        deps: Any = None,
        state: RunState | None = None,
        messages: Sequence[Message] = (),
    ) -> RunResult[Out]:
        """Run until the answer (or a pause for approval); ``state=`` resumes a saved run."""
        stream = self.stream(prompt, deps=deps, state=state, messages=messages)
        async for _ in stream:
            pass
        return stream.result

    def run(
        self,
        prompt: str | None = None,
        *,
        deps: Any = None,
        state: RunState | None = None,
        messages: Sequence[Message] = (),
    ) -> RunResult[Out]:
        """The sync face of :meth:`arun`."""
        return run_sync(self.arun(prompt, deps=deps, state=state, messages=messages))

    def stream(
        self,
        prompt: str | None = None,
        *,
        deps: Any = None,
        state: RunState | None = None,
        messages: Sequence[Message] = (),
    ) -> AgentStream[Out]:
        """The run's events as they happen (``async for event in agent.stream(...)``): text and
        reasoning deltas, tool calls and their results, step ends, the final output. After the
        loop, ``.result`` is the :class:`RunResult`."""
        return AgentStream(self, prompt, deps, state, messages)

    async def _start(self, prompt: str | None, state: RunState | None, messages: Sequence[Message]) -> RunState:
        from ._trace import new_id

        if state is not None:
            if prompt is not None or messages:
                raise RequestValidationError("resume a run with state= alone, without a prompt or messages")
            if state.status == "finished":
                raise RequestValidationError("this run is finished: start a new one with a prompt")
            return state
        turn = list(messages)
        if prompt is not None:
            turn.append(Message.user(prompt))
        if not turn:
            raise RequestValidationError("give the run a prompt or messages")
        history = await self.memory.recall(prompt or turn[-1].text, self) if self.memory is not None else []
        return RunState(messages=[*history, *turn], run_id=new_id(), recalled=len(history))

    # ------------------------------------------------------------------ composition

    def as_tool(self, name: str | None = None, description: str | None = None) -> AgentTool:
        """This agent as a tool of another (a handoff): the other agent's model gives it a task,
        it runs to its answer, and its usage and cost count in the calling run."""
        from ._handoff import handoff_tool

        return handoff_tool(self, name or self.name, description)


def _positive(label: str, value: Any, *, whole: bool = False) -> None:
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
        raise RequestValidationError(f"{label} must be a positive {'integer' if whole else 'number'}, got {value!r}")


class AgentStream(Generic[Out]):
    """One streamed run: iterate it once; then :attr:`result` holds the outcome."""

    def __init__(
        self, agent: Agent[Out], prompt: str | None, deps: Any, state: RunState | None, messages: Sequence[Message]
    ) -> None:
        self._agent = agent
        self._args = (prompt, state, messages)
        self._deps = deps
        self.state: RunState | None = None

    async def __aiter__(self) -> AsyncIterator[AgentEvent]:
        from ._run import Run

        if self.state is not None:
            raise RequestValidationError("an agent stream can be iterated only once")
        self.state = await self._agent._start(*self._args)
        async for event in Run(self._agent, self.state, self._deps).events():
            yield event

    @property
    def result(self) -> RunResult[Out]:
        """The run's outcome, once the stream is done (a run that raised has none: see the error's
        ``state``)."""
        if self.state is None or self.state.status == "running":
            raise RequestValidationError("the stream has not finished")
        return result_of(self.state)
