"""The offline demo drives the real plugins end to end against the fake servers."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("lluminary_openai", reason="the demo needs lluminary-openai installed")
pytest.importorskip("lluminary_anthropic", reason="the demo needs lluminary-anthropic installed")
pytest.importorskip("lluminary_local", reason="the demo needs lluminary-local installed")
pytest.importorskip("lluminary_faiss", reason="the demo needs lluminary-faiss installed")
pytest.importorskip("lluminary_agents", reason="the demo needs lluminary-agents installed")


def test_demo_runs_every_step_through_the_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Troubleshooting: run `lluminary demo` by hand; the step that fails names the plugin at fault."""
    from lluminary_testing.demo import run

    for name in ("LLUMINARY_PLUGINS", "LLUMINARY_DISABLE_PLUGINS", "LLUMINARY_CACHE", "LLUMINARY_EXPORTERS"):
        monkeypatch.delenv(name, raising=False)
    out = io.StringIO()
    run(out)
    text = out.getvalue()
    assert "LOCAL SIMULATIONS" in text
    assert "Because the first words arrive" in text
    assert "tool call complete: get_weather({'city': 'Paris'})" in text
    assert "take an umbrella." in text
    assert "3 vectors of 1536 dimensions" in text
    assert "cached=True" in text
    assert "requests that reached the server: 0" in text
    assert "same text as the streamed answer: True" in text
    assert "30 passages embedded offline with local:e5-small into a FAISS index" in text
    assert "[1] " in text
    assert "The Danube flows through ten countries" in text
    assert "cited: The Danube flows through ten countries" in text
    assert "step 1 tool call 0: current_weather (id toolu_agent01)" in text
    assert "step 1 tool call 1: current_weather (id toolu_agent02)" in text
    assert "ran current_weather({'city': 'Rome'})" in text
    assert "step 1 done: 2 tool call(s), together in" in text
    assert "Rome is warmer: 21 °C and sunny, against 14 °C and light rain in Paris." in text
    assert "calls to providers: 9" in text
    assert "sk-demo" not in text


@pytest.mark.integration
def test_demo_console_script_exits_zero() -> None:
    """Troubleshooting: the `demo` command comes from this distribution's `lluminary` entry point
    (`testing = "lluminary_testing.commands"`); reinstall the package if it is missing."""
    script = Path(sys.executable).with_name("lluminary")
    if not script.exists():
        found = shutil.which("lluminary")
        if found is None:
            pytest.skip("the lluminary console script is not installed")
        script = Path(found)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLUMINARY_")}
    result = subprocess.run([str(script), "demo"], capture_output=True, text=True, timeout=120, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert "This session" in result.stdout


DISTRIBUTIONS = {"lluminary_openai": "lluminary-openai", "lluminary_anthropic": "lluminary-anthropic"}


@pytest.mark.parametrize(
    "absent", [("lluminary_anthropic",), ("lluminary_openai", "lluminary_anthropic")], ids=["one", "both"]
)
def test_demo_names_the_plugins_it_misses(monkeypatch: pytest.MonkeyPatch, absent: tuple[str, ...]) -> None:
    """Without a plugin it drives, `lluminary demo` says which distributions to install (the
    `demo` extra), exits 1, and prints no traceback; nothing was started.

    Troubleshooting: the requirements are REQUIRED_PLUGINS in lluminary_testing.demo and the
    `demo` extra in the distribution's pyproject.toml; keep them in step."""
    import click
    from click.testing import CliRunner

    from lluminary_testing.commands import lluminary_commands

    for module in absent:
        monkeypatch.setitem(sys.modules, module, None)  # what an uninstalled module looks like to imports
    cli = click.Group("lluminary")
    lluminary_commands(cli)
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for module in absent:
        assert DISTRIBUTIONS[module] in result.output
    assert "lluminary-testing[demo]" in result.output
    assert "LOCAL SIMULATIONS" not in result.output


def test_the_demo_extra_declares_the_plugins() -> None:
    """Troubleshooting: the `demo` extra in lluminary-testing's pyproject.toml must list every
    REQUIRED_PLUGINS distribution."""
    import re
    import tomllib

    from lluminary_testing.demo import REQUIRED_PLUGINS

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    demo = {
        re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0] for requirement in project["optional-dependencies"]["demo"]
    }
    assert demo == set(REQUIRED_PLUGINS)
