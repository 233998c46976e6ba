"""What cache and store plugins share when they read their URL (``sqlite:///path?ttl=60``) and
write their SQLite files: the options checked once, the same way, with the same errors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, parse_qsl, urlsplit

from ._errors import ConfigurationError

if TYPE_CHECKING:
    import sqlite3

__all__ = ["url_options", "write_transaction"]


def url_options(
    url: str, scheme: str, known: Sequence[str], *, kind: str = "store"
) -> tuple[SplitResult, dict[str, str]]:
    """``url``'s parts and its query options, after checking the scheme and that every option is
    known and given once. Raises :class:`ConfigurationError` ``"{kind} URL '...': ..."``, naming
    the option."""
    parts = urlsplit(url)
    if parts.scheme != scheme:
        raise ConfigurationError(f"{kind} URL {url!r}: the scheme must be {scheme}://")
    seen: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in seen:
            raise ConfigurationError(f"{kind} URL {url!r}: the option {name!r} is given twice")
        if name not in known:
            raise ConfigurationError(f"{kind} URL {url!r}: unknown option {name!r} (known: {', '.join(known)})")
        seen[name] = value
    return parts, seen


@contextmanager
def write_transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """A SQLite write transaction holding the write lock from its start (``BEGIN IMMEDIATE``, so
    two writers never both read and then fail to upgrade); rolled back on any error."""
    import sqlite3  # here: a plugin importing url_options must not pay for sqlite3

    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            try:
                connection.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the connection is failing; the error being raised says why
        raise
