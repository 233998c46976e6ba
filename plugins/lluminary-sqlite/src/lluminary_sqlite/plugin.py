"""The hook: a :class:`~lluminary_sqlite.backend.SQLiteCache` for every ``sqlite://`` URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lluminary.sdk import hookimpl

if TYPE_CHECKING:
    from .backend import SQLiteCache


class SQLiteCachePlugin:
    """Serves ``sqlite://`` cache URLs. The kernel asks once per client and event loop; each
    answer is a backend of its own (its own connection and thread) on the shared file."""

    @hookimpl
    def lluminary_cache(self, url: str) -> SQLiteCache | None:
        if not url.startswith("sqlite:"):
            return None
        from .backend import SQLiteCache  # sqlite3 and threading only when a cache is asked for

        return SQLiteCache.from_url(url)
