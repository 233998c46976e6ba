"""What users hold: a vector store with an embedding model, async and sync.

``client.open_store("faiss:///data/idx", embed="local:e5-small")`` gives a :class:`Collection`.
It embeds record texts (as documents) and text questions (as queries) through the client's normal
``embed`` path — so the cache, cost, budget and tracing apply to them — checks arguments and
filters before any I/O, and hands vectors to the backend plugin, which never embeds.
"""

from __future__ import annotations

import uuid
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from . import _loop
from ._errors import RequestValidationError
from ._filters import check_filter
from ._store import Match, Metric, Record, VectorStore
from ._types import ChatResponse

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["Collection"]

T = TypeVar("T")

#: Texts embedded per call; providers cap a request (OpenAI 2,048 inputs, Cohere 96, Gemini 100).
EMBED_BATCH = 96


class Collection:
    """A vector store opened by a client, with the embedding model its texts are embedded with.

    Every method has an async form (``aquery``) and a sync one (``query``, run on lluminary's
    background loop); use one form per collection, since a backend keeps to the event loop it
    was first used on. ``namespace`` defaults to the collection's own (``""`` unless opened with
    one).
    """

    def __init__(
        self,
        client: Client,
        backend: VectorStore,
        *,
        embed: str | None = None,
        namespace: str = "",
        embed_options: Mapping[str, Any] | None = None,
    ) -> None:
        if embed is not None and (not isinstance(embed, str) or ":" not in embed):
            raise RequestValidationError(f"embed= takes a 'provider:model' string, got {embed!r}")
        _check_namespace(namespace)
        self.client = client
        self.backend = backend
        self.embed = embed
        self.namespace = namespace
        self.embed_options = dict(embed_options or {})

    def __repr__(self) -> str:
        return f"<Collection {type(self.backend).__name__} embed={self.embed!r} namespace={self.namespace!r}>"

    @property
    def metric(self) -> Metric:
        """How the backend scores (higher is closer): "cosine", "dot" or "l2"."""
        return self.backend.metric

    # ------------------------------------------------------------------ async

    async def aupsert(self, records: Iterable[Record], *, namespace: str | None = None) -> None:
        """Insert or replace records; those without a vector are embedded from their text."""
        batch = list(records)
        for record in batch:
            if not isinstance(record, Record):
                raise RequestValidationError(f"upsert takes Record objects, got {type(record).__name__}")
            if not isinstance(record.id, str) or not record.id:
                raise RequestValidationError(f"a record id is a non-empty string, got {record.id!r}")
            if record.vector is None and not (isinstance(record.text, str) and record.text.strip()):
                raise RequestValidationError(f"record {record.id!r} has neither a vector nor a text to embed")
        missing = [index for index, record in enumerate(batch) if record.vector is None]
        if missing:
            vectors = await self._embed([batch[i].text or "" for i in missing], "document")
            for index, vector in zip(missing, vectors, strict=True):
                record = batch[index]
                batch[index] = Record(record.id, vector, record.metadata, record.text)
        if batch:
            await self.backend.upsert(batch, namespace=self._namespace(namespace))

    async def aadd_texts(
        self,
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, Any]] | None = None,
        *,
        ids: Sequence[str] | None = None,
        namespace: str | None = None,
    ) -> list[str]:
        """Embed and store ``texts`` (one record each, with its metadata); returns their ids
        (new random ones unless ``ids`` are given). Nothing is split: see :func:`split_text`."""
        if isinstance(texts, str):
            raise RequestValidationError("add_texts takes a list of texts, got one string")
        if metadatas is not None and len(metadatas) != len(texts):
            raise RequestValidationError(f"{len(texts)} texts but {len(metadatas)} metadatas")
        if ids is not None and len(ids) != len(texts):
            raise RequestValidationError(f"{len(texts)} texts but {len(ids)} ids")
        keys = list(ids) if ids is not None else [uuid.uuid4().hex for _ in texts]
        metas = metadatas if metadatas is not None else [{}] * len(texts)
        await self.aupsert(
            (Record(key, None, meta, text) for key, text, meta in zip(keys, texts, metas, strict=True)),
            namespace=namespace,
        )
        return keys

    async def aquery(
        self,
        query: str | Sequence[float],
        *,
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        namespace: str | None = None,
        include_vectors: bool = False,
    ) -> list[Match]:
        """The ``top_k`` nearest records to a vector, or to a text (embedded as a query), best first."""
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise RequestValidationError(f"top_k must be a positive int, got {top_k!r}")
        if filter is not None:
            check_filter(filter)
        space = self._namespace(namespace)
        vector = (await self._embed([query], "query"))[0] if isinstance(query, str) else query
        return await self.backend.query(
            vector, top_k=top_k, filter=filter, namespace=space, include_vectors=include_vectors
        )

    async def aretrieve(
        self, question: str, k: int = 4, *, filter: Mapping[str, Any] | None = None, namespace: str | None = None
    ) -> list[Match]:
        """The ``k`` passages nearest ``question``, with their text and metadata (for RAG)."""
        if not isinstance(question, str) or not question.strip():
            raise RequestValidationError("retrieve takes a non-empty question")
        return await self.aquery(question, top_k=k, filter=filter, namespace=namespace)

    async def aanswer(
        self,
        model: str,
        question: str,
        *,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        namespace: str | None = None,
        system: str | None = None,
        **options: Any,
    ) -> ChatResponse:
        """Answer ``question`` with ``model`` from the ``k`` passages retrieved for it, citing them:
        ``reply.citations`` holds each sentence that cites passages, with those passages (id, text,
        metadata, score) as its sources. ``system`` replaces the default instructions; other
        options go to ``generate`` (``temperature=0``, ``max_tokens=...``)."""
        from ._retrieval import ANSWER_SYSTEM_PROMPT, cite, passages_prompt

        passages = await self.aretrieve(question, k, filter=filter, namespace=namespace)
        reply = await self.client.agenerate(
            model, passages_prompt(question, passages), system=system or ANSWER_SYSTEM_PROMPT, **options
        )
        return cite(reply, passages)

    async def afetch(self, ids: Sequence[str], *, namespace: str | None = None) -> list[Record]:
        """The records with these ids, in the order asked (unknown ids are left out)."""
        if isinstance(ids, str):
            raise RequestValidationError("fetch takes a list of ids, got one string")
        return await self.backend.fetch(list(ids), namespace=self._namespace(namespace))

    async def adelete(
        self,
        ids: Sequence[str] | None = None,
        *,
        filter: Mapping[str, Any] | None = None,
        namespace: str | None = None,
    ) -> None:
        """Remove records by id or by filter (``filter={}``: every record of the namespace)."""
        if (ids is None) == (filter is None):
            raise RequestValidationError("delete takes ids or a filter (one of the two)")
        if isinstance(ids, str):
            raise RequestValidationError("delete takes a list of ids, got one string")
        if filter is not None:
            check_filter(filter)
        await self.backend.delete(
            list(ids) if ids is not None else None, filter=filter, namespace=self._namespace(namespace)
        )

    async def acount(self, *, namespace: str | None = None) -> int:
        """How many records the namespace holds."""
        return await self.backend.count(namespace=self._namespace(namespace))

    async def aclose(self) -> None:
        """Close the backend (the client closes it too, when it closes)."""
        await self.backend.close()

    # ------------------------------------------------------------------ sync twins

    def upsert(self, records: Iterable[Record], *, namespace: str | None = None) -> None:
        _run(self.aupsert(records, namespace=namespace))

    def add_texts(
        self,
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, Any]] | None = None,
        *,
        ids: Sequence[str] | None = None,
        namespace: str | None = None,
    ) -> list[str]:
        return _run(self.aadd_texts(texts, metadatas, ids=ids, namespace=namespace))

    def query(
        self,
        query: str | Sequence[float],
        *,
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        namespace: str | None = None,
        include_vectors: bool = False,
    ) -> list[Match]:
        return _run(
            self.aquery(query, top_k=top_k, filter=filter, namespace=namespace, include_vectors=include_vectors)
        )

    def retrieve(
        self, question: str, k: int = 4, *, filter: Mapping[str, Any] | None = None, namespace: str | None = None
    ) -> list[Match]:
        return _run(self.aretrieve(question, k, filter=filter, namespace=namespace))

    def answer(
        self,
        model: str,
        question: str,
        *,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        namespace: str | None = None,
        system: str | None = None,
        **options: Any,
    ) -> ChatResponse:
        return _run(self.aanswer(model, question, k=k, filter=filter, namespace=namespace, system=system, **options))

    def fetch(self, ids: Sequence[str], *, namespace: str | None = None) -> list[Record]:
        return _run(self.afetch(ids, namespace=namespace))

    def delete(
        self,
        ids: Sequence[str] | None = None,
        *,
        filter: Mapping[str, Any] | None = None,
        namespace: str | None = None,
    ) -> None:
        _run(self.adelete(ids, filter=filter, namespace=namespace))

    def count(self, *, namespace: str | None = None) -> int:
        return _run(self.acount(namespace=namespace))

    def close(self) -> None:
        _run(self.aclose())

    # ------------------------------------------------------------------ helpers

    def _namespace(self, namespace: str | None) -> str:
        if namespace is None:
            return self.namespace
        _check_namespace(namespace)
        return namespace

    async def _embed(self, texts: Sequence[str], input_type: str) -> list[Sequence[float]]:
        if self.embed is None:
            raise RequestValidationError("this store was opened without embed=: give vectors, or open it with a model")
        options = {"input_type": input_type, **self.embed_options}
        vectors: list[Sequence[float]] = []
        for start in range(0, len(texts), EMBED_BATCH):
            response = await self.client.aembed(self.embed, list(texts[start : start + EMBED_BATCH]), **options)
            vectors.extend(response.embeddings)
        return vectors


def _check_namespace(namespace: Any) -> None:
    if not isinstance(namespace, str):
        raise RequestValidationError(f"a namespace is a string, got {type(namespace).__name__}")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return _loop.run(coro)
