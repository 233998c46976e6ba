"""The cost ledger and ``lluminary costs``: real calls over HTTP to the testing kit's fake OpenAI
server fill a ledger (SQLite: a real file, several processes appending to it), and the report is
read back through the command line."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import lluminary._plugins
from lluminary import Client, CostRecord, MemoryCostLedger
from lluminary._cli import make_cli
from lluminary._cost_ledger import SQLiteCostLedger, open_cost_ledger
from lluminary._cost_report import parse_moment, summarize
from lluminary._plugins import PluginManager
from lluminary.sdk import (
    ConfigurationError,
    PluginError,
    RequestValidationError,
)

pytestmark = pytest.mark.integration

# The testing kit's fake servers (installed with the kernel's tests by tox and `make dev`).
FakeOpenAIServer = pytest.importorskip("lluminary_testing.openai_server").FakeOpenAIServer
WireChat = pytest.importorskip("lluminary_testing.wire_chat").WireChat

KEY = "sk-test-ledger-00000000000000000000"
PRICES = {"wire:small": {"input": 1000.0, "output": 2000.0}, "wire:large": {"input": 10000.0, "output": 20000.0}}


@pytest.fixture(autouse=True)
def _no_ledger_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLUMINARY_COST_LEDGER", raising=False)


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


def client_for(fake: FakeOpenAIServer, **kwargs: Any) -> Client:
    plugins = PluginManager()
    plugins.register(WireChat())
    kwargs.setdefault("cache", False)
    return Client(
        plugins=plugins,
        retries=1,
        exporters=[],
        prices=PRICES,
        providers={"wire": {"base_url": fake.base_url, "api_key": KEY}},
        **kwargs,
    )


def cost(model: str, input_tokens: int, output_tokens: int) -> float:
    prices = PRICES[model]
    return (input_tokens * prices["input"] + output_tokens * prices["output"]) / 1e6


# --------------------------------------------------------------------------- recording


async def test_every_call_is_recorded_with_its_tags_and_no_secret(fake: FakeOpenAIServer) -> None:
    ledger = MemoryCostLedger()
    async with client_for(fake, cost_ledger=ledger, cache="memory://") as client:
        reply = await client.agenerate("wire:small", "hello there", metadata={"user": "alice", "feature": "chat"})
        hit = await client.agenerate("wire:small", "hello there", metadata={"user": "alice", "feature": "chat"})
        assert hit.cached
    first, second = ledger.entries
    assert (first.operation, first.provider, first.model, first.cached) == ("generate", "wire", "wire:small", False)
    assert (first.input_tokens, first.output_tokens) == (reply.usage.input_tokens, 2)
    assert first.cost_usd == pytest.approx(reply.cost.total if reply.cost else -1)
    assert first.tags == {"user": "alice", "feature": "chat"}
    assert abs(first.time - time.time()) < 10
    assert (second.cached, second.cost_usd, second.tags) == (True, 0.0, first.tags)
    assert KEY not in repr(ledger.entries)
    assert fake.base_url not in repr(ledger.entries)
    assert CostRecord.from_dict(json.loads(json.dumps(first.to_dict()))) == first


async def test_the_sqlite_ledger_survives_a_restart(fake: FakeOpenAIServer, tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/sub/costs.db"
    async with client_for(fake, cost_ledger=url) as client:
        await client.agenerate("wire:small", "one two", metadata={"user": "a"})
        await client.agenerate("wire:large", "one two three")
    reopened = SQLiteCostLedger(str(tmp_path / "sub" / "costs.db"))
    try:
        records = await reopened.records()
    finally:
        await reopened.close()
    assert [(r.model, r.output_tokens, r.tags) for r in records] == [
        ("wire:small", 2, {"user": "a"}),
        ("wire:large", 3, {}),
    ]
    raw = (tmp_path / "sub" / "costs.db").read_bytes()
    assert KEY.encode() not in raw


async def test_the_ledger_comes_from_the_environment(
    fake: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("LLUMINARY_COST_LEDGER", "sqlite:///~/.lluminary/costs.db")
    async with client_for(fake) as client:
        assert isinstance(client.cost_ledger, SQLiteCostLedger)
        await client.agenerate("wire:small", "hi")
    assert (tmp_path / ".lluminary" / "costs.db").is_file()
    async with client_for(fake, cost_ledger=False) as client:
        assert client.cost_ledger is None


async def test_recording_is_a_queue_append(tmp_path: Path) -> None:
    """A call pays for putting its record on the writer's queue, not for the write."""
    ledger = SQLiteCostLedger(str(tmp_path / "costs.db"))
    entry = CostRecord(time.time(), "generate", "wire", "wire:small", 10, 5, cost_usd=0.01, tags={"user": "a"})
    count = 20_000
    started = time.perf_counter()
    for _ in range(count):
        ledger.record(entry)
    per_call = (time.perf_counter() - started) / count
    await ledger.flush()
    assert len(await ledger.records()) == count
    await ledger.close()
    print(f"\nSQLite cost ledger: record() takes {per_call * 1e6:.2f} µs a call")
    assert per_call < 50e-6


