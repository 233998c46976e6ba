"""The ``lluminary`` command line: list plugins and models, chat and embed with any provider.

Plugins add their own subcommands through the ``lluminary_commands(cli)`` hook. Built-in commands
are resolved without importing any plugin; every plugin is loaded (and its hook called) only when a
name is not a built-in command or when the commands are listed (``lluminary --help``).

Every :class:`~lluminary._errors.LluminaryError` ends the process with status 1 and one line on
stderr, ``error: <message>``; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import json
import sys
import traceback
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

import click

if TYPE_CHECKING:
    from ._types import ChatResponse, Usage

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


class LluminaryGroup(click.Group):
    """A group that loads plugin commands on demand and turns errors into one line on stderr."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plugin_commands_loaded = False

    def load_plugin_commands(self) -> None:
        """Load every allowed plugin, then let each add its subcommands. A plugin whose hook raises
        is reported and skipped; the others and the built-in commands keep working."""
        if self._plugin_commands_loaded:
            return
        self._plugin_commands_loaded = True
        from ._plugins import plugin_manager

        manager = plugin_manager()
        manager.load_all()
        for impl in manager.hook.lluminary_commands.get_hookimpls():
            kwargs = {"cli": self} if "cli" in impl.argnames else {}
            try:
                impl.function(**kwargs)
            except Exception as exc:  # noqa: BLE001 - one plugin must not break the CLI
                warnings.warn(
                    f"plugin {impl.plugin_name!r} failed to add its commands: {type(exc).__name__}: {exc}",
                    UserWarning,
                    stacklevel=1,
                )

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and not self._plugin_commands_loaded:
            self.load_plugin_commands()
            command = super().get_command(ctx, cmd_name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load_plugin_commands()
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        from ._errors import LluminaryError

        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except LluminaryError as exc:
            _report(exc, debug, _one_line(str(exc)))
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt as exc:
            _report(exc, debug, "interrupted")
            ctx.exit(EXIT_INTERRUPTED)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, BrokenPipeError):
            raise  # click reports these itself (a closed pipe, as in `lluminary models | head`, silently)
        except Exception as exc:  # noqa: BLE001 - every failure is one line unless --debug
            hint = "" if debug else " (run with --debug for the traceback)"
            _report(exc, debug, f"{type(exc).__name__}: {_one_line(str(exc))}{hint}")
            ctx.exit(EXIT_ERROR)


def _one_line(text: str) -> str:
    return " ".join(text.split()) if "\n" in text else text


def _report(exc: BaseException, debug: bool, line: str) -> None:
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    click.echo(f"error: {line}", err=True)


# --------------------------------------------------------------------------- the group


