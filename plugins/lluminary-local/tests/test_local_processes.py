"""Across process boundaries: the ``lluminary`` command offline, and forked children."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lluminary import Client

from .conftest import MODEL

#: Run before the command: any attempt to reach the network ends the process with an error.
NO_NETWORK = """
import sys
def _no_network(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr",
                 "socket.sendto", "socket.sendmsg"):
        raise RuntimeError(f"network access attempted: {event}")
sys.addaudithook(_no_network)
"""


def _command(*args: str, only_local: bool = False) -> subprocess.CompletedProcess[str]:
    """The installed ``lluminary`` console script, run with the network forbidden (and, with
    ``only_local``, no other plugin loaded: listing models asks other providers' servers)."""
    script = Path(sys.executable).with_name("lluminary")
    assert script.is_file(), f"no console script at {script}"
    code = (
        NO_NETWORK
        + f"import runpy; sys.argv = {['lluminary', *args]!r}; runpy.run_path({str(script)!r}, run_name='__main__')"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLUMINARY_")}
    if only_local:
        env["LLUMINARY_PLUGINS"] = "local"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env, check=False
    )


@pytest.mark.integration
async def test_cli_embeds_offline(client: Client) -> None:
    """Troubleshooting: `lluminary embed local:e5-small "text"` must work with no network at all;
    an error naming a socket event means something on the path tried to connect."""
    done = _command("embed", MODEL, "offline embeddings", "des vecteurs hors ligne")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2
    vectors = [json.loads(line) for line in lines]
    for vector in vectors:
        assert len(vector) == 384
        assert math.sqrt(sum(x * x for x in vector)) == pytest.approx(1.0, abs=1e-5)
    # another process, the same vectors (the CLI embeds with no input type: the `query: ` prefix)
    assert vectors == (await client.aembed(MODEL, ["offline embeddings", "des vecteurs hors ligne"])).embeddings


@pytest.mark.integration
def test_cli_lists_the_plugin_and_its_models() -> None:
    done = _command("plugins", "--json")
    assert done.returncode == 0, done.stderr
    (row,) = [r for r in json.loads(done.stdout) if r["name"] == "local"]
    assert row["status"] == "loaded"
    assert row["distribution"] == "lluminary-local"
    assert "lluminary_embed" in row["hooks"]
    models = _command("models", "--provider", "local", "--json", only_local=True)
    assert models.returncode == 0, models.stderr
    assert {m["id"] for m in json.loads(models.stdout)} == {MODEL, "local:multilingual-e5-small"}


@pytest.mark.integration
def test_cli_reports_a_bad_request_as_one_line() -> None:
    done = _command("embed", "--dimensions", "128", MODEL, "text")
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error:")
    assert "384-dimensional" in done.stderr


FORKS = """
import asyncio, os, signal, sys, threading, time
import lluminary

signal.alarm(150)  # a hang ends this process (and, below, each child) instead of outliving the test

MODEL = "local:e5-small"
TEXTS = ["before and after the fork", "un texte en français"]

async def embed(texts):
    async with lluminary.Client(cache=False, exporters=[]) as client:
        return (await client.aembed(MODEL, texts)).embeddings

reference = asyncio.run(embed(TEXTS))

def fork_and_check(what):
    pid = os.fork()
    if pid == 0:
        signal.alarm(60)
        os._exit(0 if asyncio.run(embed(TEXTS)) == reference else 3)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    assert code == 0, f"child forked {what} exited with {code} (-14: hung, killed by its alarm)"

fork_and_check("while the engine was idle")

started = threading.Event()
async def busy():
    started.set()
    await embed([f"a text for the busy engine, number {i}" for i in range(100)])
worker = threading.Thread(target=lambda: asyncio.run(busy()))
worker.start()
started.wait()
time.sleep(0.3)
fork_and_check("while a batch was running")
worker.join()
print("ok")
"""


@pytest.mark.integration
@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_forked_children_embed() -> None:
    """Troubleshooting: after a fork the child needs a worker thread of its own (the parent's is
    not copied); GNU OpenMP hangs if reused from the parent's thread. A timeout here is a hang."""
    code = textwrap.dedent(FORKS)
    done = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", code],
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