def test_several_processes_append_to_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    script = textwrap.dedent("""
        import sys, time
        from lluminary._cost_ledger import SQLiteCostLedger
        from lluminary import CostRecord
        path, worker, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
        ledger = SQLiteCostLedger(path)
        time.sleep(max(0.0, start - time.time()))
        for i in range(250):
            ledger.record(CostRecord(time.time(), "generate", "p", "p:m", i, 1, cost_usd=0.001, tags={"w": worker}))
            if i % 50 == 0:
                time.sleep(0.001)
        ledger.close_sync()
        """)
    start = time.time() + 1.0
    workers = [
        subprocess.Popen([sys.executable, "-c", script, str(path), str(n), str(start)], stderr=subprocess.PIPE)
        for n in range(4)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=60)
        assert worker.returncode == 0, stderr.decode()
    records = SQLiteCostLedger(str(path)).read()
    assert len(records) == 1000
    assert {w: sum(1 for r in records if r.tags["w"] == w) for w in "0123"} == dict.fromkeys("0123", 250)


async def test_a_ledger_that_cannot_be_opened_is_a_typed_error(tmp_path: Path) -> None:
    plugins = PluginManager()
    with pytest.raises(ConfigurationError, match="is a URL"):
        open_cost_ledger("costs.db", plugins)
    with pytest.raises(ConfigurationError, match="needs a file"):
        open_cost_ledger("sqlite://", plugins)
    with pytest.raises(ConfigurationError, match="cannot open the cost ledger"):
        open_cost_ledger(f"sqlite://{tmp_path}", plugins)  # a directory
    with pytest.raises(PluginError, match="no cost ledger serves acme: URLs"):
        open_cost_ledger("acme://user:hunter2@host/ledger", plugins)
    with pytest.raises(RequestValidationError, match="cost_ledger"):
        Client(cost_ledger=True, exporters=[])
    with pytest.raises(ValueError, match="not a cost record"):
        CostRecord.from_dict({"time": "yesterday"})


async def test_a_record_after_close_is_logged_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ledger = SQLiteCostLedger(str(tmp_path / "costs.db"))
    await ledger.close()
    ledger.record(CostRecord(time.time(), "generate", "p", "p:m"))
    assert "closed ledger" in caplog.text


def test_reports_group_and_sum() -> None:
    day = 1_796_292_000.0
    records = [
        CostRecord(day, "generate", "a", "a:x", 10, 1, cost_usd=0.5, tags={"user": "u1"}),
        CostRecord(day + 60, "generate", "a", "a:x", 10, 1, cost_usd=0.0, cached=True, tags={"user": "u2"}),
        CostRecord(day + 86_400, "embed", "b", "b:y", 5, 0, cost_usd=None),
    ]
    by_model = summarize(records, ["model"])
    assert [(r.group, r.calls, r.cached, r.unpriced, r.cost_usd) for r in by_model] == [
        (("a:x",), 2, 1, 0, 0.5),
        (("b:y",), 1, 0, 1, 0.0),
    ]
    by_day_user = summarize(records, ["day", "tag:user"])
    assert [r.group for r in by_day_user] == [("2026-12-03", "u1"), ("2026-12-03", "u2"), ("2026-12-04", "(none)")]
    with pytest.raises(RequestValidationError, match="cannot group costs by 'color'"):
        summarize(records, ["color"])
    assert parse_moment("2026-12-03") == 1_796_256_000.0
    assert parse_moment("2026-12-03", end=True) == 1_796_256_000.0 + 86_400
    assert parse_moment("2026-12-03T10:00:00+01:00") == 1_796_288_400.0
    with pytest.raises(RequestValidationError, match="is not a date"):
        parse_moment("last tuesday")


# --------------------------------------------------------------------------- lluminary costs


