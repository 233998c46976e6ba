"""The stream objects users iterate: :class:`AsyncStream` and its sync face :class:`SyncStream`.

An :class:`AsyncStream` sends its call through the client's chain on the first ``__anext__`` and
then hands out the events of the :class:`~lluminary._call.EventStream` that comes back: after
the first event, each event costs one accumulator update and nothing else.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import TYPE_CHECKING, Any

from . import _loop
from ._call import Call, EventStream, drive
from ._errors import LluminaryError
from ._types import ChatRequest, ChatResponse, StreamEvent, TextDelta

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["AsyncStream", "SyncStream"]


class AsyncStream:
    """An async iterator of stream events with the final response.

    ``async for event in stream`` yields events as they arrive; ``await stream.response()``
    drains what is left and returns the response the non-streaming call would have returned.
    Use ``async with`` (or ``aclose``) to close the connection when stopping early.
    """

    def __init__(self, client: Client, call: Call) -> None:
        self.client = client
        self.call = call
        self._source: EventStream | None = None
        self._events: AsyncIterator[StreamEvent] | None = None

    @property
    def request(self) -> ChatRequest:
        request = self.call.request
        assert isinstance(request, ChatRequest)
        return request

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        # The generator itself: `async for` then resumes it directly, with no Python-level
        # __anext__ per event. A failed or closed stream is done; it is never sent again.
        events = self._events
        if events is None:
            events = self._events = drive(None, self._open)
        return events

    def __anext__(self) -> Awaitable[StreamEvent]:
        return self.__aiter__().__anext__()

    async def _open(self) -> EventStream:
        source = await self.client.run(self.call)
        assert isinstance(source, EventStream)
        self._source = source
        return source

    @property
    def final(self) -> ChatResponse | None:
        """The final response once the stream has finished, else None."""
        return self._source.response if self._source is not None else None

    @property
    def cached(self) -> bool:
        """Whether the answer is replayed from the cache."""
        return self._source is not None and self._source.cached

    async def response(self) -> ChatResponse:
        """The final response (drains the stream if it has not been fully read)."""
        async for _ in self:
            pass
        final = self.final
        if final is None:
            raise LluminaryError("the stream was closed before it finished")
        return final

    async def text_stream(self) -> AsyncIterator[str]:
        """Only the text, as it arrives."""
        async for event in self:
            if type(event) is TextDelta:
                yield event.text

    async def partial_objects(self) -> AsyncIterator[dict[str, Any]]:
        """With structured output: the JSON object the answer holds so far, each time it grows
        (a string cut mid-way is left out until it is whole). The final, validated instance is
        ``(await stream.response()).parsed``."""
        from ._streaming import partial_object

        fragments: list[str] = []
        last: dict[str, Any] | None = None
        async for event in self:
            if type(event) is TextDelta and event.text:
                fragments.append(event.text)
                current = partial_object("".join(fragments))
                if current != last:
                    last = current
                    yield current

    @property
    def text(self) -> str:
        """The text received so far."""
        return self._source.accumulator.text if self._source is not None else ""

    async def aclose(self) -> None:
        await self.__aiter__().aclose()  # type: ignore[attr-defined]

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


_DONE = object()


class _Pump:
    """Moves a stream's events into a queue on the background loop; stoppable from any thread."""

    __slots__ = ("task",)

    def __init__(self) -> None:
        self.task: asyncio.Task[None] | None = None

    async def run(self, stream: AsyncStream, out: queue.SimpleQueue[Any]) -> None:
        self.task = asyncio.current_task()
        put = out.put
        try:
            async for event in stream:
                put(event)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread
            put(_Failure(exc))
        else:
            put(_DONE)

    async def stop(self, stream: AsyncStream) -> None:
        # Cancel the pump and wait until it has unwound: closing the stream while the pump is still
        # inside it (awaiting the provider's own clean-up) would fail with "already running".
        task = self.task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait((task,))
        await stream.aclose()


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class SyncStream:
    """The sync face of :class:`AsyncStream`: a pump on the background loop feeds a queue, so the
    caller's thread pays one queue read per event, not one cross-thread round trip.

    Leaving the loop early closes the connection as soon as the stream object is dropped
    (``break`` out of ``for event in client.stream(...)``), or at once with ``close()`` / ``with``.
    """

    def __init__(self, stream: AsyncStream) -> None:
        self._stream = stream
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._future: Any = None
        self._pump = _Pump()
        self._done = False

    def __iter__(self) -> Iterator[StreamEvent]:
        return self

    def __next__(self) -> StreamEvent:
        if self._done:
            raise StopIteration
        if self._future is None:
            # The pump holds the queue and the async stream, never this object: dropping the
            # SyncStream is what lets __del__ stop it.
            self._future = asyncio.run_coroutine_threadsafe(self._pump.run(self._stream, self._queue), _loop.loop())
        item = self._queue.get()
        if item is _DONE:
            self._done = True
            raise StopIteration
        if type(item) is _Failure:
            self._done = True
            raise item.error
        return item  # type: ignore[no-any-return]

    def response(self) -> ChatResponse:
        """Drain what is left and return the final response."""
        for _ in self:
            pass
        final = self._stream.final
        if final is None:
            raise LluminaryError("the stream was closed before it finished")
        return final

    @property
    def final(self) -> ChatResponse | None:
        return self._stream.final

    @property
    def cached(self) -> bool:
        """Whether the answer is replayed from the cache."""
        return self._stream.cached

    @property
    def text(self) -> str:
        return self._stream.text

    def close(self) -> None:
        """Stop early and close the connection."""
        if self._done:
            return
        self._done = True
        _loop.run(self._shutdown())

    async def _shutdown(self) -> None:
        await self._pump.stop(self._stream)

    def __del__(self) -> None:
        if self._done or self._future is None:
            return
        self._done = True
        try:
            loop = _loop.loop()
            if _loop.in_loop_thread():
                loop.create_task(self._pump.stop(self._stream))
            else:
                asyncio.run_coroutine_threadsafe(self._pump.stop(self._stream), loop)
        except RuntimeError:  # the interpreter is shutting down
            pass

    def __enter__(self) -> SyncStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
