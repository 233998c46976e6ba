"""The framings a ``streamGenerateContent`` answer comes in, read incrementally.

The plugin asks for ``alt=sse`` (data-only server-sent events). Without it, and behind a proxy
that drops the query parameter, the API streams the same ``GenerateContentResponse`` objects as
one JSON array written as it goes: ``[{...}`` then ``\\r\\n,\\r\\n{...}`` per chunk, then ``\\r\\n]``
(each element pretty-printed). A buffering proxy may also answer with one whole JSON object.
:func:`stream_chunks` tells them apart by the first non-blank byte of the body, so every framing
gives the same chunks; a body that is none of them is a :class:`~lluminary.MalformedResponseError`
(never a connection error, which would be retried).
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from typing import Any

from lluminary import sdk

#: What matters outside a string inside an element: brackets and the start of a string.
_STRUCTURE = re.compile(rb'[\[\]{}"]')
#: What matters inside a string: its end, or an escape (whose next byte is never its end).
_STRING = re.compile(rb'["\\]')
_BLANK = b" \t\r\n"
#: The first byte of a server-sent event line: ``data``, ``event``, ``id``, ``retry`` or a comment.
_SSE_START = frozenset(b"deir:")

_BEFORE, _BETWEEN, _AFTER_ELEMENT, _AFTER_COMMA, _CLOSED = range(5)


class JSONArrayDecoder:
    """The elements of a JSON array of objects, each as soon as its closing brace arrives.

    Bytes may be split anywhere (inside a string, an escape or a UTF-8 character): an element is
    decoded only once whole. Anything but whitespace, commas and objects at the top level of the
    array, or anything after its closing bracket, is a :class:`~lluminary.MalformedResponseError`."""

    __slots__ = ("_buffer", "_pos", "_depth", "_in_string", "_state", "_provider")

    def __init__(self, provider: str = "") -> None:
        self._buffer = bytearray()
        self._pos = 0  # scanned up to here
        self._depth = 0  # nesting inside the element being read (0: between elements)
        self._in_string = False
        self._state = _BEFORE
        self._provider = provider

    @property
    def closed(self) -> bool:
        """Whether the array's closing bracket arrived."""
        return self._state == _CLOSED

    def feed(self, chunk: bytes) -> list[Any]:
        """The elements ``chunk`` completes, decoded."""
        buf = self._buffer
        buf += chunk
        out: list[Any] = []
        i, n = self._pos, len(buf)
        while i < n:
            if self._in_string:
                found = _STRING.search(buf, i)
                if found is None:
                    i = n
                    break
                j = found.start()
                if buf[j] == 0x5C:  # a backslash: the escaped byte cannot end the string
                    if j + 1 >= n:
                        i = j  # wait for the escaped byte
                        break
                    i = j + 2
                    continue
                self._in_string = False
                i = j + 1
                continue
            if self._depth:
                found = _STRUCTURE.search(buf, i)
                if found is None:
                    i = n
                    break
                j = found.start()
                byte = buf[j]
                if byte == 0x22:  # "
                    self._in_string = True
                elif byte in (0x7B, 0x5B):  # { [
                    self._depth += 1
                else:
                    self._depth -= 1
                    if self._depth == 0:
                        out.append(self._decode(bytes(buf[: j + 1])))
                        del buf[: j + 1]
                        i, n = 0, len(buf)
                        self._state = _AFTER_ELEMENT
                        continue
                i = j + 1
                continue
            byte = buf[i]
            if byte in _BLANK:
                i += 1
                continue
            state = self._state
            if state == _BEFORE and byte == 0x5B:  # [
                self._state = _BETWEEN
            elif state in (_BETWEEN, _AFTER_COMMA) and byte == 0x7B:  # { starts an element
                del buf[:i]
                i, n = 0, len(buf)
                self._depth = 1
            elif state == _AFTER_ELEMENT and byte == 0x2C:  # ,
                self._state = _AFTER_COMMA
            elif state in (_BETWEEN, _AFTER_ELEMENT) and byte == 0x5D:  # ]
                self._state = _CLOSED
            else:
                raise self._unexpected(buf, i)
            i += 1
        self._pos = i
        if self._depth == 0 and not self._in_string:
            del buf[:i]  # only blanks and punctuation were left: nothing to keep
            self._pos = 0
        return out

    def flush(self) -> bool:
        """The end of the body; True when it ended inside an element (cut off)."""
        cut = self._depth > 0 or self._in_string
        self._buffer.clear()
        self._pos = self._depth = 0
        self._in_string = False
        return cut

    def _decode(self, raw: bytes) -> Any:
        try:
            return sdk.loads(raw)
        except ValueError as exc:
            raise sdk.MalformedResponseError(
                f"an element of the streamed JSON array is not JSON: {exc}: {raw[:200]!r}", provider=self._provider
            ) from None

    def _unexpected(self, buf: bytearray, i: int) -> sdk.MalformedResponseError:
        where = {
            _BEFORE: "before the array",
            _BETWEEN: "where an element should start",
            _AFTER_ELEMENT: "between elements",
            _AFTER_COMMA: "after a comma",
            _CLOSED: "after the end of the array",
        }[self._state]
        near = bytes(buf[i : i + 60])
        return sdk.MalformedResponseError(
            f"the streamed JSON array is broken: unexpected {near[:1]!r} {where} (near {near!r})",
            provider=self._provider,
        )


async def stream_chunks(answer: sdk.StreamAnswer, provider: str) -> AsyncGenerator[Any, None]:
    """The decoded ``GenerateContentResponse`` objects of a streamed answer, whatever its framing.

    Raises :class:`~lluminary.APIConnectionError` when the body is cut off inside a frame or an
    element (the connection broke), :class:`~lluminary.MalformedResponseError` when it cannot be
    read (neither server-sent events, a JSON array nor a JSON object; a frame that is not JSON)."""
    pieces = answer.aiter_bytes()
    head = b""
    async for piece in pieces:
        head += piece
        if head.strip():
            break
    first = head.lstrip()[:1]
    if not first:
        return  # an empty body: the caller reports a stream that ended before the model finished
    if first == b"[":
        array = JSONArrayDecoder(provider)
        for chunk in array.feed(head):
            yield chunk
        async for piece in pieces:
            for chunk in array.feed(piece):
                yield chunk
        if array.flush():
            raise sdk.APIConnectionError("the stream was cut off in the middle of an element", provider=provider)
        return
    if first == b"{":
        body = bytearray(head)
        async for piece in pieces:
            body += piece
        yield _loads(bytes(body), provider, "the answer")
        return
    if first[0] not in _SSE_START:
        kind = answer.content_type or "no content-type"
        raise sdk.MalformedResponseError(
            f"the stream is neither server-sent events nor a JSON array ({kind}): {head.strip()[:200]!r}",
            provider=provider,
        )
    frames = sdk.DataFrameDecoder()
    for data in frames.feed(head):
        if data:
            yield _loads(data, provider, "a stream frame")
    async for piece in pieces:
        for data in frames.feed(piece):
            if data:
                yield _loads(data, provider, "a stream frame")
    if frames.flush():
        raise sdk.APIConnectionError("the stream was cut off in the middle of an event", provider=provider)


def _loads(raw: bytes | str, provider: str, what: str) -> Any:
    try:
        return sdk.loads(raw)
    except ValueError:
        text = raw if isinstance(raw, str) else raw[:200].decode("utf-8", "replace")
        raise sdk.MalformedResponseError(f"{what} is not JSON: {text[:200]!r}", provider=provider) from None
