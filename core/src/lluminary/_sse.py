"""Incremental decoders for the framings providers stream in: SSE and NDJSON.

Both take raw byte chunks as they arrive, split anywhere (mid-line, mid-UTF-8 character), and
yield complete frames. They decode a line only once it is complete, so a character split across
chunks is never mangled.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from ._errors import MalformedResponseError


@attrs.frozen
class SSEEvent:
    """One server-sent event: its ``event`` name (``"message"`` when absent), ``data`` and ``id``."""

    event: str
    data: str
    id: str | None = None


class SSEDecoder:
    """The WHATWG event-stream algorithm: ``data`` lines join with newlines, comments are
    dropped, a blank line dispatches, ``\\r\\n``, ``\\r`` and ``\\n`` all end lines."""

    __slots__ = ("_buffer", "_event", "_data", "_id", "_skip_lf")

    def __init__(self) -> None:
        self._buffer = b""
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None
        self._skip_lf = False

    def feed(self, chunk: bytes) -> Iterator[SSEEvent]:
        if not chunk:
            return
        if self._skip_lf:
            # The previous chunk ended with \r, which already ended its line: a \n right after it
            # is the second half of that \r\n, not an empty line.
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        buffer = self._buffer + chunk if self._buffer else chunk
        if b"\r" in buffer:
            # A trailing \r ends its line now (an event must not wait for bytes that may never
            # come); the \n that may follow in the next chunk is dropped there.
            self._skip_lf = buffer.endswith(b"\r")
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        *lines, self._buffer = buffer.split(b"\n")
        for raw in lines:
            event = self._line(raw)
            if event is not None:
                yield event

    def idle(self) -> bool:
        """Whether no partial line, data or event name is held (the next byte starts an event)."""
        return not (self._buffer or self._data or self._event or self._skip_lf)

    def flush(self) -> bool:
        """End of stream. An event not closed by its blank line is dropped, as the spec says;
        returns True when one was pending, so the caller can report a truncated stream."""
        pending = bool(self._buffer or self._data or self._event)
        self._buffer, self._event, self._data, self._skip_lf = b"", "", [], False
        return pending

    def _line(self, raw: bytes) -> SSEEvent | None:
        if not raw:
            if not self._data:  # the spec: a blank line with no data dispatches nothing
                self._event = ""
                return None
            event = SSEEvent(self._event or "message", "\n".join(self._data), self._id)
            self._event = ""
            self._data = []
            return event
        if raw[0] == 58:  # ":" comment / keep-alive
            return None
        line = raw.decode("utf-8", "replace")  # as the spec says: never fail on a bad byte
        field, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            self._id = value
        return None


class LineDecoder:
    """Newline-delimited frames (NDJSON): yields each complete, non-blank line as text.

    Unlike SSE, NDJSON carries JSON, which must be UTF-8: a line with an invalid byte raises
    :class:`~lluminary.MalformedResponseError` (naming ``provider``) here, so no reader has to
    remember to catch ``UnicodeDecodeError``."""

    __slots__ = ("_buffer", "_provider")

    def __init__(self, provider: str = "") -> None:
        self._buffer = b""
        self._provider = provider

    def feed(self, chunk: bytes) -> Iterator[str]:
        *lines, self._buffer = (self._buffer + chunk).split(b"\n")
        for raw in lines:
            raw = raw.strip()
            if raw:
                yield self._decode(raw)

    def flush(self) -> Iterator[str]:
        raw, self._buffer = self._buffer.strip(), b""
        if raw:
            yield self._decode(raw)

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = raw[max(0, exc.start - 20) : exc.end + 20]
            raise MalformedResponseError(
                f"a stream line is not valid UTF-8 ({exc.reason} at byte {exc.start}: {bad!r})",
                provider=self._provider,
            ) from None


class DataFrameDecoder:
    """SSE ``data`` off the wire, with a fast path for what OpenAI-style servers send: whole
    events of one ``data:`` line (or an ``event:`` line and a ``data:`` line), however many
    arrive in one read. Their text is sliced out of the bytes, with no per-line decoding and
    no event objects; an unfinished event at the end waits for the next read. Anything else
    (``\r`` line ends, several data lines, ids) goes through the full :class:`SSEDecoder`,
    until it is idle again. Keep-alive ``ping`` events are dropped."""

    __slots__ = ("_decoder", "_clean", "_tail")

    def __init__(self) -> None:
        self._decoder = SSEDecoder()
        self._clean = True  # the full decoder holds no partial line, data or event name
        self._tail = b""  # the fast path's unfinished event

    def feed(self, chunk: bytes) -> list[str]:
        if self._clean:
            buffer = self._tail + chunk if self._tail else chunk
            if b"\r" not in buffer:
                end = buffer.rfind(b"\n\n")
                if end < 0:
                    self._tail = buffer
                    return []
                out = _simple_frames(buffer[:end])
                if out is not None:
                    self._tail = buffer[end + 2 :]
                    return out
            self._tail = b""
            chunk = buffer
        out = [event.data for event in self._decoder.feed(chunk) if event.event != "ping"]
        self._clean = self._decoder.idle()
        return out

    def flush(self) -> bool:
        """End of body: whether an event was left incomplete."""
        if self._tail:
            for _ in self._decoder.feed(self._tail):
                pass  # with no blank line in it, a tail holds no whole event
            self._tail = b""
        return self._decoder.flush()


def _simple_frames(block: bytes) -> list[str] | None:
    """The data of each event in ``block`` (events split by blank lines, no ``\r``), or None
    when one is not a lone ``data:`` line, ``event:`` + ``data:`` lines, or a comment."""
    out: list[str] = []
    for frame in block.split(b"\n\n"):
        if frame[:5] == b"data:":
            if b"\n" in frame:
                return None
            value = frame[6:] if frame[5:6] == b" " else frame[5:]
        elif frame[:6] == b"event:":
            name, newline, data = frame.partition(b"\n")
            if not newline or data[:5] != b"data:" or b"\n" in data:
                return None
            if (name[7:] if name[6:7] == b" " else name[6:]) == b"ping":
                continue
            value = data[6:] if data[5:6] == b" " else data[5:]
        elif frame[:1] == b":" and b"\n" not in frame:
            continue  # a comment: keep-alive
        else:
            return None
        out.append(value.decode("utf-8", "replace"))
    return out
