"""A real HTTP/1.1 server on loopback that answers from a script, with faults on demand.

It runs its own event loop on a background thread, so sync tests, async tests and the demo all use
it the same way. Every request is recorded (method, path, query, headers, body) so tests assert the
exact wire request. Each scripted item answers one request, in order:

* a :class:`Reply` — raw status, headers and body chunks, sent as they are;
* anything the server's :meth:`FakeServer.render` understands (provider servers render
  :class:`~lluminary_testing.scenario.Scenario` and :class:`~lluminary_testing.scenario.ErrorScenario`);
* a callable taking the :class:`RecordedRequest` and returning one of the above.

When the script is empty, :attr:`FakeServer.responder` answers (by default: HTTP 500 saying so);
so it does when :meth:`FakeServer.takes` says the next item is not for this request (a token
count or an embedding call leaves the next chat scenario in the script).
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import attrs


@attrs.frozen
class Fault:
    """What goes wrong while answering.

    * ``delay_headers``: seconds of silence before the status line (a slow or hung server);
    * ``chunk_delay``: seconds between body chunks;
    * ``reset_after``: abort the TCP connection (RST) after this many chunks (for a reply that is
      not streamed: after this many body pieces, so ``0`` resets right after the headers);
    * ``truncate_after``: close the connection after this many chunks, mid body;
    * ``end_after``: end the body cleanly after this many chunks (a stream cut short by the peer);
    * ``rechunk``: re-split the body into pieces of this many bytes (splits UTF-8 characters,
      ``\\r\\n`` pairs and JSON anywhere).
    """

    delay_headers: float = 0.0
    chunk_delay: float = 0.0
    reset_after: int | None = None
    truncate_after: int | None = None
    end_after: int | None = None
    rechunk: int | None = None


@attrs.frozen
class Reply:
    """A raw HTTP answer. ``chunks`` are sent with chunked transfer encoding when ``stream`` is
    true, else joined with a Content-Length."""

    status: int = 200
    headers: Mapping[str, str] = attrs.field(factory=dict)
    chunks: Sequence[bytes] = ()
    stream: bool = False
    fault: Fault | None = None

    @classmethod
    def json(
        cls, body: Any, status: int = 200, headers: Mapping[str, str] | None = None, *, malformed: bool = False
    ) -> Reply:
        """``body`` as a JSON answer; ``malformed`` cuts it off mid-object (``Scenario.malformed``)."""
        data = json.dumps(body).encode("utf-8")
        if malformed:
            data = data[: len(data) // 2]
        return cls(status, {"content-type": "application/json", **(headers or {})}, (data,))

    def with_fault(self, fault: Fault | None) -> Reply:
        return attrs.evolve(self, fault=fault) if fault is not None else self


@attrs.frozen
class RecordedRequest:
    """A request as the server received it."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def json_or_none(self) -> Any:
        """The body as JSON, or None when it is empty or not JSON: what a server looks at before it
        decides whether (and how) to reject the request."""
        try:
            return self.json()
        except ValueError:
            return None

    @property
    def streamed(self) -> bool:
        """Whether the body is a JSON object that asks for a stream (``"stream": true``)."""
        body = self.json_or_none()
        return isinstance(body, dict) and body.get("stream") is True


REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    424: "Failed Dependency",
    429: "Too Many Requests",
    498: "Invalid Token",
    499: "Client Closed Request",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    529: "Overloaded",
}


