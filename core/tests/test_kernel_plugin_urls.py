"""The SDK's helpers for cache and store plugins: URL options and SQLite write transactions."""

from __future__ import annotations

import sqlite3

import pytest

from lluminary.sdk import ConfigurationError, url_options, write_transaction


def test_url_options_are_known_and_given_once() -> None:
    parts, options = url_options("acme:///data/x?ttl=5&mode=fast", "acme", ("ttl", "mode"), kind="cache")
    assert (parts.path, options) == ("/data/x", {"ttl": "5", "mode": "fast"})
    with pytest.raises(
        ConfigurationError, match=r"cache URL 'acme:///x\?speed=1': unknown option 'speed' \(known: ttl\)"
    ):
        url_options("acme:///x?speed=1", "acme", ("ttl",), kind="cache")
    with pytest.raises(ConfigurationError, match="the option 'ttl' is given twice"):
        url_options("acme:///x?ttl=1&ttl=2", "acme", ("ttl",))
    with pytest.raises(ConfigurationError, match="the scheme must be acme://"):
        url_options("other:///x", "acme", ())


def test_a_write_transaction_commits_or_rolls_back() -> None:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute("CREATE TABLE t (n INTEGER)")
    with write_transaction(connection):
        connection.execute("INSERT INTO t VALUES (1)")

    def failing_write() -> None:
        with write_transaction(connection):
            connection.execute("INSERT INTO t VALUES (2)")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        failing_write()
    assert connection.execute("SELECT n FROM t").fetchall() == [(1,)]
    assert not connection.in_transaction
