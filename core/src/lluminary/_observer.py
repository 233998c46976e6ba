"""Seeing each logical call begin once and end once: the base of an exporter's middleware step.

An exporter that records whole calls (a span, a latency histogram, an in-flight gauge) adds a
step through ``lluminary_middleware``. Such a step sits outside the kernel's cache, fallback and
retry steps, so it sees one call, not each attempt. But a streamed call ends after the step has
returned: when its stream is read to the end, fails, is closed early, or is dropped unread.
:class:`CallObserver` covers those four ends, calls :meth:`~CallObserver.end` exactly once per
call, and keeps the exporter's own failures from breaking calls (a ``TraceWarning`` instead).
"""

from __future__ import annotations

import warnings
import weakref
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, ClassVar, Generic, TypeVar

from ._call import Call, EventStream
from ._tracing import TraceWarning

__all__ = ["CallObserver"]

State = TypeVar("State")


class CallObserver(ABC, Generic[State]):
    """A middleware step that tells a subclass when a call begins (:meth:`begin`) and when it
    ends (:meth:`end`). What :meth:`begin` returns is handed back to :meth:`end`; if :meth:`begin`
    raises, the call runs unobserved.

    An observer needs no trace events: what happened inside the retry and fallback steps is in
    ``call.attempts`` when :meth:`end` runs. So an exporter that observes only through a step and
    implements no ``lluminary_trace`` costs the client no trace events at all; ``call.id`` is then
    empty (ids name trace events)."""

    #: Named in the warning when the observer itself fails.
    label: ClassVar[str] = "exporter"
    # Whether a subclass overrides the optional hooks: decided once per class, so that calls of
    # an observer without them pay for neither.
    _scoped: ClassVar[bool] = False
    _watches_streams: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._scoped = cls.running is not CallObserver.running
        cls._watches_streams = cls.stream_started is not CallObserver.stream_started

    @abstractmethod
    async def begin(self, call: Call) -> State:
        """The call is about to run."""

    @abstractmethod
    def end(
        self, state: State, *, error: BaseException | None = None, response: Any = None, closed: bool = False
    ) -> None:
        """The call ended: with ``response`` (a stream's final response, once read to the end),
        with ``error``, or ``closed`` before it finished (a stream closed early or dropped unread)."""

    def stream_started(self, state: State, stream: EventStream) -> None:
        """A streamed call's first event arrived (the chain returned the stream holding it)."""

    def running(self, state: State) -> AbstractContextManager[object]:
        """Entered while the rest of the chain runs (until a stream's first event): e.g. to make
        a span current so that transport spans nest under it."""
        return nullcontext()

    async def __call__(self, call: Call, call_next: Callable[[Call], Awaitable[Any]]) -> Any:
        try:
            state = await self.begin(call)
            scope = self.running(state) if self._scoped else None
            if scope is not None:
                scope.__enter__()
        except Exception as exc:  # noqa: BLE001 - an exporter must never break a call
            self.warn(exc)
            return await call_next(call)
        try:
            result = await call_next(call)
        except BaseException as exc:
            self._end(state, error=exc)
            raise
        finally:
            if scope is not None:
                scope.__exit__(None, None, None)
        if type(result) is EventStream:
            if self._watches_streams:
                try:
                    self.stream_started(state, result)
                except Exception as exc:  # noqa: BLE001 - an exporter must never break a call
                    self.warn(exc)
            ending = _Ending(self, state)

            async def finished(response: Any) -> Any:
                ending(response=response)
                return response

            def aborted(error: BaseException | None) -> None:
                ending(error=error, closed=error is None)

            result.on_finish(finished)
            result.on_abort(aborted)
            weakref.finalize(result, ending, closed=True)  # dropped unread: neither of the above
        else:
            self._end(state, response=result)
        return result

    def _end(self, state: State, *, error: BaseException | None = None, response: Any = None) -> None:
        """End a call that has only one end (it answered or failed within the step)."""
        try:
            self.end(state, error=error, response=response)
        except Exception as exc:  # noqa: BLE001 - an exporter must never break a call
            self.warn(exc)

    def warn(self, exc: Exception) -> None:
        """Report the observer's own failure without breaking the call."""
        warnings.warn(f"{self.label} failed: {type(exc).__name__}: {exc}", TraceWarning, stacklevel=3)


class _Ending:
    """Ends one call's observation once, whichever of its ends comes first."""

    __slots__ = ("observer", "state", "done")

    def __init__(self, observer: CallObserver[Any], state: Any) -> None:
        self.observer = observer
        self.state = state
        self.done = False

    def __call__(self, *, error: BaseException | None = None, response: Any = None, closed: bool = False) -> None:
        if self.done:
            return
        self.done = True
        try:
            self.observer.end(self.state, error=error, response=response, closed=closed)
        except Exception as exc:  # noqa: BLE001 - an exporter must never break a call
            self.observer.warn(exc)
