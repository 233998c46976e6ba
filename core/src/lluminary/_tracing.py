"""Trace events out to exporters: ids, the parent of nested calls, and a broadcast that no broken
exporter can stop."""

from __future__ import annotations

import contextvars
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._types import TraceEvent

__all__ = ["TraceWarning", "current_parent", "emit", "new_call_id", "trace_parent"]


class TraceWarning(UserWarning):
    """An exporter raised; the call was not affected."""


_parent: contextvars.ContextVar[str | None] = contextvars.ContextVar("lluminary_trace_parent", default=None)


def new_call_id() -> str:
    """A random 64-bit id, unique across processes (a gateway's workers share one trace)."""
    return os.urandom(8).hex()


def current_parent() -> str | None:
    """The call id that calls made now belong to, if any."""
    return _parent.get()


@contextmanager
def trace_parent(call_id: str | None) -> Iterator[None]:
    """Calls made inside this block carry ``call_id`` as their ``parent_id`` (an agent step, a
    gateway request): ``with lluminary.trace_parent(step_id): await client.agenerate(...)``."""
    token = _parent.set(call_id)
    try:
        yield
    finally:
        _parent.reset(token)


def emit(hook: Any, event: TraceEvent) -> None:
    """Hand ``event`` to each exporter on its own: pluggy stops a broadcast at the first
    exception, and one broken exporter must neither break the call nor starve the others."""
    for impl in hook.get_hookimpls():
        if impl.hookwrapper or impl.wrapper:
            continue
        try:
            impl.function(event) if impl.argnames else impl.function()
        except Exception as exc:  # noqa: BLE001 - an exporter must never break a call
            warnings.warn(
                f"trace exporter {impl.plugin_name!r} failed: {type(exc).__name__}: {exc}", TraceWarning, stacklevel=3
            )
