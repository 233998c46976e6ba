"""The ``faiss://`` URL: the store's directory and the options in its query string.

``faiss:///abs/dir`` is an absolute directory (three slashes: an empty host, then the path);
``faiss://relative/dir`` and ``faiss://~/dir`` are relative to the working directory and to the
home directory, resolved once when the URL is read.

Build options (``index``, ``metric``, ``m``, ``ef_construction``, ``dim``) are fixed by the
first write: an option left out of a later URL takes the stored value, and one that disagrees
with it is a :class:`~lluminary.sdk.ConfigurationError` naming the option. ``ef_search`` is read
at query time and may differ from one open to the next; so may ``durability`` (but the handles
open on one directory in a process share its store, so they must agree on it, as on ``threads``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Literal, TypeVar
from urllib.parse import unquote

from lluminary.sdk import ConfigurationError, Metric, url_options

Choice = TypeVar("Choice", bound=str)
IndexKind = Literal["flat", "hnsw"]
INDEX_KINDS: tuple[IndexKind, ...] = ("flat", "hnsw")
Durability = Literal["call", "save"]
DURABILITIES: tuple[Durability, ...] = ("call", "save")
METRICS: tuple[Metric, ...] = ("cosine", "dot", "l2")
KNOWN_OPTIONS = ("index", "metric", "m", "ef_construction", "ef_search", "dim", "threads", "inline_us", "durability")

#: HNSW defaults. ``m`` and ``ef_construction`` are FAISS's own defaults for ``m=32``;
#: ``ef_search`` is raised from FAISS's 16 so that a top 10 is usually the exact one on small
#: and medium stores (the search breadth is never below ``top_k``).
DEFAULT_M = 32
DEFAULT_EF_CONSTRUCTION = 40
DEFAULT_EF_SEARCH = 64
#: Queries measured shorter than this many microseconds run on the calling event loop (see
#: :meth:`lluminary_faiss.engine.Engine.query_now`): an HNSW search, or a flat one over a few
#: thousand vectors, but never a flat scan of a large store.
DEFAULT_INLINE_US = 2000


@dataclass(frozen=True)
class FaissOptions:
    """What a ``faiss://`` URL asks for; ``None``: not given (the stored value, else the default).

    ``index``: ``flat`` (exact) or ``hnsw`` (approximate, fast on large stores). ``metric``:
    ``cosine``, ``dot`` or ``l2``. ``m``, ``ef_construction``: the HNSW graph's degree and build
    breadth. ``ef_search``: the HNSW search breadth. ``dim``: the vectors' dimension (else learnt
    from the first upsert). ``threads``: OpenMP threads per FAISS call on this store's threads
    (default: FAISS's, all cores). ``inline_us``: a query whose recent ones took less than this
    many microseconds runs on the event loop instead of a worker thread (0: always a thread).
    ``durability``: ``call`` — every upsert and delete is committed to SQLite before it returns —
    or ``save`` — upserts are kept in memory (and searched at once) until ``save()``, ``close()``
    or a delete or filtered query writes them all in one transaction
    (:mod:`lluminary_faiss.pending`).
    """

    directory: str
    index: IndexKind | None = None
    metric: Metric | None = None
    m: int | None = None
    ef_construction: int | None = None
    ef_search: int = DEFAULT_EF_SEARCH
    dim: int | None = None
    threads: int | None = None
    inline_us: int = DEFAULT_INLINE_US
    durability: Durability = "call"

    @classmethod
    def from_url(cls, url: str) -> FaissOptions:
        parts, seen = url_options(url, "faiss", KNOWN_OPTIONS, kind="store")
        directory = _directory(url, unquote(parts.netloc + parts.path))
        index = _choice(url, "index", seen.get("index"), INDEX_KINDS)
        if index == "flat":
            for name in ("m", "ef_construction", "ef_search"):
                if name in seen:
                    raise _error(url, f"the option {name!r} applies to index=hnsw only")
        return cls(
            directory,
            index=index,
            metric=_choice(url, "metric", seen.get("metric"), METRICS),
            m=_integer(url, "m", seen.get("m"), minimum=2),
            ef_construction=_integer(url, "ef_construction", seen.get("ef_construction"), minimum=1),
            ef_search=_integer(url, "ef_search", seen.get("ef_search"), minimum=1) or DEFAULT_EF_SEARCH,
            dim=_integer(url, "dim", seen.get("dim"), minimum=1),
            threads=_integer(url, "threads", seen.get("threads"), minimum=1),
            inline_us=_default(_integer(url, "inline_us", seen.get("inline_us"), minimum=0), DEFAULT_INLINE_US),
            durability=_choice(url, "durability", seen.get("durability"), DURABILITIES) or "call",
        )

    def url(self) -> str:
        """These options as a URL (for reprs and messages)."""
        query = [
            f"{name}={value}"
            for name, value in (
                ("index", self.index),
                ("metric", self.metric),
                ("m", self.m),
                ("ef_construction", self.ef_construction),
                ("dim", self.dim),
                ("threads", self.threads),
            )
            if value is not None
        ]
        if self.ef_search != DEFAULT_EF_SEARCH:
            query.append(f"ef_search={self.ef_search}")
        if self.inline_us != DEFAULT_INLINE_US:
            query.append(f"inline_us={self.inline_us}")
        if self.durability != "call":
            query.append(f"durability={self.durability}")
        return f"faiss://{self.directory}" + (f"?{'&'.join(query)}" if query else "")


def _default(value: int | None, default: int) -> int:
    return default if value is None else value


def _error(url: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"store URL {url!r}: {problem}")


def _directory(url: str, raw: str) -> str:
    if raw in ("", "/"):
        raise _error(url, "no directory: write faiss:///absolute/dir or faiss://relative/dir")
    if os.name == "nt" and re.match(r"/[A-Za-z]:[/\\]", raw):  # faiss:///C:/data/index
        raw = raw[1:]
    return os.path.abspath(os.path.expanduser(raw))


def _choice(url: str, name: str, value: str | None, allowed: tuple[Choice, ...]) -> Choice | None:
    if value is None:
        return None
    for option in allowed:
        if value == option:
            return option
    raise _error(url, f"{name}={value!r} is not one of {', '.join(allowed)}")


def _integer(url: str, name: str, text: str | None, *, minimum: int) -> int | None:
    if text is None:
        return None
    if not re.fullmatch(r"\d{1,9}", text):
        raise _error(url, f"{name}={text!r} is not a whole number")
    value = int(text)
    if value < minimum:
        raise _error(url, f"{name}={text!r}: must be at least {minimum}")
    return value
