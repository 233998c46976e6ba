"""A readers-writer lock for threads: searches share the index, writes have it alone.

A thread lock, not an asyncio one: the work it guards runs on the store's worker threads, and a
store may be used from several event loops (the sync API runs on lluminary's background loop).
Writers go first: once a writer waits, new readers wait behind it, so a stream of queries cannot
starve an upsert.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ReadWriteLock:
    def __init__(self) -> None:
        self._mutex = threading.Lock()  # held directly (a C context manager) on the query fast path
        self._condition = threading.Condition(self._mutex)
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._condition:
            while self._writing or self._writers_waiting:
                self._condition.wait()
            self._readers += 1
        try:
            yield
        finally:
            self.release_read()

    def try_read(self) -> bool:
        """Take the read side if that needs no wait (no writer holds it or waits for it); the
        caller then calls :meth:`release_read`. For work that would rather go elsewhere than wait."""
        with self._mutex:
            if self._writing or self._writers_waiting:
                return False
            self._readers += 1
            return True

    def release_read(self) -> None:
        with self._mutex:
            self._readers -= 1
            if self._readers == 0 and self._writers_waiting:  # only writers wait for readers to leave
                self._condition.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._condition:
            self._writers_waiting += 1
            try:
                while self._writing or self._readers:
                    self._condition.wait()
            finally:
                self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._condition:
                self._writing = False
                self._condition.notify_all()
