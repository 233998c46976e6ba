"""An encoder for the AWS event-stream binary framing (``application/vnd.amazon.eventstream``).

Bedrock's ``converse-stream`` answers in this framing. No package on PyPI that runs on every Python
lluminary supports offers a standalone encoder (botocore only decodes; ``awscrt`` encodes inside its
RPC client; ``smithy-aws-event-stream`` needs Python 3.12), so this is a small one, written from the
format description and checked frame for frame against botocore's decoder in the tests.

A message, all integers big-endian::

    total_length  u32   the whole message, these 4 bytes and the trailing CRC included
    headers_length u32
    prelude_crc   u32   CRC32 of the 8 bytes above
    headers       headers_length bytes: name_len u8, name, type u8, value
    payload       total_length - headers_length - 16 bytes
    message_crc   u32   CRC32 of everything before it

Header value types: 0/1 boolean true/false (no value), 2 byte, 3 short, 4 integer, 5 long,
6 byte array (u16 length), 7 string (u16 length, UTF-8), 8 timestamp (i64 milliseconds), 9 UUID.
"""

from __future__ import annotations

import json
import struct
import uuid
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Union

import attrs

PRELUDE_LENGTH = 12
CRC_LENGTH = 4

#: The header value types, by their wire code.
BOOL_TRUE, BOOL_FALSE, BYTE, SHORT, INTEGER, LONG, BYTES, STRING, TIMESTAMP, UUID = range(10)


@attrs.frozen
class Typed:
    """A header value with an explicit wire type, for integers narrower than ``long`` and the like:
    ``Typed(SHORT, 7)``."""

    type: int
    value: Any


HeaderValue = Union[str, bytes, bool, int, datetime, uuid.UUID, Typed]


def encode_header(name: str, value: HeaderValue) -> bytes:
    """One header: name, type code and value."""
    raw_name = name.encode("utf-8")
    if len(raw_name) > 255:
        raise ValueError(f"header name too long: {name!r}")
    head = struct.pack(">B", len(raw_name)) + raw_name
    if isinstance(value, Typed):
        return head + _typed(value.type, value.value)
    if isinstance(value, bool):
        return head + struct.pack(">B", BOOL_TRUE if value else BOOL_FALSE)
    if isinstance(value, int):
        return head + _typed(LONG, value)
    if isinstance(value, str):
        return head + _typed(STRING, value)
    if isinstance(value, (bytes, bytearray)):
        return head + _typed(BYTES, bytes(value))
    if isinstance(value, datetime):
        return head + _typed(TIMESTAMP, int(value.timestamp() * 1000))
    if isinstance(value, uuid.UUID):
        return head + _typed(UUID, value)
    raise TypeError(f"cannot encode header {name!r} of type {type(value).__name__}")


def _typed(code: int, value: Any) -> bytes:
    if code in (BOOL_TRUE, BOOL_FALSE):
        return struct.pack(">B", code)
    if code == BYTE:
        return struct.pack(">Bb", code, value)
    if code == SHORT:
        return struct.pack(">Bh", code, value)
    if code == INTEGER:
        return struct.pack(">Bi", code, value)
    if code in (LONG, TIMESTAMP):
        return struct.pack(">Bq", code, value)
    if code in (BYTES, STRING):
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        if len(data) > 0xFFFF:
            raise ValueError("header value longer than 65535 bytes")
        return struct.pack(">BH", code, len(data)) + data
    if code == UUID:
        data = value.bytes if isinstance(value, uuid.UUID) else bytes(value)
        if len(data) != 16:
            raise ValueError("a UUID header value is 16 bytes")
        return struct.pack(">B", code) + data
    raise ValueError(f"unknown header type {code}")


def encode_message(headers: Mapping[str, HeaderValue], payload: bytes = b"") -> bytes:
    """A complete event-stream message with both CRCs."""
    raw_headers = b"".join(encode_header(name, value) for name, value in headers.items())
    total = PRELUDE_LENGTH + len(raw_headers) + len(payload) + CRC_LENGTH
    prelude = struct.pack(">II", total, len(raw_headers))
    prelude += struct.pack(">I", zlib.crc32(prelude) & 0xFFFFFFFF)
    body = prelude + raw_headers + payload
    return body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def _json(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def event(event_type: str, payload: Any) -> bytes:
    """An ``:message-type event`` message whose payload is ``payload`` as JSON."""
    return encode_message(
        {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}, _json(payload)
    )


def exception(exception_type: str, message: str, **fields: Any) -> bytes:
    """An ``:message-type exception`` message (a modelled error inside a 200 stream)."""
    return encode_message(
        {":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"},
        _json({"message": message, **fields}),
    )


def error(code: str, message: str) -> bytes:
    """An ``:message-type error`` message (an unmodelled error: code and message in headers)."""
    return encode_message({":error-code": code, ":error-message": message, ":message-type": "error"})


def corrupt(frame: bytes, offset: int = -1) -> bytes:
    """``frame`` with one byte flipped at ``offset`` (default: the last payload byte), so its
    message CRC no longer matches."""
    position = offset if offset >= 0 else len(frame) - CRC_LENGTH - 1
    flipped = bytearray(frame)
    flipped[position] ^= 0xFF
    return bytes(flipped)