def make_cli() -> LluminaryGroup:
    """A fresh ``lluminary`` command group (plugin commands are added on first need)."""

    @click.group(cls=LluminaryGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.option("--debug", is_flag=True, help="Show the full traceback when a command fails.")
    @click.version_option(package_name="lluminary", prog_name="lluminary")
    def cli(debug: bool) -> None:
        """One API over every LLM provider.

        Models are named "provider:model", e.g. openai:gpt-4o-mini. Install a provider with
        `pip install lluminary-<provider>`; `lluminary plugins` lists what is installed.
        """

    assert isinstance(cli, LluminaryGroup)
    from ._cli_cache import cache_group
    from ._cli_costs import costs_command

    for command in (plugins_command, models_command, chat_command, embed_command, cache_group, costs_command):
        cli.add_command(command)
    return cli


def main(argv: Sequence[str] | None = None) -> Any:
    """The console script: ``lluminary [--debug] COMMAND ...``."""
    warnings.showwarning = _show_warning
    return make_cli().main(args=list(argv) if argv is not None else None, prog_name="lluminary")


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    click.echo(f"warning: {message}", err=True)


# --------------------------------------------------------------------------- plugins


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def plugins_command(as_json: bool) -> None:
    """List plugins: installed entry points, built-ins and plugins registered in code.

    STATUS is loaded, builtin, registered, blocked (by LLUMINARY_PLUGINS or
    LLUMINARY_DISABLE_PLUGINS) or broken (the error says why).
    """
    from ._plugins import PluginLoadWarning, plugin_manager

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginLoadWarning)  # the listing shows broken plugins itself
        infos = plugin_manager().infos()
    if as_json:
        rows = [
            {
                "name": info.name,
                "version": info.version,
                "distribution": info.distribution,
                "hooks": list(info.hooks),
                "status": info.status,
                "error": info.error,
            }
            for info in infos
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    table = [
        (
            info.name,
            info.version or "-",
            info.status,
            f"error: {info.error}" if info.error else (", ".join(_short_hook(h) for h in info.hooks) or "-"),
        )
        for info in infos
    ]
    _echo_table(("NAME", "VERSION", "STATUS", "HOOKS"), table)


def _short_hook(name: str) -> str:
    return name.removeprefix("lluminary_")


# --------------------------------------------------------------------------- models


@click.command("models")
@click.option("--provider", "-p", metavar="NAME", help="Only the models of this provider prefix.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def models_command(provider: str | None, as_json: bool) -> None:
    """List the model catalogue of every installed provider.

    Prices are US dollars per million tokens; "-" means the catalogue does not say.
    """
    from ._client import Client
    from ._convert import to_dict

    entries = sorted(Client().models(), key=lambda m: m.id)
    if provider:
        entries = [m for m in entries if m.provider == provider]
    if as_json:
        click.echo(json.dumps([to_dict(m) for m in entries], indent=2))
        return
    if not entries:
        where = f" for provider {provider!r}" if provider else ""
        click.echo(f"no models{where} (install a provider: pip install lluminary-<provider>)", err=True)
        return
    rows = [
        (
            m.id,
            f"{m.context_window:,}" if m.context_window else "-",
            _price(m.input_price),
            _price(m.cache_read_price),
            _price(m.cache_write_price),
            _price(m.output_price),
        )
        for m in entries
    ]
    _echo_table(("MODEL", "CONTEXT", "INPUT", "CACHED INPUT", "CACHE WRITE", "OUTPUT"), rows, right=range(1, 6))


def _price(value: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value:.2f}"
    if float(text) != value:
        text = f"{value:.6f}".rstrip("0")
    return f"${text}"


# --------------------------------------------------------------------------- chat


@click.command("chat")
@click.argument("model")
@click.argument("prompt", required=False)
@click.option("--system", "-s", help="System prompt.")
@click.option("--no-stream", is_flag=True, help="Wait for the whole answer instead of streaming it.")
@click.option("--json", "as_json", is_flag=True, help="Print the final response as JSON.")
@click.option("--temperature", "-t", type=float, help="Sampling temperature.")
@click.option("--max-tokens", type=click.IntRange(min=1), help="Most tokens to generate.")
@click.option(
    "--reasoning",
    type=click.Choice(["minimal", "low", "medium", "high"]),
    help="Reasoning effort, for models that reason.",
)
@click.option("--verbose", "-v", is_flag=True, help="Print usage and cost on stderr after the answer.")
def chat_command(
    model: str,
    prompt: str | None,
    system: str | None,
    no_stream: bool,
    as_json: bool,
    temperature: float | None,
    max_tokens: int | None,
    reasoning: str | None,
    verbose: bool,
) -> None:
    """Send PROMPT to MODEL ("provider:model") and print the answer as it arrives.

    Without PROMPT (or with "-") the prompt is read from stdin. Reasoning, when the model
    shows it, goes to stderr, so stdout holds only the answer.
    """
    from ._client import Client
    from ._convert import to_json

    text = _read_prompt(prompt)
    kwargs: dict[str, Any] = {
        "system": system,
        "temperature": temperature,
        "max_tokens": max_tokens,
        "reasoning": reasoning,
    }
    client = Client()
    if no_stream:
        response = client.generate(model, text, **kwargs)
        if not as_json:
            if response.reasoning:
                _echo_reasoning(response.reasoning)
                click.echo(err=True)
            click.echo(response.text)
    elif as_json:
        with client.stream(model, text, **kwargs) as stream:
            response = stream.response()
    else:
        response = _print_stream(client, model, text, kwargs)
    if as_json:
        click.echo(to_json(response))
    if verbose:
        click.echo(_usage_line(response), err=True)


def _read_prompt(prompt: str | None) -> str:
    if prompt is not None and prompt != "-":
        return prompt
    stdin = sys.stdin
    if prompt is None and stdin.isatty():
        raise click.UsageError("no PROMPT given and nothing piped on stdin")
    text = stdin.read()
    if not text.strip():
        raise click.UsageError("the prompt read from stdin is empty")
    return text


def _print_stream(client: Any, model: str, text: str, kwargs: dict[str, Any]) -> ChatResponse:
    from ._types import ReasoningDelta, TextDelta

    wrote_text = False
    last_char = "\n"
    in_reasoning = False
    stream = client.stream(model, text, **kwargs)
    try:
        with stream:
            for event in stream:
                kind = type(event)
                if kind is TextDelta:
                    if not event.text:
                        continue
                    if in_reasoning:
                        click.echo(err=True)
                        in_reasoning = False
                    click.echo(event.text, nl=False)  # click.echo flushes every write
                    wrote_text = True
                    last_char = event.text[-1]
                elif kind is ReasoningDelta and event.text:
                    _echo_reasoning(event.text)
                    in_reasoning = True
            response: ChatResponse = stream.response()
    finally:
        if in_reasoning:
            click.echo(err=True)
        if wrote_text and last_char != "\n":
            click.echo()
    return response


def _echo_reasoning(text: str) -> None:
    click.echo(click.style(text, dim=True), nl=False, err=True)


def _usage_line(response: ChatResponse) -> str:
    usage: Usage = response.usage
    details = []
    if usage.cache_read_tokens:
        details.append(f"{usage.cache_read_tokens} cache read")
    if usage.cache_write_tokens:
        details.append(f"{usage.cache_write_tokens} cache write")
    inputs = f"{usage.input_tokens} input" + (f" ({', '.join(details)})" if details else "")
    outputs = f"{usage.output_tokens} output" + (
        f" ({usage.reasoning_tokens} reasoning)" if usage.reasoning_tokens else ""
    )
    cost = f"${response.cost.total:.6f}" if response.cost is not None else "unknown (model not in the catalogue)"
    cached = ", served from cache" if response.cached else ""
    model = f"{response.provider}:{response.model}" if response.provider and response.model else response.model
    return f"{model}: {inputs} + {outputs} tokens, cost {cost}{cached}"


# --------------------------------------------------------------------------- embed


@click.command("embed")
@click.argument("model")
@click.argument("texts", nargs=-1)
@click.option("--dimensions", type=click.IntRange(min=1), help="Vector size, for models that can shorten vectors.")
@click.option(
    "--input-type",
    type=click.Choice(["query", "document", "classification", "clustering"]),
    help="What the texts are for; models that embed questions and documents differently use it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole response (vectors, usage, cost) as JSON.")
def embed_command(
    model: str, texts: tuple[str, ...], dimensions: int | None, input_type: str | None, as_json: bool
) -> None:
    """Embed each TEXT with MODEL and print one JSON vector per line, in order.

    Without TEXT, every non-blank line of stdin is one text.
    """
    from ._client import Client
    from ._convert import to_json

    inputs = list(texts) if texts else _read_lines()
    response = Client().embed(model, inputs, dimensions=dimensions, input_type=input_type)  # type: ignore[arg-type]
    if as_json:
        click.echo(to_json(response))
        return
    for vector in response.embeddings:
        click.echo(json.dumps(vector))


def _read_lines() -> list[str]:
    stdin = sys.stdin
    if stdin.isatty():
        raise click.UsageError("no TEXT given and nothing piped on stdin")
    lines = [line.rstrip("\r\n") for line in stdin if line.strip()]
    if not lines:
        raise click.UsageError("no text to embed on stdin")
    return lines


# --------------------------------------------------------------------------- tables


def _echo_table(headers: Sequence[str], rows: Iterable[Sequence[str]], right: Iterable[int] = ()) -> None:
    data = [list(headers), *(list(r) for r in rows)]
    widths = [max(len(row[i]) for row in data) for i in range(len(headers))]
    align_right = set(right)
    for row in data:
        cells = (cell.rjust(widths[i]) if i in align_right else cell.ljust(widths[i]) for i, cell in enumerate(row))
        click.echo("  ".join(cells).rstrip())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
