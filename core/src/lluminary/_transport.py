"""The HTTP transport every provider shares: one pooled ``httpx2.AsyncClient`` per provider
configuration and event loop, per-request timeouts on that one pool, typed errors for every
failure, and frame readers for streamed answers.

``httpx2`` is imported when the first transport is built, never by ``import lluminary``.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import attrs

from ._errors import MalformedResponseError, ProviderError
from ._http import default_error, request_id, transport_error
from ._sse import DataFrameDecoder, LineDecoder, SSEDecoder, SSEEvent

if TYPE_CHECKING:
    import httpx2

__all__ = ["Answer", "PoolOptions", "Pools", "StreamAnswer", "Transport", "ErrorMapper"]

#: ``(status, body, headers, provider) -> error``: how a provider reads its error answers.
ErrorMapper = Callable[[int, bytes, Mapping[str, str], str], ProviderError]

DEFAULT_TIMEOUT = 600.0
_DRAIN_BYTES = 65_536
_DRAIN_SECONDS = 0.05
DEFAULT_CONNECT_TIMEOUT = 10.0


@attrs.frozen
class PoolOptions:
    """How one pool is sized. Timeouts are per request; only the defaults live here.

    ``max_keepalive_connections`` and ``keepalive_expiry`` are small on purpose: httpcore looks at
    every idle connection on each request, so a pool that keeps many idle connections for long
    makes every sequential call pay for them (measured: 20 idle connections kept 60 s were a
    third of a loopback call's time). Raise them when a steady high concurrency is the norm.
    """

    max_connections: int = 100
    max_keepalive_connections: int = 10
    keepalive_expiry: float = 5.0
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT


class Answer:
    """A whole HTTP answer: status, headers, body, and its JSON on demand."""

    __slots__ = ("status", "headers", "content", "provider")

    def __init__(self, status: int, headers: Mapping[str, str], content: bytes, provider: str) -> None:
        self.status = status
        self.headers = headers
        self.content = content
        self.provider = provider

    @property
    def request_id(self) -> str | None:
        return request_id(self.headers)

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON is a :class:`MalformedResponseError`."""
        from ._json import loads

        try:
            return loads(self.content)
        except ValueError as exc:
            text = self.content[:200].decode("utf-8", "replace")
            raise MalformedResponseError(
                f"the answer is not valid JSON: {exc}: {text!r}", provider=self.provider, request_id=self.request_id
            ) from None


class StreamAnswer:
    """A streamed HTTP answer, read as bytes, SSE events, SSE data or NDJSON lines.

    Transport failures while reading become typed errors. After a frame reader is exhausted,
    ``truncated`` says whether the body ended in the middle of a frame.
    """

    __slots__ = ("_response", "provider", "truncated", "_chunks")

    def __init__(self, response: httpx2.Response, provider: str) -> None:
        self._response = response
        self.provider = provider
        self.truncated = False
        self._chunks: AsyncIterator[bytes] | None = None  # one byte iterator that every reader shares

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    @property
    def request_id(self) -> str | None:
        return request_id(self._response.headers)

    @property
    def content_type(self) -> str:
        return str(self._response.headers.get("content-type", ""))

    async def read(self) -> bytes:
        """The rest of the body at once (a server that answered a stream request with JSON)."""
        import httpx2

        try:
            return await self._response.aread()
        except httpx2.TransportError as exc:
            raise transport_error(exc, self.provider) from exc

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        import httpx2

        if self._chunks is None:
            self._chunks = self._response.aiter_bytes()
        try:
            async for chunk in self._chunks:
                yield chunk
        except httpx2.TransportError as exc:
            raise transport_error(exc, self.provider) from exc

    async def drain(self) -> None:
        """Read the rest of a body that is nearly done (a reader stopped at the API's end marker),
        within a small byte and time budget, so the connection can go back to the pool; more than
        that is left unread and the connection is dropped when the answer closes."""
        response = self._response
        if response.is_closed:
            return
        chunks = self._chunks
        if chunks is None:
            if response.is_stream_consumed:
                return
            chunks = self._chunks = response.aiter_bytes()
        received = 0
        try:
            async with asyncio.timeout(_DRAIN_SECONDS):
                async for chunk in chunks:
                    received += len(chunk)
                    if received > _DRAIN_BYTES:
                        return
        except Exception:  # noqa: BLE001 - draining is an optimisation; closing follows either way
            return

    async def sse(self) -> AsyncIterator[SSEEvent]:
        """Whole server-sent events, by the WHATWG algorithm."""
        decoder = SSEDecoder()
        async for chunk in self.aiter_bytes():
            for event in decoder.feed(chunk):
                yield event
        self.truncated = decoder.flush()

    async def sse_data(self) -> AsyncIterator[str]:
        """The ``data`` of each server-sent event (event names dropped): the fast path for APIs
        whose data says what it is (OpenAI, Mistral)."""
        decoder = DataFrameDecoder()
        async for chunk in self.aiter_bytes():
            for data in decoder.feed(chunk):
                yield data
        self.truncated = decoder.flush()

    async def lines(self) -> AsyncIterator[str]:
        """Newline-delimited frames (NDJSON). Invalid UTF-8 is a :class:`MalformedResponseError`
        (raised by the :class:`LineDecoder` itself)."""
        decoder = LineDecoder(self.provider)
        async for chunk in self.aiter_bytes():
            for line in decoder.feed(chunk):
                yield line
        for line in decoder.flush():
            yield line


class Transport:
    """One pooled client for one provider configuration on one event loop."""

    __slots__ = ("provider", "options", "client", "_timeouts", "_default_timeout")

    def __init__(self, provider: str, options: PoolOptions, **client_kwargs: Any) -> None:
        import httpx2

        self.provider = provider
        self.options = options
        self._default_timeout = httpx2.USE_CLIENT_DEFAULT
        self._timeouts: dict[float, httpx2.Timeout] = {}
        self.client = httpx2.AsyncClient(
            timeout=httpx2.Timeout(options.timeout, connect=min(options.timeout, options.connect_timeout)),
            limits=httpx2.Limits(
                max_connections=options.max_connections,
                max_keepalive_connections=min(options.max_connections, options.max_keepalive_connections),
                keepalive_expiry=options.keepalive_expiry,
            ),
            **client_kwargs,
        )

    def __repr__(self) -> str:
        return f"<Transport {self.provider!r} {self.options}>"

    @property
    def is_closed(self) -> bool:
        return bool(self.client.is_closed)

    def timeout(self, seconds: float | None) -> Any:
        """The per-request timeout for ``seconds`` (None: the pool's default). The same pool
        serves every timeout; only this small object differs."""
        if seconds is None:
            return self._default_timeout
        found = self._timeouts.get(seconds)
        if found is None:
            import httpx2

            if len(self._timeouts) > 64:
                self._timeouts.clear()
            found = self._timeouts[seconds] = httpx2.Timeout(
                seconds, connect=min(seconds, self.options.connect_timeout)
            )
        return found

    async def send(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-request timeout for httpx2, not a deadline
        error: ErrorMapper | None = None,
        provider: str | None = None,
    ) -> Answer:
        """One request, its whole answer read. A status of 400 or more raises the typed error
        ``error`` builds (by default: the status with the body's message). Errors name
        ``provider`` (the prefix called), or this transport's provider."""
        import httpx2

        name = provider or self.provider
        try:
            response = await self.client.request(
                method, url, content=content, headers=headers, timeout=self.timeout(timeout)
            )
            body = response.content
        except httpx2.TransportError as exc:
            raise transport_error(exc, name) from exc
        if response.status_code >= 400:
            raise (error or default_error)(response.status_code, body, response.headers, name)
        return Answer(response.status_code, response.headers, body, name)

    async def post_json(
        self,
        url: str,
        body: Any,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-request timeout for httpx2, not a deadline
        error: ErrorMapper | None = None,
        provider: str | None = None,
    ) -> Answer:
        """POST ``body`` (bytes as they are, anything else as compact JSON)."""
        if not isinstance(body, (bytes, bytearray)):
            from ._json import dumps

            body = dumps(body)
        return await self.send(
            "POST", url, content=bytes(body), headers=headers, timeout=timeout, error=error, provider=provider
        )

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        url: str,
        *,
        content: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-request timeout for httpx2, not a deadline
        error: ErrorMapper | None = None,
        provider: str | None = None,
    ) -> AsyncIterator[StreamAnswer]:
        """Open a streamed request; the connection is released when the block exits, early or not.
        An error status is read whole and raised as a typed error before the block runs."""
        import httpx2

        name = provider or self.provider
        if content is not None and not isinstance(content, (bytes, bytearray)):
            from ._json import dumps

            content = dumps(content)
        client = self.client
        outgoing = client.build_request(method, url, content=content, headers=headers, timeout=self.timeout(timeout))
        try:
            response = await client.send(outgoing, stream=True)
        except httpx2.TransportError as exc:
            raise transport_error(exc, name) from exc
        try:
            if response.status_code >= 400:
                try:
                    body = await response.aread()
                except Exception:  # noqa: BLE001 - the status already says what went wrong
                    body = b""
                raise (error or default_error)(response.status_code, body, response.headers, name)
            answer = StreamAnswer(response, name)
            yield answer
            # The reader stopped at the API's end marker ([DONE], done: true): read what little
            # is left (the chunked terminator) so the connection goes back to the pool.
            await answer.drain()
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()