@pytest.fixture
def filled(fake: FakeOpenAIServer, tmp_path: Path) -> str:
    """A SQLite ledger filled by real calls: alice twice and bob once on the small model, carol
    once on the large one, and one cache hit for alice."""
    url = f"sqlite://{tmp_path}/costs.db"

    async def fill() -> None:
        async with client_for(fake, cost_ledger=url, cache="memory://") as client:
            await client.agenerate("wire:small", "alpha beta", metadata={"user": "alice", "feature": "search"})
            await client.agenerate("wire:small", "gamma delta epsilon", metadata={"user": "alice"})
            await client.agenerate("wire:small", "alpha beta", metadata={"user": "alice", "feature": "search"})
            await client.agenerate("wire:small", "zeta", metadata={"user": "bob", "feature": "search"})
            await client.agenerate("wire:large", "eta theta", metadata={"user": "carol"})

    asyncio.run(fill())
    return url


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLUMINARY_PLUGINS", "")
    monkeypatch.setattr(lluminary._plugins, "_manager", PluginManager())


def costs(*args: str) -> Result:
    return CliRunner().invoke(make_cli(), ["costs", *args])


def test_the_report_by_model_is_a_table_with_a_total(filled: str, fake: FakeOpenAIServer, cli_env: None) -> None:
    assert len(fake.requests) == 4, "the cache answered the fifth call"
    result = costs("--ledger", filled)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["MODEL", "CALLS", "CACHED", "UNPRICED", "INPUT", "OUTPUT", "COST", "(USD)"]
    assert [line.split()[:4] for line in lines[1:]] == [
        ["wire:large", "1", "0", "0"],
        ["wire:small", "4", "1", "0"],
        ["TOTAL", "5", "1", "0"],
    ]


def test_the_report_as_json_adds_up_to_what_the_calls_cost(filled: str, cli_env: None) -> None:
    result = costs("--ledger", filled, "--by", "tag:user", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {row["tag:user"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"alice", "bob", "carol"}
    assert (rows["alice"]["calls"], rows["alice"]["cached"], rows["alice"]["output_tokens"]) == (3, 1, 2 + 3 + 2)
    assert rows["bob"]["output_tokens"] == 1
    records = SQLiteCostLedger(filled.removeprefix("sqlite://")).read()
    assert sum(row["cost_usd"] for row in rows.values()) == pytest.approx(sum(r.cost_usd or 0 for r in records))
    alice = [r for r in records if r.tags.get("user") == "alice" and not r.cached]
    expected = sum(cost("wire:small", r.input_tokens, r.output_tokens) for r in alice)
    assert rows["alice"]["cost_usd"] == pytest.approx(expected)


def test_the_report_as_csv_by_provider_and_day(filled: str, cli_env: None) -> None:
    result = costs("--ledger", filled, "--by", "provider", "--by", "day", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert [(r["provider"], r["day"], r["calls"]) for r in rows] == [("wire", today, "5")]
    assert float(rows[0]["cost_usd"]) > 0


def test_since_and_until_select_days(filled: str, cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    today = time.strftime("%Y-%m-%d", time.gmtime())
    inside = costs("--ledger", filled, "--since", today, "--until", today, "--format", "json")
    assert sum(row["calls"] for row in json.loads(inside.stdout)) == 5
    after = costs("--ledger", filled, "--since", "2999-01-01")
    assert after.exit_code == 0
    assert after.stdout == ""
    assert "no calls recorded" in after.stderr
    monkeypatch.setenv("LLUMINARY_COST_LEDGER", filled)
    from_env = costs("--by", "tag:feature", "--format", "json")
    assert {row["tag:feature"]: row["calls"] for row in json.loads(from_env.stdout)} == {"search": 3, "(none)": 2}


def test_bad_report_arguments_are_one_line_errors(filled: str, cli_env: None, tmp_path: Path) -> None:
    missing = costs()
    assert missing.exit_code == 2
    assert "no cost ledger" in missing.stderr
    for args, message in [
        (["--ledger", filled, "--by", "color"], "error: cannot group costs by 'color'"),
        (["--ledger", filled, "--since", "soon"], "error: 'soon' is not a date"),
        (["--ledger", f"sqlite://{tmp_path}/nothing.db"], "error: no cost ledger at"),
        (["--ledger", "acme://user:hunter2@host"], "error: no cost ledger serves acme: URLs"),
    ]:
        result = costs(*args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.startswith(message), result.stderr
        assert "hunter2" not in result.stderr
    assert not (tmp_path / "nothing.db").exists()
    backwards = costs("--ledger", filled, "--since", "2026-12-03", "--until", "2026-12-01")
    assert backwards.exit_code == 2
    assert "--until is not after --since" in backwards.stderr


def test_the_installed_command_reports(filled: str) -> None:
    """The console script, in a process of its own, as a user runs it."""
    env = {**os.environ, "LLUMINARY_PLUGINS": ""}
    done = subprocess.run(
        [sys.executable, "-m", "lluminary._cli", "costs", "--ledger", filled, "--by", "model", "--format", "csv"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [row["model"] for row in csv.DictReader(io.StringIO(done.stdout))] == ["wire:large", "wire:small"]
