"""Threads for a plugin's blocking work (a SQLite connection, a FAISS index, a local model),
awaited from any event loop.

Jobs go on one queue read by ``count`` threads; each answer is handed back to the loop that asked
with ``call_soon_threadsafe``. Nothing belongs to an event loop, so the sync API's background loop
and an application's own may both submit. Why not ``run_in_executor``: an awaited no-op costs about
70 µs through a ``ThreadPoolExecutor`` and about 33 µs through this queue (measured for the FAISS
store), and a thread of one's own can own what must stay on one thread (a sqlite3 connection).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Workers"]

T = TypeVar("T")

_Job = tuple[Callable[..., Any], tuple[Any, ...], asyncio.AbstractEventLoop, "asyncio.Future[Any]"]


class Workers:
    """``count`` daemon threads named ``name``, started on the first job.

    ``skip_cancelled``: a job whose caller stopped waiting before it started is not run (a cache
    read nobody awaits any more); otherwise every job runs. ``on_stop`` runs on the worker thread
    that takes the stop, after the jobs queued before :meth:`stop` (all of them, with one thread):
    close there what the thread owns.
    """

    def __init__(
        self,
        name: str,
        count: int = 1,
        *,
        skip_cancelled: bool = False,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        self.name = name
        self.count = count
        self.skip_cancelled = skip_cancelled
        self._on_stop = on_stop
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopped = False

    def submit(self, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run ``function(*args)`` on a worker; the future resolves on the calling loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if len(self._threads) < self.count:
            self._start()
        if self._stopped:
            raise RuntimeError(f"the workers {self.name!r} are stopped")
        self._jobs.put((function, args, loop, future))
        return future

    def stop(self) -> None:
        """End the threads once the jobs already queued are done. Idempotent, and safe from any
        thread (a finaliser may call it)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            started = len(self._threads)
        if not started and self._on_stop is not None:
            self._run_on_stop()
        for _ in range(started):
            self._jobs.put(None)

    @property
    def alive(self) -> bool:
        """Whether a thread is still running."""
        return any(thread.is_alive() for thread in self._threads)

    def join(self, timeout: float | None = None) -> None:
        for thread in list(self._threads):
            thread.join(timeout)

    def _start(self) -> None:
        with self._lock:
            if self._stopped:
                return
            while len(self._threads) < self.count:
                thread = threading.Thread(target=self._run, name=f"{self.name}-{len(self._threads)}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _run(self) -> None:
        # Each job is handled in a call of its own, so that nothing of it (its loop, its result)
        # stays referenced by this frame while the thread waits for the next one.
        while self._handle(self._jobs.get()):
            pass

    def _handle(self, job: _Job | None) -> bool:
        if job is None:
            self._run_on_stop()
            return False
        function, args, loop, future = job
        if self.skip_cancelled and future.cancelled():
            return True
        try:
            result = function(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            _deliver(loop, _fail, future, exc)
        else:
            _deliver(loop, _resolve, future, result)
        return True

    def _run_on_stop(self) -> None:
        with self._lock:
            on_stop, self._on_stop = self._on_stop, None
        if on_stop is not None:
            try:
                on_stop()
            except Exception:  # noqa: BLE001 - nobody is left to tell
                pass


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
