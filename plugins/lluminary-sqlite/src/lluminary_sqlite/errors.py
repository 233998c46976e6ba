"""The error this backend raises when SQLite fails: the kernel reports it as a CacheWarning and
the call goes on uncached."""

from __future__ import annotations

from lluminary.sdk import LluminaryError


class SQLiteCacheError(LluminaryError):
    """The cache file could not be read or written; the message names the file and says why."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path
