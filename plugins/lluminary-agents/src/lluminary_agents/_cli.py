"""``lluminary agent run --model M --tool module:function "task"``: run an agent from the shell and
watch it work. The answer streams to stdout; tool calls and their results to stderr (``--json``:
every event as a JSON line on stdout instead)."""

from __future__ import annotations

import importlib
import json
from typing import Any

import click


def agent_group() -> click.Group:
    @click.group("agent")
    def agent() -> None:
        """Run agents (lluminary-agents)."""

    agent.add_command(run_command)
    return agent


def load_tool(spec: str) -> Any:
    """``module:function`` (``package.module:name``) as the function it names."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise click.BadParameter(f"{spec!r} is not module:function", param_hint="--tool")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise click.BadParameter(f"cannot import {module_name!r}: {exc}", param_hint="--tool") from None
    target: Any = module
    for name in attribute.split("."):
        try:
            target = getattr(target, name)
        except AttributeError:
            raise click.BadParameter(f"{module_name!r} has no {attribute!r}", param_hint="--tool") from None
    if not callable(target):
        raise click.BadParameter(f"{spec!r} is not callable", param_hint="--tool")
    return target


@click.command("run")
@click.argument("task")
@click.option("--model", "-m", required=True, help='The model, "provider:model".')
@click.option("--tool", "-t", "tools", multiple=True, metavar="MODULE:FUNCTION", help="A tool (repeat for more).")
@click.option("--instructions", "-i", default="", help="The system prompt.")
@click.option("--max-steps", type=click.IntRange(min=1), default=10, show_default=True, help="Most model turns.")
@click.option("--max-cost", type=click.FloatRange(min=0, min_open=True), help="Most US dollars the run may spend.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Most seconds the run may take.")
@click.option("--json", "as_json", is_flag=True, help="Print every event as a JSON line.")
def run_command(
    task: str,
    model: str,
    tools: tuple[str, ...],
    instructions: str,
    max_steps: int,
    max_cost: float | None,
    timeout: float | None,
    as_json: bool,
) -> None:
    """Run TASK with an agent on MODEL, streaming its events live."""
    import asyncio

    from ._agent import Agent

    functions = [load_tool(spec) for spec in tools]

    async def main() -> None:
        import lluminary

        client = lluminary.Client()
        try:
            agent = Agent(
                model,
                instructions,
                functions,
                max_steps=max_steps,
                max_cost=max_cost,
                timeout=timeout,
                client=client,
                name="cli",
            )
            printer = _Printer(as_json)
            async for event in agent.stream(task):
                printer.show(event)
            printer.close()
        finally:
            await client.aclose()

    asyncio.run(main())


class _Printer:
    """Events as a person reads them, or as JSON lines."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.mid_line = False

    def show(self, event: Any) -> None:
        from ._events import FinalOutput, StepFinished, TextChunk, ToolCallStarted, ToolExecuted, ToolFailed

        if self.as_json:
            click.echo(json.dumps(_event_dict(event), ensure_ascii=False, default=str))
            return
        if isinstance(event, TextChunk):
            click.echo(event.text, nl=False)
            self.mid_line = not event.text.endswith("\n")
        elif isinstance(event, ToolCallStarted):
            self._line(f"-> {event.name} ({event.call_id})")
        elif isinstance(event, ToolExecuted):
            self._line(f"<- {event.name}: {_short(event.result)} [{event.duration * 1000:.0f} ms]")
        elif isinstance(event, ToolFailed):
            self._line(f"!! {event.name} {event.kind}: {_short(event.error)}")
        elif isinstance(event, StepFinished):
            self._line(f"-- step {event.step}: {event.usage.total_tokens} tokens, ${event.cost.total:.6f} so far")
        elif isinstance(event, FinalOutput) and not isinstance(event.output, str):
            click.echo(json.dumps(_event_dict(event)["output"], ensure_ascii=False, default=str))

    def _line(self, text: str) -> None:
        if self.mid_line:
            click.echo()
            self.mid_line = False
        click.echo(click.style(text, dim=True), err=True)

    def close(self) -> None:
        if self.mid_line:
            click.echo()


def _short(text: str, limit: int = 200) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _event_dict(event: Any) -> dict[str, Any]:
    import attrs

    from ._state import _plain

    data = {"type": type(event).__name__}
    for field in attrs.fields(type(event)):
        value = getattr(event, field.name)
        if field.name in ("usage", "cost"):
            from lluminary.sdk import to_dict

            value = to_dict(value)
        elif field.name == "output":
            value = _plain(value)
        elif field.name == "arguments":
            value = dict(value)
        data[field.name] = value
    return data
