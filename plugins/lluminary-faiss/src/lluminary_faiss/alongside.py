"""Work on a helper thread while the calling thread does something else.

Numpy's array passes, FAISS's index building and SQLite's writes release the GIL, so one of them
on a helper thread overlaps with Python work (or another of them) on the calling thread: a large
upsert checks its ids and metadata while its vectors are copied and normalised, and builds its
index while SQLite writes its rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Alongside(Generic[T]):
    """Runs ``work`` on a thread of its own; :meth:`join` waits, then returns what it returned or
    raises what it raised. Always join: the thread may hold memory the caller owns."""

    def __init__(self, work: Callable[[], T], name: str = "lluminary-faiss helper") -> None:
        self._work = work
        self._result: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = self._work()
        except BaseException as exc:  # noqa: BLE001 - raised again by join()
            self._error = exc

    def join(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]

    def join_quietly(self) -> None:
        """Wait, keeping quiet about a failure (the caller is already raising another)."""
        self._thread.join()
