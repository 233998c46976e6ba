"""The ``lluminary`` command line, driven through click's CliRunner against the scripted provider.

The scripted provider is registered through the real hooks (``lluminary.register``) in a fresh plugin
manager per test, so nothing leaks between tests and no installed plugin changes the outcome.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import lluminary
import lluminary._client
import lluminary._plugins
from lluminary._cli import make_cli
from lluminary._convert import from_json
from lluminary._errors import AuthenticationError, ConfigurationError, ServerError
from lluminary._plugins import PluginManager
from lluminary._scripted import ScriptedProvider
from lluminary._types import (
    ChatResponse,
    EmbedResponse,
    Finish,
    Message,
    ModelInfo,
    ReasoningDelta,
    ReasoningPart,
    TextDelta,
    TextPart,
    Usage,
    UsageEvent,
)

CATALOGUE = (
    ModelInfo("scripted:small", context_window=128_000, input_price=0.15, output_price=0.6, cache_read_price=0.075),
    ModelInfo("scripted:large", context_window=200_000, input_price=3.0, output_price=15.0, cache_write_price=3.75),
)


class RecordingProvider(ScriptedProvider):
    """The scripted provider, noting whether the kernel asked for a stream or a whole answer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[str] = []

    async def generate(self, request: Any) -> ChatResponse:
        self.calls.append("generate")
        return await super().generate(request)

    def stream(self, request: Any) -> Any:
        self.calls.append("stream")
        return super().stream(request)


@pytest.fixture(autouse=True)
def manager(monkeypatch: pytest.MonkeyPatch) -> PluginManager:
    """A fresh process-wide plugin manager, no cache or exporter from the environment, and an empty
    allow-list: plugins installed in the environment (lluminary-openai, ...) stay out of the way."""
    for name in ("LLUMINARY_CACHE", "LLUMINARY_EXPORTERS", "LLUMINARY_DISABLE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LLUMINARY_PLUGINS", "")
    fresh = PluginManager()
    monkeypatch.setattr(lluminary._plugins, "_manager", fresh)
    return fresh


@pytest.fixture
def provider(manager: PluginManager) -> Iterator[RecordingProvider]:
    scripted = RecordingProvider("scripted", models=CATALOGUE)
    lluminary.register(scripted, name="scripted")
    yield scripted
    lluminary.unregister(scripted)


def run(args: list[str], input: str | None = None) -> Result:
    return CliRunner().invoke(make_cli(), args, input=input)


def answer(text: str, reasoning: str = "") -> ChatResponse:
    parts: list[Any] = [ReasoningPart(reasoning, provider="scripted")] if reasoning else []
    parts.append(TextPart(text))
    return ChatResponse(
        Message("assistant", tuple(parts)),
        usage=Usage(input_tokens=10, output_tokens=4, reasoning_tokens=2 if reasoning else 0),
        model="small",
        provider="scripted",
        id="resp-1",
    )


