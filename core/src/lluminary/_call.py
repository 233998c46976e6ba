"""The middleware contract: a :class:`Call` passes down an ordered chain of steps to the provider
hook, and a result comes back up.

One step serves generate, stream and embed alike. A streamed call's result is an
:class:`EventStream` that already holds its first event, so a step that retries or falls back
treats a stream exactly like a plain call until that first event (after it, events have reached
the caller). What a step does with the final answer it hands to :func:`then`, which runs it now
for a response and when the stream finishes for a stream.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Literal, NamedTuple, Protocol, Union

from ._streaming import Accumulator
from ._types import ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, StreamEvent

__all__ = ["Attempt", "Call", "EventStream", "Handler", "Middleware", "Result", "then"]

Request = Union[ChatRequest, EmbedRequest]
Response = Union[ChatResponse, EmbedResponse]

_ATTEMPTS = "lluminary.attempts"


class Attempt(NamedTuple):
    """Something that happened inside the retry and fallback steps of a call, which steps
    outside them (an exporter's :class:`~lluminary.sdk.CallObserver`) cannot see otherwise.

    ``kind``: ``"failed"`` (an attempt raised ``error``), ``"retry"`` (the same model again) or
    ``"fallback"`` (the next model). ``model`` and ``attempt`` name the attempt (for a retry or a
    fallback, the one starting); ``at`` is when, on ``time.perf_counter``'s clock."""

    kind: Literal["failed", "retry", "fallback"]
    model: str
    attempt: int
    error: BaseException | None
    at: float


class Call:
    """One logical call on its way through the chain.

    ``operation`` is ``"generate"``, ``"stream"`` or ``"embed"`` (open: agents and tools add their
    own). Steps that change the request or the attempt make a copy with :meth:`evolve`, so an
    outer step's view never changes under it. ``state`` is a free dict steps may share.
    """

    __slots__ = ("operation", "request", "client", "id", "parent_id", "attempt", "use_cache", "fallbacks", "state")

    def __init__(
        self,
        operation: str,
        request: Request,
        client: Any,
        *,
        id: str = "",
        parent_id: str | None = None,
        attempt: int = 1,
        use_cache: bool | Literal["refresh"] = True,
        fallbacks: tuple[str, ...] = (),
        state: dict[str, Any] | None = None,
    ) -> None:
        self.operation = operation
        self.request = request
        self.client = client
        self.id = id
        self.parent_id = parent_id
        self.attempt = attempt
        self.use_cache = use_cache
        self.fallbacks = fallbacks
        self.state = state if state is not None else {}

    @property
    def streaming(self) -> bool:
        return self.operation == "stream"

    @property
    def attempts(self) -> Sequence[Attempt]:
        """The failed attempts, retries and fallbacks of this call so far, oldest first (empty
        for a call that answered at once: nothing is written unless something fails)."""
        return self.state.get(_ATTEMPTS, ())  # type: ignore[no-any-return]

    def note_attempt(
        self, kind: Literal["failed", "retry", "fallback"], model: str, attempt: int, error: BaseException | None = None
    ) -> None:
        """Add to :attr:`attempts` (the kernel's retry, fallback and provider steps do)."""
        self.state.setdefault(_ATTEMPTS, []).append(Attempt(kind, model, attempt, error, time.perf_counter()))

    def evolve(self, **changes: Any) -> Call:
        """A copy with ``changes`` applied (the ``state`` dict is shared)."""
        copy = Call.__new__(Call)
        for name in Call.__slots__:
            setattr(copy, name, changes.get(name, getattr(self, name)))
        return copy

    def __repr__(self) -> str:
        return f"<Call {self.operation} {self.request.model} attempt={self.attempt} id={self.id!r}>"


Finisher = Callable[[ChatResponse], Awaitable[ChatResponse]]
Aborter = Callable[[BaseException | None], None]


class EventStream:
    """A streamed answer that has produced its first event (or ended before any).

    Iterate :meth:`events` once to receive every event; the stream accumulates them, and when the
    provider finishes it builds the final response and passes it through the finishers, innermost
    step first. A stream that fails midway, or is closed before its finish event, calls the
    aborters instead (with the error, or None for an early close).
    """

    __slots__ = (
        "call",
        "first",
        "_iterator",
        "accumulator",
        "response",
        "_finishers",
        "_aborters",
        "cached",
        "__weakref__",
    )

    def __init__(
        self, call: Call, first: StreamEvent | None, iterator: AsyncIterator[StreamEvent], provider: str
    ) -> None:
        self.call = call
        self.first = first
        self._iterator = iterator
        self.accumulator = Accumulator(provider)
        self.response: ChatResponse | None = None
        self._finishers: list[Finisher] = []
        self._aborters: list[Aborter] = []
        self.cached = False

    @classmethod
    def replay(cls, call: Call, response: ChatResponse) -> EventStream:
        """A stream that replays a known answer (a cache hit): it finishes as ``response``."""
        from ._streaming import aiter_events, events_from_response

        stream = cls(call, None, aiter_events(events_from_response(response)), response.provider)
        stream.cached = True
        stream._finishers.append(_Fixed(response))
        return stream

    def on_finish(self, finisher: Finisher) -> None:
        """Run ``finisher`` on the final response (it returns the response, changed or not)."""
        self._finishers.append(finisher)

    def on_abort(self, aborter: Aborter) -> None:
        """Run ``aborter`` if the stream fails (the error) or is closed before it finishes (None)."""
        self._aborters.append(aborter)

    def events(self) -> AsyncIterator[StreamEvent]:
        """Every event, in order; accumulates them and settles the stream at the end."""
        return drive(self)

    async def _finish(self) -> None:
        response = self.accumulator.response()
        for finisher in self._finishers:
            response = await finisher(response)
        self.response = response

    def _abort(self, error: BaseException | None) -> None:
        for aborter in self._aborters:
            aborter(error)

    async def _closed_early(self) -> None:
        if self.accumulator.finish is not None and self.response is None:
            # The caller stopped right after Finish: the answer is whole, so it is still
            # accounted, traced and cached. Best effort: the caller has left, and an error here
            # would surface from their `aclose()`.
            try:
                await self._finish()
            except Exception:  # noqa: BLE001
                pass
            return
        self._abort(None)


async def drive(
    source: EventStream | None, opener: Callable[[], Awaitable[EventStream]] | None = None
) -> AsyncIterator[StreamEvent]:
    """The events of ``source`` (or of the stream ``opener`` opens on the first read): one
    generator layer per event, which accumulates and settles the stream at the end."""
    if source is None:
        assert opener is not None
        source = await opener()
    iterator = source._iterator
    add = source.accumulator.add
    settled = False
    try:
        first = source.first
        if first is not None:
            source.first = None
            add(first)
            yield first
        async for event in iterator:
            add(event)
            yield event
        await source._finish()
        settled = True
    except GeneratorExit:
        raise
    except BaseException as exc:
        if not settled:
            settled = True
            source._abort(exc)
        raise
    finally:
        await _aclose(iterator)
        if not settled:
            await source._closed_early()


class _Fixed:
    """The finisher of a replay: the answer is the stored one, not a rebuild of its events."""

    __slots__ = ("response",)

    def __init__(self, response: ChatResponse) -> None:
        self.response = response

    async def __call__(self, _: ChatResponse) -> ChatResponse:
        return self.response


Result = Union[ChatResponse, EmbedResponse, EventStream]
Handler = Callable[[Call], Awaitable[Result]]


class Middleware(Protocol):
    """A step of the chain: do something before, call ``call_next``, do something after.

    ``async def __call__(self, call, call_next)`` must return what ``call_next`` returned (or a
    replacement of the same kind). Use :func:`then` for work on the final answer, so the step
    serves streams too.
    """

    def __call__(self, call: Call, call_next: Handler) -> Awaitable[Result]: ...


async def then(result: Result, finisher: Callable[[Any], Awaitable[Any]]) -> Result:
    """Apply ``finisher`` to the final answer: now for a response, at the end for a stream."""
    if type(result) is EventStream:
        result.on_finish(finisher)
        return result
    out: Result = await finisher(result)
    return out


async def _aclose(iterator: Any) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        try:
            await close()
        except Exception:  # noqa: BLE001 - closing a broken stream must not mask its error
            pass


def compose(steps: list[Middleware], terminal: Handler) -> Handler:
    """The chain as one handler: ``steps[0]`` runs first, ``terminal`` last."""
    handler = terminal
    for step in reversed(steps):
        handler = _bind(step, handler)
    return handler


def _bind(step: Middleware, call_next: Handler) -> Handler:
    def handler(call: Call) -> Awaitable[Result]:
        return step(call, call_next)

    return handler
