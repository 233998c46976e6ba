"""The few ASGI pieces the gateway needs, without a framework: read a body under a size limit,
send JSON, send a stream that stops when the client goes away.

A bare ASGI app on uvicorn (uvloop, httptools) adds the least per request: the gateway has a
dozen fixed routes, which a dict lookup serves.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from lluminary.sdk import dumps

from .errors import GatewayError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON = b"application/json"
SSE_HEADERS = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache")]


class ClientGone(Exception):
    """The client closed the connection before the answer was read."""


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole request body; 413 as soon as it is known to pass ``limit`` bytes."""
    declared = header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    first = await receive()
    if first["type"] == "http.disconnect":
        raise ClientGone
    body = first.get("body", b"")
    if not first.get("more_body"):
        if len(body) > limit:
            raise _too_large(limit)
        return bytes(body)
    chunks = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _too_large(limit: int) -> GatewayError:
    return GatewayError(
        413, f"the request body is larger than this gateway's limit of {limit} bytes", code="request_too_large"
    )


async def send_json(
    send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]], content_type: bytes = JSON
) -> None:
    data = body if isinstance(body, bytes) else dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(data)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def send_stream(
    send: Send, receive: Receive, frames: AsyncIterator[bytes], headers: list[tuple[bytes, bytes]]
) -> bool:
    """Send ``frames`` as a chunked 200 answer; returns whether it was sent to its end.

    Frames are written in batches: whatever the upstream's events produced while the previous
    write was under way goes out in one write, so a burst of events costs one system call
    while a slow stream still sends each event the moment it arrives. When the client
    disconnects, the frames' iterator is cancelled and closed at once (so is the upstream
    stream behind it)."""
    await send({"type": "http.response.start", "status": 200, "headers": [*SSE_HEADERS, *headers]})
    pending: list[bytes] = []
    ready = asyncio.Event()
    finished = False

    async def produce() -> None:
        nonlocal finished
        try:
            async for frame in frames:
                if frame:
                    pending.append(frame)
                    ready.set()
        finally:
            finished = True
            ready.set()
            aclose = getattr(frames, "aclose", None)
            if aclose is not None:
                await aclose()

    async def deliver() -> None:
        while True:
            if not pending and not finished:
                await ready.wait()
                ready.clear()
            if pending:
                data = b"".join(pending)
                pending.clear()
                await send({"type": "http.response.body", "body": data, "more_body": True})
            elif finished:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    producing = asyncio.ensure_future(produce())
    delivering = asyncio.ensure_future(deliver())
    watching = asyncio.ensure_future(watch())
    try:
        await asyncio.wait((delivering, watching), return_when=asyncio.FIRST_COMPLETED)
        if delivering.done() and delivering.exception() is None:
            await producing  # already finished: collect its outcome
    finally:
        for task in (watching, delivering, producing):
            if not task.done():
                task.cancel()
        await asyncio.gather(producing, delivering, watching, return_exceptions=True)
    if delivering.cancelled():
        return False
    error = delivering.exception() or (None if producing.cancelled() else producing.exception())
    if error is not None and not isinstance(error, OSError):
        raise error
    return error is None
