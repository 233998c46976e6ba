"""Trace events out to exporters: ids, the parent of nested calls, and a broadcast that no broken
exporter can stop."""

from __future__ import annotations

import contextvars
import random
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ._types import TraceEvent

__all__ = ["TraceWarning", "current_parent", "emit", "exporters_of", "new_call_id", "trace_parent"]


class TraceWarning(UserWarning):
    """An exporter raised; the call was not affected."""


_parent: contextvars.ContextVar[str | None] = contextvars.ContextVar("lluminary_trace_parent", default=None)


_bits = random.getrandbits


def new_call_id() -> str:
    """A random 64-bit id, unique across processes (a gateway's workers share one trace):
    ``random`` is seeded from the OS at import and reseeded in every forked child, and is a
    quarter of the price of ``os.urandom`` (a system call per id)."""
    return f"{_bits(64):016x}"


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


#: One exporter: its ``lluminary_trace`` function, its plugin name, and whether it takes the event.
Exporter = tuple[Callable[..., Any], str, bool]


def exporters_of(hook: Any) -> tuple[Exporter, ...]:
    """The plain implementations of the ``lluminary_trace`` hook ``hook``, resolved once (the
    client keeps them until a plugin is registered or removed) instead of on every event."""
    return tuple(
        (impl.function, impl.plugin_name, bool(impl.argnames))
        for impl in hook.get_hookimpls()
        if not (impl.hookwrapper or impl.wrapper)
    )


def emit(exporters: Sequence[Exporter], event: TraceEvent) -> None:
    """Hand ``event`` to each exporter on its own: pluggy stops a broadcast at the first
    exception, and one broken exporter must neither break the call nor starve the others."""
    for function, name, takes_event in exporters:
        try:
            function(event) if takes_event else function()
        except Exception as exc:  # noqa: BLE001 - an exporter must never break a call
            warnings.warn(f"trace exporter {name!r} failed: {type(exc).__name__}: {exc}", TraceWarning, stacklevel=3)