class FakeServer:
    """Start with :meth:`start` (or as a context manager); :attr:`base_url` is where it listens."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.requests: list[RecordedRequest] = []
        self.responder: Callable[[RecordedRequest], Any] = self.default_responder
        self._script: deque[Any] = deque()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0
        self.closed_early = 0

    # ---- lifecycle

    def start(self) -> Self:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._handle, self.host, self.port, reuse_address=True, backlog=4096)
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name=f"{type(self).__name__}-server", daemon=True)
        self._thread.start()
        ready.wait()
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            current = asyncio.current_task()
            pending = [t for t in asyncio.all_tasks() if t is not current]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if self._server is not None:
                await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._loop = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ---- scripting

    def script(self, *items: Any) -> FakeServer:
        """Queue answers, one per request, in order."""
        with self._lock:
            self._script.extend(items)
        return self

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()

    @property
    def pending(self) -> int:
        return len(self._script)

    @property
    def last_request(self) -> RecordedRequest:
        return self.requests[-1]

    def default_responder(self, request: RecordedRequest) -> Any:
        return Reply.json({"error": {"message": f"nothing scripted for {request.method} {request.path}"}}, 500)

    def render(self, item: Any, request: RecordedRequest) -> Reply:
        """Turn a scripted item into a :class:`Reply`. Provider servers override this to render
        scenarios in their wire format."""
        if isinstance(item, Reply):
            return item
        raise TypeError(f"{type(self).__name__} cannot render {item!r}")

    def takes(self, item: Any, request: RecordedRequest) -> bool:
        """Whether ``item``, next in the script, answers ``request``. When not, it stays for the
        next request and :attr:`responder` answers this one: servers with side routes (token
        counting, embeddings, model lists) keep a chat scenario for the chat call that follows."""
        return True

    def _answer(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            item = self._script.popleft() if self._script and self.takes(self._script[0], request) else None
        if item is None:
            item = self.responder(request)
        while callable(item) and not isinstance(item, Reply):
            item = item(request)
        return self.render(item, request)

    # ---- HTTP

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                try:
                    reply = self._answer(request)
                except Exception as exc:  # noqa: BLE001 - a broken script is reported over HTTP
                    reply = Reply.json({"error": {"message": f"fake server failed: {exc!r}"}}, 500)
                keep_open = await self._send(writer, reply)
                if not keep_open:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            self.closed_early += 1
        except asyncio.CancelledError:
            pass
        finally:
            self._writers.discard(writer)
            if not writer.transport.is_closing():
                writer.close()

    async def _send(self, writer: asyncio.StreamWriter, reply: Reply) -> bool:
        fault = reply.fault or Fault()
        chunks: list[bytes] = [c for c in reply.chunks if c]
        if fault.rechunk:
            joined = b"".join(chunks)
            chunks = [joined[i : i + fault.rechunk] for i in range(0, len(joined), fault.rechunk)]
        if fault.delay_headers:
            await asyncio.sleep(fault.delay_headers)
        reason = REASONS.get(reply.status, "Status")
        head = [f"HTTP/1.1 {reply.status} {reason}"]
        headers = {k.lower(): v for k, v in reply.headers.items()}
        if reply.stream:
            headers["transfer-encoding"] = "chunked"
        else:
            headers["content-length"] = str(sum(len(c) for c in chunks))
        head.extend(f"{k}: {v}" for k, v in headers.items())
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if not reply.stream:
            cut = fault.reset_after if fault.reset_after is not None else fault.truncate_after
            if cut is not None:
                # A body cut short: the Content-Length promised more than arrives.
                writer.write(b"".join(chunks[:cut]))
                await writer.drain()
                if fault.reset_after is not None:
                    _abort(writer)
                else:
                    writer.close()
                return False
            writer.write(b"".join(chunks))
            await writer.drain()
            return True
        await writer.drain()
        for sent, chunk in enumerate(chunks):
            if fault.reset_after is not None and sent >= fault.reset_after:
                _abort(writer)
                return False
            if fault.truncate_after is not None and sent >= fault.truncate_after:
                writer.close()
                return False
            if fault.end_after is not None and sent >= fault.end_after:
                break
            if fault.chunk_delay and sent:
                await asyncio.sleep(fault.chunk_delay)
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
        if fault.reset_after is not None and fault.reset_after >= len(chunks):
            _abort(writer)
            return False
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST, the way a crashed peer or a proxy dropping the connection does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


async def _read_request(reader: asyncio.StreamReader) -> RecordedRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
    parts = urlsplit(target)
    return RecordedRequest(method, parts.path, parse_qs(parts.query), headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)


#: The headers of a server-sent event stream.
SSE_HEADERS = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}


def seconds(value: float) -> str:
    """A number of seconds as a header says it: ``1``, ``0.4``."""
    return str(int(value)) if float(value).is_integer() else str(value)


def sse(events: Iterable[tuple[str | None, Any]], *, done: bool = False) -> list[bytes]:
    """Frame ``(event name or None, data)`` pairs as SSE; data that is not a string is JSON-encoded.
    ``done`` appends OpenAI's ``data: [DONE]`` sentinel."""
    out: list[bytes] = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        frame = (f"event: {name}\n" if name else "") + "".join(f"data: {line}\n" for line in text.split("\n")) + "\n"
        out.append(frame.encode("utf-8"))
    if done:
        out.append(b"data: [DONE]\n\n")
    return out


def ndjson(objects: Iterable[Any]) -> list[bytes]:
    """One JSON object per line."""
    return [(json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8") for obj in objects]
