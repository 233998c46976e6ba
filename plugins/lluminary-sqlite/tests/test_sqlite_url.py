"""The ``sqlite://`` URL: paths, options, and a typed error naming whatever is wrong."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import lluminary_sqlite
from lluminary.sdk import ConfigurationError
from lluminary_sqlite import SQLiteCache, SQLiteOptions
from lluminary_sqlite.options import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT


def test_an_absolute_path_and_the_defaults() -> None:
    options = SQLiteOptions.from_url("sqlite:///var/cache/llm.db")
    assert options == SQLiteOptions("/var/cache/llm.db", ttl=None, max_bytes=DEFAULT_MAX_BYTES, timeout=DEFAULT_TIMEOUT)
    assert DEFAULT_MAX_BYTES == 1 << 30
    assert DEFAULT_TIMEOUT < 2.0, "below the client's default cache_timeout"


def test_relative_and_home_paths_are_resolved_when_the_backend_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert SQLiteOptions.from_url("sqlite://llm.db").path == str(tmp_path / "llm.db")
    assert SQLiteOptions.from_url("sqlite://caches/llm.db").path == str(tmp_path / "caches" / "llm.db")
    assert SQLiteOptions.from_url("sqlite://~/llm.db").path == str(tmp_path / "home" / "llm.db")
    assert SQLiteOptions.from_url("sqlite:///tmp/with%20space.db").path == "/tmp/with space.db"
    made = SQLiteCache.from_url("sqlite://llm.db")
    monkeypatch.chdir(os.sep)
    assert made.path == str(tmp_path / "llm.db")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ttl=3600", {"ttl": 3600.0}),
        ("ttl=0.25", {"ttl": 0.25}),
        ("max_bytes=1048576", {"max_bytes": 1 << 20}),
        ("max_bytes=1_000_000", {"max_bytes": 1_000_000}),
        ("max_bytes=500MB", {"max_bytes": 500 * 10**6}),
        ("max_bytes=2GiB", {"max_bytes": 2 << 30}),
        ("max_bytes=64kib", {"max_bytes": 64 << 10}),
        ("timeout=0", {"timeout": 0.0}),
        ("timeout=2.5&ttl=60&max_bytes=1TB", {"timeout": 2.5, "ttl": 60.0, "max_bytes": 10**12}),
    ],
)
def test_options(query: str, expected: dict[str, object]) -> None:
    options = SQLiteOptions.from_url(f"sqlite:///c.db?{query}")
    assert {name: getattr(options, name) for name in expected} == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///c.db?max_byte=1GB", r"unknown option 'max_byte' \(known: ttl, max_bytes, timeout\)"),
        ("sqlite:///c.db?ttl=1&ttl=2", "'ttl' is given twice"),
        ("sqlite:///c.db?ttl=soon", "ttl='soon' is not a number of seconds"),
        ("sqlite:///c.db?ttl=0", "ttl='0': seconds must be finite and more than zero"),
        ("sqlite:///c.db?ttl=-5", "ttl='-5'"),
        ("sqlite:///c.db?ttl=inf", "ttl='inf'"),
        ("sqlite:///c.db?ttl=", "ttl='' is not a number"),
        ("sqlite:///c.db?timeout=-1", "timeout='-1': seconds must be finite and zero or more"),
        ("sqlite:///c.db?timeout=nan", "timeout='nan'"),
        ("sqlite:///c.db?max_bytes=lots", "max_bytes='lots' is not a size"),
        ("sqlite:///c.db?max_bytes=1.5GB", "max_bytes='1.5GB' is not a size"),
        ("sqlite:///c.db?max_bytes=0", "max_bytes='0': the cap must be more than zero"),
        ("sqlite:///c.db?max_bytes=-1", "max_bytes='-1' is not a size"),
        ("sqlite://", "no file"),
        ("sqlite:///", "no file"),
        ("sqlite:///:memory:", "use memory:// instead"),
        ("sqlite://:memory:", "use memory:// instead"),
        ("sqlite:///var/cache/", "names a directory"),
        ("redis://localhost", "the scheme must be sqlite://"),
    ],
)
def test_bad_urls_are_configuration_errors_that_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        SQLiteOptions.from_url(url)
    assert url in str(caught.value)


def test_the_hook_answers_only_sqlite_urls() -> None:
    plugin = lluminary_sqlite.plugin
    assert plugin.lluminary_cache("memory://") is None
    assert plugin.lluminary_cache("redis://localhost:6379/0") is None
    assert plugin.lluminary_cache("sqlite3:///x.db") is None
    made = plugin.lluminary_cache("sqlite:///tmp/x.db?ttl=5")
    assert isinstance(made, SQLiteCache)
    assert made.options.ttl == 5.0
    assert plugin.lluminary_cache("sqlite:///tmp/x.db") is not made, "one backend per loop, each its own"
    with pytest.raises(ConfigurationError, match="unknown option 'nope'"):
        plugin.lluminary_cache("sqlite:///tmp/x.db?nope=1")


def test_the_url_is_shown_whole_in_the_repr() -> None:
    cache = SQLiteCache.from_url("sqlite:///tmp/x.db?ttl=5&max_bytes=1MiB")
    assert repr(cache) == "<SQLiteCache sqlite:///tmp/x.db?ttl=5&max_bytes=1048576&timeout=1 not opened yet>"
    assert SQLiteOptions.from_url(SQLiteOptions.from_url("sqlite:///tmp/x.db?ttl=5").url()).ttl == 5.0
