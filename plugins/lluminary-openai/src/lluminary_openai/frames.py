"""SSE frames off the wire, with a fast path for the frames OpenAI actually sends.

OpenAI sends each event as its own HTTP chunk: ``data: {...}`` and a blank line (with an
``event: name`` line first in the Responses API). When a chunk is exactly one such frame and the
decoder holds nothing from earlier chunks, its JSON is sliced straight out of the bytes: no line
splitting, no event object. Anything else (several frames in a chunk, a frame split across
chunks, comments, CRLF line ends, ``id:`` lines) goes to the kernel's full WHATWG decoder,
:class:`lluminary._sse.SSEDecoder`.
"""

from __future__ import annotations

from lluminary._sse import SSEDecoder


class FrameDecoder:
    """Feed it raw body chunks; get back the ``data`` of each complete event, in order."""

    __slots__ = ("_decoder", "_clean")

    def __init__(self) -> None:
        self._decoder = SSEDecoder()
        self._clean = True  # the full decoder holds no partial line, data or event name

    def feed(self, chunk: bytes) -> list[str]:
        if self._clean and chunk[-2:] == b"\n\n":
            data = b""
            if chunk[:6] == b"data: ":
                data = chunk[6:-2]
            elif chunk[:7] == b"event: ":  # the Responses API names each event; its data says it too
                line_end = chunk.find(b"\n")
                if chunk[line_end + 1 : line_end + 7] == b"data: ":
                    data = chunk[line_end + 7 : -2]
            if data and b"\n" not in data and b"\r" not in data:
                # Undecodable bytes are replaced, as the full decoder does.
                return [data.decode("utf-8", "replace")]
        out = [event.data for event in self._decoder.feed(chunk)]
        # Conservative: only a chunk ending in a blank line is known to leave nothing pending.
        self._clean = chunk[-2:] == b"\n\n"
        return out

    def flush(self) -> bool:
        """End of body: whether an event was left incomplete."""
        return self._decoder.flush()
