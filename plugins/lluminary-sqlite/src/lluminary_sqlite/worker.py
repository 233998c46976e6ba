"""One thread per backend that owns its SQLite connection and runs its work in order.

Why one dedicated thread: a sqlite3 connection belongs to the thread that made it, so the
connection, its prepared statements and the batch of noted access times live on one thread and
need no lock; work runs in the order it was asked for (a ``set`` then a ``get`` of the same key
sees the value); and the event loop only queues a job and is woken once with its result. Measured
(``benchmarks/cache_sqlite.py``, the alternative being ``asyncio.to_thread`` with a connection per
pool thread): a whole hit, decoding included, costs about what a bare SELECT alone costs through
``asyncio.to_thread``, and some 30% less than the same SELECT and decoding there. SQLite releases
the GIL while it works, so the event loop runs meanwhile.

The thread is the SDK's :class:`~lluminary.sdk.Workers` with one thread. A job whose caller
stopped waiting (the kernel's ``cache_timeout``) before it started is skipped; stopping closes the
store on its thread, after the jobs already queued.
"""

from __future__ import annotations

from lluminary import sdk

from .store import Store


class Worker(sdk.Workers):
    """Runs ``store``'s operations on a thread of its own; :meth:`stop` closes the store there."""

    def __init__(self, store: Store, name: str) -> None:
        super().__init__(name, 1, skip_cancelled=True, on_stop=store.close)
        self.store = store
