"""The hook: ``pinecone://`` URLs open a :class:`~lluminary_pinecone.PineconeStore`. Deciding is
synchronous and cheap (the URL is parsed, nothing connects); the SDK is imported on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lluminary.sdk import hookimpl

if TYPE_CHECKING:
    from .store import PineconeStore

PREFIX = "pinecone://"


class PineconePlugin:
    """Serves vector stores for ``pinecone://index-name?...`` URLs."""

    @hookimpl
    def lluminary_store(self, url: str) -> PineconeStore | None:
        if not url.startswith(PREFIX):
            return None
        from .store import PineconeStore

        return PineconeStore.from_url(url)
