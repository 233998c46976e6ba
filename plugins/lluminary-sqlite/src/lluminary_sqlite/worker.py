"""One thread per backend that owns its SQLite connection and runs its work in order.

Why one dedicated thread: a sqlite3 connection belongs to the thread that made it, so the
connection, its prepared statements and the batch of noted access times live on one thread and
need no lock; work runs in the order it was asked for (a ``set`` then a ``get`` of the same key
sees the value); and the event loop only queues a job and is woken once with its result. Measured
(``benchmarks/cache_sqlite.py``, the alternative being ``asyncio.to_thread`` with a connection per
pool thread): a whole hit, decoding included, costs about what a bare SELECT alone costs through
``asyncio.to_thread``, and some 30% less than the same SELECT and decoding there. SQLite releases
the GIL while it works, so the event loop runs meanwhile.

A job whose caller stopped waiting (the kernel's ``cache_timeout``) before it started is skipped.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from .store import Store

T = TypeVar("T")

_Job = tuple[Callable[..., Any], tuple[Any, ...], asyncio.AbstractEventLoop, "asyncio.Future[Any]"]


class Worker:
    """Runs ``store``'s operations on a thread of its own; :meth:`stop` closes the store there."""

    def __init__(self, store: Store, name: str) -> None:
        self.store = store
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run ``function(*args)`` on the worker; the future resolves on the calling loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((function, args, loop, future))
        return future

    def stop(self) -> None:
        """Close the store after the jobs already queued, and end the thread. Idempotent, and safe
        from any thread (a garbage-collected backend calls it through its finalizer)."""
        self._jobs.put(None)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        # Each job is handled in a call of its own, so that nothing of it (its loop, its value)
        # stays referenced by this frame while the thread waits for the next one.
        while self._handle(self._jobs.get()):
            pass

    def _handle(self, job: _Job | None) -> bool:
        if job is None:
            try:
                self.store.close()
            except Exception:  # noqa: BLE001 - nobody is left to tell; the file stays consistent
                pass
            return False
        function, args, loop, future = job
        if future.cancelled():  # the caller gave up before the job started
            return True
        try:
            result = function(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            _deliver(loop, _fail, future, exc)
        else:
            _deliver(loop, _resolve, future, result)
        return True


def _deliver(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: Any) -> None:
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:
        pass  # the loop is closed: nobody is waiting


def _resolve(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
