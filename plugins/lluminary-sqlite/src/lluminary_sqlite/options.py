"""The ``sqlite://`` URL: where the file is, and the options in its query string.

``sqlite:///abs/path/cache.db`` is an absolute path (three slashes: an empty host, then the path);
``sqlite://cache.db`` and ``sqlite://~/.cache/lluminary.db`` are relative to the working
directory and to the home directory, resolved once when the backend is made, so a later
``chdir`` does not move the cache. ``:memory:`` is refused: a database private to one
connection cannot be shared between processes, and ``memory://`` is the in-process cache.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from urllib.parse import unquote

from lluminary.sdk import ConfigurationError, url_options

#: 1 GiB: the byte cap when the URL does not give one.
DEFAULT_MAX_BYTES = 1 << 30
#: Seconds a write waits for another connection's write lock. Below the client's default
#: ``cache_timeout`` (2 s), so a locked database becomes this backend's error, reported by the
#: kernel as a CacheWarning, before the kernel stops waiting.
DEFAULT_TIMEOUT = 1.0

_SIZE = re.compile(r"(?P<number>\d[\d_]*)\s*(?P<unit>|b|kb|mb|gb|tb|kib|mib|gib|tib)", re.IGNORECASE)
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 1 << 10,
    "mib": 1 << 20,
    "gib": 1 << 30,
    "tib": 1 << 40,
}
KNOWN_OPTIONS = ("ttl", "max_bytes", "timeout")


@dataclass(frozen=True)
class SQLiteOptions:
    """What a ``sqlite://`` URL asks for. ``ttl``: seconds an entry stored without one lives
    (None: until evicted). ``max_bytes``: the cap on the stored keys and values. ``timeout``:
    seconds a write waits for the write lock."""

    path: str
    ttl: float | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_url(cls, url: str) -> SQLiteOptions:
        parts, seen = url_options(url, "sqlite", KNOWN_OPTIONS, kind="cache")
        path = _path(url, unquote(parts.netloc + parts.path))
        return cls(
            path,
            ttl=_seconds(url, "ttl", seen["ttl"], allow_zero=False) if "ttl" in seen else None,
            max_bytes=_size(url, seen["max_bytes"]) if "max_bytes" in seen else DEFAULT_MAX_BYTES,
            timeout=(
                _seconds(url, "timeout", seen["timeout"], allow_zero=True) if "timeout" in seen else DEFAULT_TIMEOUT
            ),
        )

    def url(self) -> str:
        """This configuration as a URL (for reprs and messages)."""
        query = [f"max_bytes={self.max_bytes}", f"timeout={self.timeout:g}"]
        if self.ttl is not None:
            query.insert(0, f"ttl={self.ttl:g}")
        return f"sqlite://{'' if self.path.startswith('/') else '/'}{self.path}?{'&'.join(query)}"


def _error(url: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"cache URL {url!r}: {problem}")


def _path(url: str, raw: str) -> str:
    if raw in ("", "/"):
        raise _error(url, "no file: write sqlite:///absolute/path.db or sqlite://relative/path.db")
    if raw.strip("/") == ":memory:":
        raise _error(url, "an in-memory SQLite database is private to one connection: use memory:// instead")
    if raw.endswith("/"):
        raise _error(url, "the path names a directory: add a file name, such as cache.db")
    if os.name == "nt" and re.match(r"/[A-Za-z]:[/\\]", raw):  # sqlite:///C:/cache.db
        raw = raw[1:]
    return os.path.abspath(os.path.expanduser(raw))


def _seconds(url: str, name: str, text: str, *, allow_zero: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _error(url, f"{name}={text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "more than zero"
        raise _error(url, f"{name}={text!r}: seconds must be finite and {bound}")
    return value


def _size(url: str, text: str) -> int:
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise _error(url, f"max_bytes={text!r} is not a size (bytes, or with a unit: 500MB, 1GiB)")
    value = int(match["number"]) * _UNITS[match["unit"].lower()]
    if value <= 0:
        raise _error(url, f"max_bytes={text!r}: the cap must be more than zero")
    return value
