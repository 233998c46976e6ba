"""A namespace's index file, written atomically and trusted only when it matches SQLite.

SQLite is the source of truth: it holds every record *and its vector*. The index file
(``ns-<id>.faiss``) only saves rebuilding the index on the next open. It starts with a header
naming the *token* of the records it reflects — a random value SQLite's namespace row gets anew
in every transaction that changes the namespace — then the position → id map, then the index in
FAISS's own format. On open, a file is used only if its token is the one SQLite holds;
otherwise (the process died after a write and before the next save, the file is missing or
unreadable) the index is rebuilt from SQLite's vectors. A crash can therefore cost a rebuild,
never a wrong answer. Random tokens, not a counter: a transaction lost in an OS crash can never
make an older file look current.

Writing: into a temporary file beside the final one, flushed and fsync'ed, then ``os.replace``
(atomic on POSIX and Windows) and an fsync of the directory, so a reader sees the old file or the
new one, whole.
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import numpy as np
import orjson

from .native import I64, Kind, NativeIndex, Space

MAGIC = b"LLFAISS1"
_LENGTH = struct.Struct("<Q")
#: Temporary files end with this; leftovers of a crash are deleted when the store opens.
TEMP_SUFFIX = ".tmp"


@dataclass(frozen=True)
class Saved:
    """What an index file holds."""

    token: str
    ids: I64
    index: NativeIndex


def file_name(ns_id: int) -> str:
    return f"ns-{ns_id}.faiss"


def save(path: str, token: str, ids: I64, index: NativeIndex) -> None:
    """Write the index and its ids to ``path`` atomically (see the module docs)."""
    temporary = f"{path}.{os.getpid()}{TEMP_SUFFIX}"
    header = orjson.dumps({"token": token, "count": len(ids), "kind": index.kind, "space": index.space})
    try:
        with open(temporary, "wb") as file:
            file.write(MAGIC)
            file.write(_LENGTH.pack(len(header)))
            file.write(header)
            file.write(np.ascontiguousarray(ids, dtype="<i8").tobytes())
            index.write(file.write)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    sync_directory(os.path.dirname(path))


def load(path: str, *, token: str, kind: Kind, space: Space) -> Saved | None:
    """The file at ``path`` if it reflects ``token`` and holds a ``kind``/``space`` index; None if
    it is missing, stale or unreadable (the caller rebuilds from SQLite)."""
    try:
        with open(path, "rb") as file:
            header = _header(file)
            if header is None or header.get("token") != token:
                return None
            if header.get("kind") != kind or header.get("space") != space:
                return None
            count = header.get("count")
            if not isinstance(count, int) or count < 0:
                return None
            raw = file.read(count * 8)
            if len(raw) != count * 8:
                return None
            ids: I64 = np.frombuffer(raw, dtype="<i8").astype(np.int64)
            index = NativeIndex.read(file.read, kind, space)
    except (OSError, ValueError, RuntimeError):
        return None  # FAISS raises RuntimeError on a truncated or corrupt index
    if index.ntotal != count:
        return None
    return Saved(token, ids, index)


def remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def temporary_files(directory: str) -> Iterator[str]:
    """Leftover temporary files of a save that did not finish."""
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(directory):
            if name.endswith(TEMP_SUFFIX) and name.startswith("ns-"):
                yield os.path.join(directory, name)


def sync_directory(directory: str) -> None:
    """fsync a directory, so a rename in it survives an OS crash (a no-op where unsupported)."""
    if os.name == "nt":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _header(file: IO[bytes]) -> dict[str, object] | None:
    if file.read(len(MAGIC)) != MAGIC:
        return None
    raw = file.read(_LENGTH.size)
    if len(raw) != _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(raw)
    if length > 1 << 20:
        return None
    try:
        header = orjson.loads(file.read(length))
    except orjson.JSONDecodeError:
        return None
    return header if isinstance(header, dict) else None