class Pools:
    """Transports by (provider, pool options), one set per event loop: a client's connections
    belong to the loop that opened them, so a program that runs several loops gets one pool per
    loop instead of dead connections. A :class:`~lluminary.Client` owns one and closes it."""

    def __init__(self) -> None:
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Any, Transport]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, provider: str, options: PoolOptions, **client_kwargs: Any) -> Transport:
        loop = asyncio.get_running_loop()
        transports = self._by_loop.get(loop)
        if transports is None:
            transports = self._by_loop[loop] = {}
        key: Any = (provider, options)
        if client_kwargs:
            key = (provider, options, tuple(sorted((k, repr(v)) for k, v in client_kwargs.items())))
        found = transports.get(key)
        if found is None or found.is_closed:
            found = transports[key] = Transport(provider, options, **client_kwargs)
        return found

    def __len__(self) -> int:
        return sum(len(t) for t in self._by_loop.values())

    async def aclose(self) -> None:
        """Close every transport: those of the running loop now; those of a loop that still runs
        in another thread are handed to that loop (not awaited: that loop may be the one blocked
        in a sync ``close()``); a stopped loop's connections are already gone."""
        running = asyncio.get_running_loop()
        by_loop, self._by_loop = dict(self._by_loop), weakref.WeakKeyDictionary()
        for loop, transports in by_loop.items():
            for transport in transports.values():
                if loop is running:
                    await transport.aclose()
                elif loop.is_running() and not loop.is_closed():
                    asyncio.run_coroutine_threadsafe(transport.aclose(), loop)


#: The pools used when no client is in scope (a provider called directly, in tests or scripts).
default_pools = Pools()


async def aclose_default_pools() -> None:
    """Close the process-wide pools of providers called outside any client (tests, scripts)."""
    await default_pools.aclose()
