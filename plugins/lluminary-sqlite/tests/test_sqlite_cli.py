"""``lluminary cache stats`` and ``lluminary cache clear`` on a SQLite cache file."""

from __future__ import annotations

import json

from click.testing import CliRunner

import lluminary
from lluminary._cli import make_cli  # the CLI has no public entry besides the console script
from lluminary.sdk import ScriptedProvider


def test_stats_then_clear(cache_file: object, provider: ScriptedProvider) -> None:
    url = cache_file.url  # type: ignore[attr-defined]
    with lluminary.Client(cache=url) as client:
        client.generate("sqlitetest:m", "one")
        client.generate("sqlitetest:m", "two")
    runner = CliRunner()
    stats = runner.invoke(make_cli(), ["cache", "stats", url, "--json"])
    assert stats.exit_code == 0, stats.output
    figures = json.loads(stats.stdout)
    assert figures["backend"] == "SQLiteCache"
    assert (figures["entries"], figures["expired"]) == (2, 0)
    assert figures["bytes"] > 0
    assert figures["path"] == cache_file.path.as_posix()  # type: ignore[attr-defined]
    cleared = runner.invoke(make_cli(), ["cache", "clear", "--yes", url])
    assert cleared.exit_code == 0, cleared.output
    assert json.loads(runner.invoke(make_cli(), ["cache", "stats", url, "--json"]).stdout)["entries"] == 0