def assert_one_error_line(result: Result, starts: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith(f"error: {starts}"), result.stderr
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- chat


def test_chat_streams_the_answer_to_stdout_and_reasoning_to_stderr(provider: RecordingProvider) -> None:
    provider.add(
        [
            ReasoningDelta("Thinking it over."),
            TextDelta("Hel"),
            TextDelta("lo"),
            UsageEvent(Usage(3, 2)),
            Finish("stop", model="small"),
        ]
    )
    result = run(["chat", "scripted:small", "Say hello"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Hello\n"
    assert "Thinking it over." in result.stderr
    assert "Thinking" not in result.stdout
    assert provider.calls == ["stream"]
    assert provider.requests[0].messages[-1].text == "Say hello"  # type: ignore[union-attr]


def test_chat_reads_the_prompt_from_stdin(provider: RecordingProvider) -> None:
    result = run(["chat", "scripted:small"], input="a piped question\n")
    assert result.exit_code == 0, result.output
    assert provider.requests[0].messages[-1].text == "a piped question\n"  # type: ignore[union-attr]
    assert result.stdout == "a piped question\n"  # the scripted provider echoes


def test_chat_dash_reads_the_prompt_from_stdin(provider: RecordingProvider) -> None:
    result = run(["chat", "scripted:small", "-"], input="from stdin")
    assert result.exit_code == 0, result.output
    assert result.stdout == "from stdin\n"


def test_chat_with_empty_stdin_is_a_usage_error(provider: RecordingProvider) -> None:
    result = run(["chat", "scripted:small"], input="  \n")
    assert result.exit_code == 2
    assert "empty" in result.stderr
    assert provider.requests == []


def test_chat_passes_system_temperature_and_max_tokens(provider: RecordingProvider) -> None:
    result = run(
        ["chat", "scripted:small", "hi", "--system", "Be brief.", "--temperature", "0.2", "--max-tokens", "64"]
    )
    assert result.exit_code == 0, result.output
    request = provider.requests[0]
    assert request.system == "Be brief."  # type: ignore[union-attr]
    assert request.temperature == 0.2  # type: ignore[union-attr]
    assert request.max_tokens == 64  # type: ignore[union-attr]


def test_chat_no_stream_makes_one_generate_call(provider: RecordingProvider) -> None:
    provider.add(answer("Whole answer.", reasoning="Because."))
    result = run(["chat", "scripted:small", "hi", "--no-stream"])
    assert result.exit_code == 0, result.output
    assert provider.calls == ["generate"]
    assert result.stdout == "Whole answer.\n"
    assert "Because." in result.stderr


@pytest.mark.parametrize("mode", [[], ["--no-stream"]])
def test_chat_json_prints_the_final_response(provider: RecordingProvider, mode: list[str]) -> None:
    provider.add(answer("Structured."))
    result = run(["chat", "scripted:small", "hi", "--json", *mode])
    assert result.exit_code == 0, result.output
    response = from_json(result.stdout, ChatResponse)
    assert response.text == "Structured."
    assert response.usage == Usage(input_tokens=10, output_tokens=4)
    assert response.cost is not None  # priced from the catalogue
    assert response.cost.total == pytest.approx((10 * 0.15 + 4 * 0.6) / 1e6)
    assert provider.calls == (["generate"] if mode else ["stream"])


def test_chat_verbose_prints_usage_and_cost_on_stderr(provider: RecordingProvider) -> None:
    provider.add(answer("Fine.", reasoning="hmm"))
    result = run(["chat", "scripted:small", "hi", "--verbose"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Fine.\n"
    assert "10 input + 4 output (2 reasoning) tokens" in result.stderr
    assert "cost $0.000004" in result.stderr


def test_a_stream_that_fails_midway_keeps_its_text_and_ends_with_one_error_line(provider: RecordingProvider) -> None:
    provider.add([TextDelta("partial"), ServerError("upstream fell over", provider="scripted", status=500)])
    result = run(["chat", "scripted:small", "hi"])
    assert result.stdout == "partial\n"
    assert_one_error_line(result, "scripted HTTP 500: upstream fell over")


def test_unknown_provider_exits_1_with_one_line_and_no_traceback(provider: RecordingProvider) -> None:
    result = run(["chat", "nope:model", "hi"])
    assert_one_error_line(result, "no provider 'nope' is installed (installed providers: scripted)")
    assert "pip install lluminary-nope" in result.stderr


def test_debug_shows_the_traceback(provider: RecordingProvider) -> None:
    result = run(["--debug", "chat", "nope:model", "hi"])
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "UnknownProviderError" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("error: no provider 'nope'")


def test_a_configuration_error_is_printed_as_it_is(provider: RecordingProvider) -> None:
    message = "no API key for scripted: set the SCRIPTED_API_KEY environment variable"
    provider.add(ConfigurationError(message, env_var="SCRIPTED_API_KEY"))
    result = run(["chat", "scripted:small", "hi", "--no-stream"])
    assert_one_error_line(result, message)
    assert result.stderr.strip() == f"error: {message}"


def test_a_provider_error_before_output_is_one_line(provider: RecordingProvider) -> None:
    provider.add(AuthenticationError("invalid x-api-key", provider="scripted", status=401, request_id="req_1"))
    result = run(["chat", "scripted:small", "hi"])
    assert_one_error_line(result, "scripted HTTP 401: invalid x-api-key (request id req_1)")
    assert result.stdout == ""


def test_a_malformed_model_is_one_line(provider: RecordingProvider) -> None:
    result = run(["chat", "gpt-4o", "hi"])
    assert_one_error_line(result, "model must look like 'provider:model'")


def test_ctrl_c_exits_130_with_one_line(provider: RecordingProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(lluminary._client.Client, "stream", interrupted)
    result = run(["chat", "scripted:small", "hi"])
    assert result.exit_code == 130
    assert result.stderr == "error: interrupted\n"


def test_an_unexpected_exception_is_one_line_with_a_hint(
    provider: RecordingProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider.add(RuntimeError("a plugin bug"))
    result = run(["chat", "scripted:small", "hi"])
    assert result.exit_code == 1
    assert result.stderr == "error: RuntimeError: a plugin bug (run with --debug for the traceback)\n"


def test_a_closed_stdout_pipe_ends_quietly(provider: RecordingProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    """`lluminary plugins --json | head -1`: click handles EPIPE; no error line, no traceback."""

    def closed_pipe(*args: object, **kwargs: object) -> list[object]:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(PluginManager, "infos", closed_pipe)
    result = run(["plugins", "--json"])
    assert result.exit_code == 1
    assert result.stderr == ""


# --------------------------------------------------------------------------- embed


def test_embed_prints_one_vector_per_line(provider: RecordingProvider) -> None:
    result = run(["embed", "scripted:embed", "first", "second"])
    assert result.exit_code == 0, result.output
    vectors = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(vectors) == 2
    assert all(len(v) == provider.dimensions for v in vectors)
    assert vectors[0] != vectors[1]


def test_embed_reads_lines_from_stdin_and_json_prints_the_response(provider: RecordingProvider) -> None:
    result = run(["embed", "scripted:embed", "--json", "--dimensions", "4"], input="one\n\ntwo words\n")
    assert result.exit_code == 0, result.output
    response = from_json(result.stdout, EmbedResponse)
    assert len(response.embeddings) == 2
    assert all(len(v) == 4 for v in response.embeddings)
    assert provider.requests[0].inputs == ("one", "two words")  # type: ignore[union-attr]


def test_embed_unknown_provider_is_one_line(provider: RecordingProvider) -> None:
    result = run(["embed", "nope:embed", "x"])
    assert_one_error_line(result, "no provider 'nope' is installed")


# --------------------------------------------------------------------------- models


def test_models_table(provider: RecordingProvider) -> None:
    result = run(["models"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["MODEL", "CONTEXT", "INPUT", "CACHED", "INPUT", "CACHE", "WRITE", "OUTPUT"]
    assert lines[1].split() == ["scripted:large", "200,000", "$3.00", "-", "$3.75", "$15.00"]
    assert lines[2].split() == ["scripted:small", "128,000", "$0.15", "$0.075", "-", "$0.60"]


def test_models_json_and_provider_filter(provider: RecordingProvider, manager: PluginManager) -> None:
    other = ModelInfo("other:m", input_price=1.0, capabilities=frozenset({"tools", "vision"}))
    manager.register(ScriptedProvider("other", models=[other]), name="other")
    result = run(["models", "--json", "--provider", "other"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == ["other:m"]
    assert rows[0]["input_price"] == 1.0
    assert rows[0]["capabilities"] == ["tools", "vision"]
    everything = json.loads(run(["models", "--json"]).stdout)
    assert {row["id"] for row in everything} == {"other:m", "scripted:small", "scripted:large"}


def test_models_with_no_match_says_so(provider: RecordingProvider) -> None:
    result = run(["models", "--provider", "absent"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no models for provider 'absent'" in result.stderr


# --------------------------------------------------------------------------- plugins

GOOD_PLUGIN = """
import click

from lluminary import hookimpl


@hookimpl
def lluminary_commands(cli):
    @cli.command("kcl-hello")
    def hello():
        '''Say hello from a plugin.'''
        click.echo("hello from a plugin")
"""
BROKEN_PLUGIN = "raise RuntimeError('this plugin is broken on purpose')\n"
BAD_COMMANDS_PLUGIN = """
from lluminary import hookimpl


@hookimpl
def lluminary_commands(cli):
    raise ValueError("cannot add commands")
"""
FIXTURE_MODULES = {
    "kclgood": ("lluminary_kernel_cli_good", GOOD_PLUGIN),
    "kclbroken": ("lluminary_kernel_cli_broken", BROKEN_PLUGIN),
    "kclbadcmd": ("lluminary_kernel_cli_badcmd", BAD_COMMANDS_PLUGIN),
}


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, manager: PluginManager) -> Iterator[Path]:
    """A throwaway distribution ``lluminary-kcl-fixture`` 9.9.9 with three entry points: a working
    plugin that adds a command, one that raises on import, one whose command hook raises. The
    allow-list keeps any really installed plugin out of the way."""
    dist_info = tmp_path / "lluminary_kcl_fixture-9.9.9.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: lluminary-kcl-fixture\nVersion: 9.9.9\n")
    lines = [f"{name} = {module}" for name, (module, _) in FIXTURE_MODULES.items()]
    (dist_info / "entry_points.txt").write_text("[lluminary]\n" + "\n".join(lines) + "\n")
    for module, source in FIXTURE_MODULES.values():
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("LLUMINARY_PLUGINS", ",".join(FIXTURE_MODULES))
    yield tmp_path
    for module, _ in FIXTURE_MODULES.values():
        sys.modules.pop(module, None)


def test_plugins_lists_builtins_and_registered_providers(provider: RecordingProvider) -> None:
    result = run(["plugins"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    assert rows["scripted"][1:3] == ["-", "registered"]
    assert "generate," in rows["scripted"]
    assert "stream" in rows["scripted"]
    assert rows["lluminary.memory_cache"][1:] == ["-", "builtin", "cache"]


@pytest.mark.filterwarnings("ignore::lluminary._plugins.PluginLoadWarning")
def test_plugins_json_shows_a_broken_plugin_with_its_error(installed: Path) -> None:
    with pytest.warns(UserWarning, match="failed to add its commands"):
        # plugin commands are loaded only for a name that is not built in, or for --help
        assert run(["--help"]).exit_code == 0
    result = run(["plugins", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(rows["kclbroken"]) == {"name", "version", "distribution", "hooks", "status", "error"}
    assert rows["kclbroken"]["status"] == "broken"
    assert rows["kclbroken"]["error"] == "RuntimeError: this plugin is broken on purpose"
    assert rows["kclbroken"]["version"] == "9.9.9"
    assert rows["kclgood"] == {
        "name": "kclgood",
        "version": "9.9.9",
        "distribution": "lluminary-kcl-fixture",
        "hooks": ["lluminary_commands"],
        "status": "loaded",
        "error": None,
    }
    assert rows["lluminary.noop_trace"]["status"] == "builtin"


def test_plugins_table_shows_a_broken_plugin_with_its_error(installed: Path) -> None:
    result = run(["plugins"])
    assert result.exit_code == 0, result.output
    broken = next(line for line in result.stdout.splitlines() if line.startswith("kclbroken"))
    assert broken.split()[:3] == ["kclbroken", "9.9.9", "broken"]
    assert "error: RuntimeError: this plugin is broken on purpose" in broken


@pytest.mark.filterwarnings("ignore::lluminary._plugins.PluginLoadWarning")
def test_plugins_add_commands_and_a_failing_hook_breaks_nothing(installed: Path) -> None:
    with pytest.warns(UserWarning, match="'kclbadcmd' failed to add its commands: ValueError"):
        help_result = run(["--help"])
    assert "kcl-hello" in help_result.stdout
    with pytest.warns(UserWarning, match="failed to add its commands"):
        result = run(["kcl-hello"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello from a plugin\n"


@pytest.mark.filterwarnings("ignore::lluminary._plugins.PluginLoadWarning")
def test_chat_with_a_broken_provider_plugin_is_one_line_with_its_error(installed: Path) -> None:
    result = run(["chat", "kclbroken:model", "hi"])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert "RuntimeError: this plugin is broken on purpose" in errors[0]
    assert "Traceback" not in result.stderr


def test_a_builtin_command_loads_no_plugin(installed: Path, manager: PluginManager) -> None:
    assert run(["embed", "nope:x", "--help"]).exit_code == 0
    assert "lluminary_kernel_cli_good" not in sys.modules


# --------------------------------------------------------------------------- the real console script


def _console_script() -> str:
    script = Path(sys.executable).with_name("lluminary")
    found = str(script) if script.exists() else shutil.which("lluminary")
    if found is None:
        pytest.skip("the lluminary console script is not installed (pip install -e core)")
    return found


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LLUMINARY_")}


@pytest.mark.integration
def test_console_script_plugins_json() -> None:
    done = subprocess.run(
        [_console_script(), "plugins", "--json"], capture_output=True, text=True, timeout=60, env=_clean_env()
    )
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert rows["lluminary.memory_cache"]["status"] == "builtin"
    assert rows["lluminary.memory_cache"]["hooks"] == ["lluminary_cache"]


@pytest.mark.integration
def test_console_script_failure_is_one_line() -> None:
    done = subprocess.run(
        [_console_script(), "chat", "surely-not-installed:model", "hi"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_clean_env(),
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    lines = [line for line in done.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: no provider 'surely-not-installed' is installed")


def test_cache_stats_and_clear() -> None:
    """``lluminary cache stats URL`` reports what the backend holds; ``clear`` asks first."""
    import asyncio

    from lluminary._cache import cache_key
    from lluminary._requests import build_chat_request

    url = "memory://cli-cache-test"
    backend = lluminary.Client().open_cache(url)
    request = build_chat_request("scripted:m", "hi")
    asyncio.run(backend.set(cache_key(request), ChatResponse(Message.assistant("hello"))))
    stats = run(["cache", "stats", url, "--json"])
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.stdout) == {"backend": "MemoryCache", "entries": 1, "max_entries": 1024, "ttl": None}
    table = run(["cache", "stats", url])
    assert "entries      1" in table.stdout
    refused = run(["cache", "clear", url], input="n\n")
    assert refused.exit_code == 1
    assert json.loads(run(["cache", "stats", url, "--json"]).stdout)["entries"] == 1
    cleared = run(["cache", "clear", url], input="y\n")
    assert cleared.exit_code == 0, cleared.output
    assert "cleared memory://cli-cache-test" in cleared.stdout
    assert json.loads(run(["cache", "stats", url, "--json"]).stdout)["entries"] == 0
    unknown = run(["cache", "stats", "nowhere://x"])
    assert unknown.exit_code != 0
    assert "nowhere" in unknown.output


def test_embed_passes_the_input_type(provider: RecordingProvider) -> None:
    result = run(["embed", "scripted:embed", "--input-type", "document", "a passage"])
    assert result.exit_code == 0, result.output
    assert provider.requests[-1].input_type == "document"  # type: ignore[union-attr]
    assert run(["embed", "scripted:embed", "--input-type", "essay", "x"]).exit_code == 2
