"""The hook: a :class:`~lluminary_faiss.store.FaissStore` for every ``faiss://`` URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lluminary.sdk import hookimpl

if TYPE_CHECKING:
    from .store import FaissStore


class FaissPlugin:
    """Serves ``faiss://`` store URLs. Each answer is a handle of its own; handles on the same
    directory in one process share one open store (see :mod:`lluminary_faiss.engine`)."""

    @hookimpl
    def lluminary_store(self, url: str) -> FaissStore | None:
        if not url.startswith("faiss:"):
            return None
        from .store import FaissStore  # URL parsing only; FAISS itself is imported on first use

        return FaissStore.from_url(url)
