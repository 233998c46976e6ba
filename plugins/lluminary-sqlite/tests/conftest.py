"""What the SQLite cache tests share: a cache file per test with a raw connection to look inside
it, child processes that are always reaped, and a scripted provider registered the public way
(``lluminary.register``), so that a ``Client(cache="sqlite://...")`` loads this plugin through
its entry point as a user's would."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import lluminary
from lluminary.sdk import ScriptedProvider, load_cache_value
from lluminary_testing.processes import Spawn, spawned

#: Scenarios run in fresh interpreters (writers, crashers, clients): see its docstring.
PROCESSES = Path(__file__).resolve().parent / "processes.py"


class CacheFile:
    """The cache file of one test: its path, its URL, and ways to look inside it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite://{path}"

    def raw(self) -> sqlite3.Connection:
        """A plain connection, as another program would open the file."""
        return sqlite3.connect(self.path, isolation_level=None, timeout=5)

    def query(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        connection = self.raw()
        try:
            return connection.execute(sql, args).fetchall()
        finally:
            connection.close()

    def check(self) -> dict[str, int]:
        """The file is intact: the integrity check passes, every entry decodes, each size is its
        key plus its value, and the running total is their sum. Returns the count and total."""
        connection = self.raw()
        try:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            rows = connection.execute("SELECT key, value, size FROM cache_entries").fetchall()
            for key, value, size in rows:
                load_cache_value(value)
                assert size == len(value) + len(key.encode()), key
            (total,) = connection.execute("SELECT bytes FROM cache_totals").fetchone()
            assert total == sum(size for _, _, size in rows)
            return {"entries": len(rows), "bytes": total}
        finally:
            connection.close()


@pytest.fixture(autouse=True)
def _installed_plugins_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sqlite entry point must load, whatever the developer's environment filters."""
    for name in ("LLUMINARY_PLUGINS", "LLUMINARY_DISABLE_PLUGINS", "LLUMINARY_CACHE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def cache_file(tmp_path: Path) -> CacheFile:
    return CacheFile(tmp_path / "cache" / "llm.db")


@pytest.fixture
def provider() -> Iterator[ScriptedProvider]:
    """A provider answering ``sqlitetest:<model>`` by echoing the prompt; records every request."""
    scripted = ScriptedProvider("sqlitetest")
    name = lluminary.register(scripted, name="sqlitetest-provider")
    try:
        yield scripted
    finally:
        lluminary.unregister(name=name)


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Starts ``tests/processes.py <args>`` in a new interpreter (stdin, stdout, stderr piped);
    every process still running at the end of the test is killed and reaped."""
    yield from spawned(PROCESSES)
