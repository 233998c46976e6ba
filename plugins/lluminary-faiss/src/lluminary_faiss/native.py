"""The one module that imports FAISS (which ships no type stubs), behind a small typed class.

A :class:`NativeIndex` is a plain FAISS index — ``IndexFlat`` or ``IndexHNSWFlat`` — addressed
by *position* (the order vectors were added in). The store keeps its own map from positions to
its int64 ids (:mod:`lluminary_faiss.space`), which lets a filter be handed to FAISS as a bitmap
over positions (``IDSelectorBitmap``: one bit test per candidate, cheaper than the hash set of
``IDSelectorBatch``) and the selected vectors be read straight from the index's storage.

FAISS releases the GIL in ``add``, ``search`` and ``remove_ids``, so searches on the store's
worker threads run in parallel with each other and with the event loop. Searching is safe from
several threads at once; adding and removing are not (the store holds a write lock for them).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Literal

import faiss as _faiss
import numpy as np
import numpy.typing as npt

#: FAISS's SWIG bindings, untyped (its partial stubs vary between releases): every use is here.
faiss: Any = _faiss
_pointer = faiss.swig_ptr
_norm = faiss.fvec_norm_L2sqr

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]

Kind = Literal["flat", "hnsw"]
Space = Literal["ip", "l2"]  # what FAISS computes: inner product, or squared L2 distance


class NativeIndex:
    """One FAISS index. ``kind``: ``flat`` (exact) or ``hnsw``; ``space``: ``ip`` or ``l2``."""

    def __init__(self, raw: Any, kind: Kind, space: Space) -> None:
        self._raw = raw
        self.kind: Kind = kind
        self.space: Space = space
        self._params: dict[int, Any] = {}  # efSearch -> SearchParametersHNSW (read-only once made)

    @classmethod
    def new(cls, kind: Kind, space: Space, dim: int, *, m: int, ef_construction: int) -> NativeIndex:
        metric = faiss.METRIC_INNER_PRODUCT if space == "ip" else faiss.METRIC_L2
        if kind == "flat":
            return cls(faiss.IndexFlat(dim, metric), kind, space)
        raw = faiss.IndexHNSWFlat(dim, m, metric)
        raw.hnsw.efConstruction = ef_construction
        return cls(raw, kind, space)

    @property
    def ntotal(self) -> int:
        return int(self._raw.ntotal)

    @property
    def dim(self) -> int:
        return int(self._raw.d)

    def add(self, vectors: F32, scale: F32 | None = None) -> None:
        """Append ``vectors`` (n x dim, C-contiguous float32) at positions ntotal.. ntotal+n-1,
        each multiplied by its ``scale`` if given (to make unit vectors). A flat index scales its
        own copy in place, as raw FAISS users normalise a copy in place: two copies of the batch
        (the store's and the index's), not three; an HNSW graph links its nodes as they are
        added, so they are scaled before."""
        if scale is None:
            self._raw.add(vectors)
        elif self.kind == "hnsw":
            self._raw.add(vectors * scale[:, None])
        else:
            start = self.ntotal
            self._raw.add(vectors)
            added = self.vectors()[start:]
            np.multiply(added, scale[:, None], out=added)

    def remove(self, positions: I64) -> None:
        """Remove the vectors at ``positions`` (flat only); later ones move down, in order."""
        if self.kind != "flat":
            raise TypeError("HNSW indexes cannot remove vectors")
        self._raw.remove_ids(faiss.IDSelectorBatch(positions))

    def vectors(self) -> F32:
        """Every stored vector (ntotal x dim), without a copy: valid until the next add or remove."""
        flat = self._raw if self.kind == "flat" else faiss.downcast_index(self._raw.storage)
        count = self.ntotal
        if count == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        data: F32 = faiss.rev_swig_ptr(flat.get_xb(), count * self.dim)
        return data.reshape(count, self.dim)

    def search(self, query: F32, k: int, *, allowed: U8 | None = None, ef_search: int | None = None) -> tuple[F32, I64]:
        """The ``k`` nearest positions to ``query`` (dim values) among the ``allowed`` ones (a bitmap
        over positions, bit ``i % 8`` of byte ``i // 8``; None: all), with FAISS's values
        (inner products, or squared L2 distances). Missing results have position -1."""
        breadth = ef_search if ef_search is not None and ef_search > k else k
        if allowed is None:
            params = None if self.kind == "flat" else self._params.get(breadth) or self._plain_hnsw_params(breadth)
            selector = None
        else:
            selector = faiss.IDSelectorBitmap(self.ntotal, faiss.swig_ptr(allowed))
            if self.kind == "hnsw":
                params = faiss.SearchParametersHNSW()
                params.efSearch = breadth
            else:
                params = faiss.SearchParameters()
            params.sel = selector
        # FAISS's own entry point, without its Python wrapper's checks (``query`` is checked,
        # C-contiguous float32 of the index's dimension): fewer numpy calls on every query.
        distances: F32 = np.empty(k, dtype=np.float32)
        labels: I64 = np.empty(k, dtype=np.int64)
        self._raw.search_c(1, _pointer(query), k, _pointer(distances), _pointer(labels), params)
        # ``allowed`` and ``selector`` stay referenced until here: FAISS reads them during search.
        del selector
        return distances, labels

    def _plain_hnsw_params(self, breadth: int) -> Any:
        params = self._params.get(breadth)
        if params is None:
            params = faiss.SearchParametersHNSW()
            params.efSearch = breadth
            if len(self._params) < 64:
                self._params[breadth] = params
        return params

    def write(self, sink: Callable[[bytes], object]) -> None:
        """Serialise the index through ``sink`` (a file's ``write``), in FAISS's own format."""
        writer = faiss.PyCallbackIOWriter(sink)
        try:
            faiss.write_index(self._raw, writer)
        finally:
            del writer  # flushes FAISS's buffer into ``sink``

    @classmethod
    def read(cls, source: Callable[[int], bytes], kind: Kind, space: Space) -> NativeIndex:
        """An index written by :meth:`write`, read through ``source`` (a file's ``read``)."""
        raw = faiss.read_index(faiss.PyCallbackIOReader(source))
        expected = faiss.IndexFlat if kind == "flat" else faiss.IndexHNSWFlat
        if not isinstance(raw, expected):
            raise ValueError(f"the file holds a {type(raw).__name__}, not a {kind} index")
        if (raw.metric_type == faiss.METRIC_INNER_PRODUCT) != (space == "ip"):
            raise ValueError("the file's index uses another metric")
        return cls(raw, kind, space)


def squared_norm(vector: F32) -> float:
    """The squared L2 norm of a C-contiguous float32 vector, by FAISS's kernel (a third of
    ``numpy.dot``'s cost, and code a search has just run)."""
    return float(_norm(_pointer(vector), len(vector)))


def knn(query: F32, vectors: F32, k: int, space: Space) -> tuple[F32, I64]:
    """The ``k`` rows of ``vectors`` nearest ``query`` (dim values), by brute force, best first: their
    FAISS values and row numbers. FAISS's own kernel, not numpy's: numpy hands a product of a few
    thousand rows to a multi-threaded BLAS, which costs more than it saves for one query."""
    metric = faiss.METRIC_INNER_PRODUCT if space == "ip" else faiss.METRIC_L2
    distances, labels = faiss.knn(query.reshape(1, -1), vectors, k, metric=metric)
    return distances[0], labels[0]


def default_threads() -> int:
    """OpenMP's default team size: ``OMP_NUM_THREADS``, else the machine's cores."""
    configured = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return os.cpu_count() or 1


def set_threads(count: int) -> None:
    """OpenMP threads for FAISS calls made *by the calling thread* (an OpenMP setting is per thread)."""
    faiss.omp_set_num_threads(count)
