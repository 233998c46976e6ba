"""The vector-store conformance suite: what every ``lluminary_store`` backend owes its users.

A store plugin subclasses :class:`StoreTests` in a test module and provides one fixture,
``store_url``, the URL of a store of its own for the test (a directory under ``tmp_path``, an
index on a fake server, ...)::

    class TestAcmeStore(StoreTests):
        @pytest.fixture
        def store_url(self, tmp_path):
            return f"acme:///{tmp_path}/index"

The suite opens stores the way users do — ``client.open_store(url, embed=...)``, through the
``lluminary_store`` hook — with a deterministic embedder (:class:`~lluminary.sdk.ScriptedProvider`),
and holds every answer to the kernel's exact ``memory://`` store on the same data: the same ids in
the same order, the same scores (higher is closer: cosine, dot, negated squared L2), the same
records through every filter operator. It adds ``?metric=...`` to the URL for the metric tests.

Capability flags skip what a backend cannot do, with the reason; a standard test cannot be
deleted or quietly replaced (an override needs ``@pytest.mark.xfail(reason=...)``).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, ClassVar

import pytest
import pytest_asyncio

from lluminary import Client, Collection
from lluminary.sdk import (
    FilterError,
    MemoryStore,
    Metric,
    PluginManager,
    Record,
    RequestValidationError,
    ScriptedProvider,
    filter_matches,
)

from ._guard import GuardTests, covered_by
from .cache import with_query

#: Opens a collection on the test's URL with extra query options: ``await open_store(metric="l2")``.
OpenStore = Callable[..., Awaitable[Collection]]

EMBEDDER = "conformance-embed:m"
DIMENSIONS = 8

#: Filters over :func:`random_records` metadata, one per operator and combination.
FILTERS: tuple[Mapping[str, Any], ...] = (
    {"colour": "red"},
    {"colour": {"$eq": "blue"}},
    {"colour": {"$ne": "red"}},
    {"size": {"$gt": 5}},
    {"size": {"$gte": 5}},
    {"size": {"$lt": 3}},
    {"size": {"$lte": 3}},
    {"weight": {"$gt": 0.5, "$lte": 0.9}},
    {"colour": {"$in": ["red", "green"]}},
    {"colour": {"$nin": ["red", "green"]}},
    {"size": {"$in": [1, 2, 3]}},
    {"fresh": True},
    {"fresh": {"$ne": True}},
    {"$and": [{"colour": "red"}, {"size": {"$gte": 4}}]},
    {"$or": [{"colour": "blue"}, {"size": {"$lt": 2}}]},
    {"$or": [{"$and": [{"colour": "red"}, {"fresh": False}]}, {"size": 9}]},
    {"colour": "red", "size": {"$lt": 8}},
    {"tag": {"$in": ["b", "c"]}},  # a field some records lack
    {"tag": {"$ne": "a"}},  # ... which $ne and $nin keep
    {"tag": {"$nin": ["a", "b"]}},
)
#: Filters on string order, which some services cannot express.
STRING_ORDER_FILTERS: tuple[Mapping[str, Any], ...] = ({"colour": {"$gt": "green"}}, {"colour": {"$lte": "blue"}})


def random_records(count: int, *, seed: int = 7, dimensions: int = DIMENSIONS) -> list[Record]:
    """Records with random vectors and metadata of every kind (strings, ints, floats, booleans, a
    field that is sometimes missing) and a text."""
    rng = random.Random(seed)
    records = []
    for index in range(count):
        metadata: dict[str, Any] = {
            "colour": rng.choice(["red", "green", "blue"]),
            "size": rng.randint(0, 9),
            "weight": round(rng.random(), 3),
            "fresh": rng.random() < 0.5,
        }
        if index % 3 == 0:
            metadata["tag"] = rng.choice(["a", "b", "c"])
        vector = [rng.uniform(-1.0, 1.0) for _ in range(dimensions)]
        records.append(Record(f"rec-{index:04d}", vector, metadata, f"passage number {index}"))
    return records


async def reference(records: list[Record], metric: Metric) -> MemoryStore:
    """The kernel's exact store holding ``records``: the answer every backend must give."""
    store = MemoryStore(metric)
    await store.upsert(records)
    return store


class StoreTests(GuardTests):
    """Every behaviour a vector store owes its users. See the module docstring to subclass it."""

    standard_suite = True

    # ------------------------------------------------------------------ what a subclass sets

    #: Metrics the URL can select with ``?metric=``.
    metrics: ClassVar[tuple[Metric, ...]] = ("cosine", "dot", "l2")
    #: Records survive closing the store and opening its URL again.
    persistent: ClassVar[bool] = True
    #: ``$gt``/``$gte``/``$lt``/``$lte`` on strings (Pinecone compares numbers only).
    supports_string_order: ClassVar[bool] = True
    #: Score tolerance against the exact reference (float32 storage rounds).
    score_tolerance: ClassVar[float] = 1e-4
    #: Upserts in flight at once in the concurrency test.
    concurrency: ClassVar[int] = 40

    # ------------------------------------------------------------------ fixtures

    @pytest.fixture
    def store_url(self) -> str:
        """The URL of a store for this test only; a subclass overrides this fixture."""
        pytest.fail(f"{type(self).__name__} must define a `store_url` fixture (the URL of a store for this test)")

    def plugins(self) -> PluginManager:
        """The plugins the suite's clients use: every installed one, plus the embedder."""
        manager = PluginManager()
        manager.register(ScriptedProvider("conformance-embed", dimensions=DIMENSIONS))
        return manager

    @pytest_asyncio.fixture
    async def open_store(self, store_url: str) -> AsyncIterator[OpenStore]:
        """Opens collections on ``store_url`` plus query options (each on a new client, as another
        process would); closes them all after."""
        clients: list[Client] = []

        async def open_store(**options: str) -> Collection:
            client = Client(plugins=self.plugins(), cache=False, exporters=[], retries=1)
            clients.append(client)
            return client.open_store(with_query(store_url, **options), embed=EMBEDDER)

        try:
            yield open_store
        finally:
            for client in clients:
                await client.aclose()

    @pytest_asyncio.fixture
    async def store(self, open_store: OpenStore) -> Collection:
        """A collection on ``store_url``, emptied first."""
        collection = await open_store()
        await collection.adelete(filter={})
        return collection

    # ------------------------------------------------------------------ records

    @pytest.mark.asyncio
    async def test_an_empty_store(self, store: Collection) -> None:
        """An empty store counts 0, queries to nothing, fetches nothing, deletes unknown ids quietly.

        Troubleshooting: a store that was never written to (no index file, no dimension yet) must
        answer these, not raise."""
        assert await store.acount() == 0
        assert await store.aquery([1.0] * DIMENSIONS, top_k=5) == []
        assert await store.afetch(["nope"]) == []
        await store.adelete(["nope"])

    @pytest.mark.asyncio
    async def test_upsert_fetch_and_count(self, store: Collection) -> None:
        """Records come back whole — id, vector, metadata, text — in the order asked; unknown ids
        are left out.

        Troubleshooting: keep the text beside the vector (it is not metadata), and return fetches in
        the order of the ids asked, not storage order."""
        records = random_records(5)
        await store.aupsert(records)
        assert await store.acount() == 5
        fetched = await store.afetch(["rec-0003", "missing", "rec-0001"])
        assert [r.id for r in fetched] == ["rec-0003", "rec-0001"]
        for got, want in zip(fetched, (records[3], records[1]), strict=True):
            assert dict(got.metadata) == dict(want.metadata)
            assert got.text == want.text
            assert got.vector == pytest.approx(want.vector, abs=1e-5)

    @pytest.mark.asyncio
    async def test_upsert_replaces_by_id(self, store: Collection) -> None:
        """Upserting an existing id replaces its vector, metadata and text; the count stays.

        Troubleshooting: map the string id to the index's own id and remove the old vector (or
        hide it) before adding the new one; a query must never return the old version."""
        first, second = random_records(2)
        await store.aupsert([first, second])
        replaced = Record(first.id, second.vector, {"colour": "violet"}, "the new text")
        await store.aupsert([replaced])
        assert await store.acount() == 2
        (got,) = await store.afetch([first.id])
        assert (dict(got.metadata), got.text) == ({"colour": "violet"}, "the new text")
        hits = await store.aquery(second.vector or (), top_k=2)
        assert {hit.id for hit in hits} == {first.id, second.id}
        assert all(hit.text != first.text for hit in hits)

    @pytest.mark.asyncio
    async def test_delete_by_ids_and_by_filter(self, store: Collection) -> None:
        """Delete removes the ids given, or the records a filter selects; ``filter={}`` empties the
        namespace.

        Troubleshooting: a deleted record must leave every query, fetch and count."""
        records = random_records(30)
        await store.aupsert(records)
        await store.adelete(["rec-0000", "rec-0001", "unknown"])
        assert await store.acount() == 28
        assert await store.afetch(["rec-0000"]) == []
        await store.adelete(filter={"colour": "red"})
        left = [r for r in records[2:] if r.metadata["colour"] != "red"]
        assert await store.acount() == len(left)
        hits = await store.aquery(records[5].vector or (), top_k=100)
        assert sorted(hit.id for hit in hits) == sorted(r.id for r in left)
        await store.adelete(filter={})
        assert await store.acount() == 0

    @pytest.mark.asyncio
    async def test_top_k_larger_than_the_store(self, store: Collection) -> None:
        """Asking for more than the store holds returns what it holds, best first.

        Troubleshooting: FAISS pads missing results with id -1; drop them."""
        await store.aupsert(random_records(3))
        hits = await store.aquery([0.5] * DIMENSIONS, top_k=50)
        assert len(hits) == 3
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

    @pytest.mark.asyncio
    async def test_unicode_metadata_and_text(self, store: Collection) -> None:
        """Metadata keys and values and texts in any script survive, emoji included.

        Troubleshooting: store metadata as UTF-8 JSON (not ASCII-escaped bytes you forget to decode)."""
        record = Record("ünï-🔑", [0.1] * DIMENSIONS, {"città": "Zürich", "言語": "日本語 🗾"}, "Grüße 👋")
        await store.aupsert([record])
        (got,) = await store.afetch(["ünï-🔑"])
        assert dict(got.metadata) == {"città": "Zürich", "言語": "日本語 🗾"}
        assert got.text == "Grüße 👋"

    @pytest.mark.asyncio
    async def test_include_vectors(self, store: Collection) -> None:
        """Matches carry their vector only when asked.

        Troubleshooting: return the stored vector as given (not normalised) when include_vectors."""
        records = random_records(4)
        await store.aupsert(records)
        plain = await store.aquery(records[0].vector or (), top_k=1)
        assert plain[0].vector is None
        with_vectors = await store.aquery(records[0].vector or (), top_k=1, include_vectors=True)
        assert with_vectors[0].vector == pytest.approx(records[0].vector, abs=1e-5)

    @pytest.mark.asyncio
    async def test_a_vector_of_another_dimension_is_refused(self, store: Collection) -> None:
        """A vector of another dimension than the store's is a typed error, and stores nothing.

        Troubleshooting: check every vector of a batch before writing any of it."""
        await store.aupsert(random_records(2))
        bad = [Record("ok", [0.2] * DIMENSIONS), Record("bad", [0.2] * (DIMENSIONS + 1))]
        with pytest.raises(RequestValidationError):
            await store.aupsert(bad)
        assert await store.acount() == 2
        with pytest.raises(RequestValidationError):
            await store.aquery([1.0] * (DIMENSIONS - 1))

    # ------------------------------------------------------------------ search

    @pytest.mark.asyncio
    @pytest.mark.parametrize("metric", ["cosine", "dot", "l2"])
    async def test_queries_match_exact_search(self, open_store: OpenStore, metric: Metric) -> None:
        """For each metric, the top 10 are the exact search's, in its order, with its scores
        (higher is closer: cosine similarity, dot product, negated squared L2 distance).

        Troubleshooting: normalise vectors for cosine; negate FAISS's squared L2 distances; an
        approximate index (HNSW) needs a search breadth that finds the exact top 10 on 300 vectors."""
        if metric not in self.metrics:
            pytest.skip(f"{type(self).__name__}: metrics = {self.metrics} (no {metric})")
        store = await open_store(metric=metric)
        await store.adelete(filter={})
        records = random_records(300)
        await store.aupsert(records)
        assert store.metric == metric
        exact = await reference(records, metric)
        rng = random.Random(11)
        for _ in range(5):
            vector = [rng.uniform(-1.0, 1.0) for _ in range(DIMENSIONS)]
            got = await store.aquery(vector, top_k=10)
            want = await exact.query(vector, top_k=10)
            assert [hit.id for hit in got] == [hit.id for hit in want]
            assert [hit.score for hit in got] == pytest.approx(
                [hit.score for hit in want], rel=self.score_tolerance, abs=self.score_tolerance
            )

    @pytest.mark.asyncio
    async def test_every_filter_operator(self, store: Collection) -> None:
        """Each operator and combination of the filter language selects exactly the records the
        kernel's reference semantics select (``lluminary.sdk.filter_matches``).

        Troubleshooting: a missing field satisfies only ``$ne``/``$nin``; booleans match only
        booleans; translate the filter to the backend's native form — never fetch more and filter."""
        records = random_records(120)
        await store.aupsert(records)
        probe = [0.3] * DIMENSIONS
        for condition in FILTERS:
            hits = await store.aquery(probe, top_k=len(records), filter=condition)
            expected = {r.id for r in records if filter_matches(condition, r.metadata)}
            assert {hit.id for hit in hits} == expected, f"filter {condition}"

    @covered_by("supports_string_order")
    @pytest.mark.asyncio
    async def test_string_order_filters(self, store: Collection) -> None:
        """``$gt``/``$gte``/``$lt``/``$lte`` on strings compare in code-point order.

        Troubleshooting: a backend that cannot sets supports_string_order = False and must raise
        FilterError for such a filter (checked by test_string_order_refused_when_unsupported)."""
        if not self.supports_string_order:
            pytest.skip(f"{type(self).__name__}: supports_string_order = False")
        records = random_records(60)
        await store.aupsert(records)
        for condition in STRING_ORDER_FILTERS:
            hits = await store.aquery([0.3] * DIMENSIONS, top_k=60, filter=condition)
            assert {h.id for h in hits} == {r.id for r in records if filter_matches(condition, r.metadata)}

    @pytest.mark.asyncio
    async def test_string_order_refused_when_unsupported(self, store: Collection) -> None:
        """A backend that cannot order strings says so with FilterError, not a wrong answer.

        Troubleshooting: raise lluminary.sdk.FilterError from the filter translation."""
        if self.supports_string_order:
            pytest.skip("the backend orders strings")
        await store.aupsert(random_records(5))
        with pytest.raises(FilterError):
            await store.aquery([0.3] * DIMENSIONS, filter=STRING_ORDER_FILTERS[0])

    @pytest.mark.asyncio
    async def test_text_queries_go_through_the_embedder(self, store: Collection) -> None:
        """Texts are embedded on the way in and questions on the way out: asking a record's own
        text finds it first, and retrieve() returns texts and metadata.

        Troubleshooting: the backend never embeds; if this fails, the vectors stored or searched
        are not the ones the Collection gave."""
        texts = [f"fact number {i} about the sea" for i in range(20)]
        ids = await store.aadd_texts(texts, [{"n": i} for i in range(20)])
        assert len(set(ids)) == 20
        hits = await store.aretrieve(texts[7], k=3)
        assert hits[0].text == texts[7]
        assert dict(hits[0].metadata) == {"n": 7}

    # ------------------------------------------------------------------ namespaces and lifecycle

    @pytest.mark.asyncio
    async def test_namespaces_are_separate(self, store: Collection) -> None:
        """A namespace sees only its own records: queries, fetches, counts and deletes.

        Troubleshooting: every operation takes the namespace; "" is the default one."""
        records = random_records(10)
        await store.aupsert(records[:6], namespace="left")
        await store.aupsert(records[6:], namespace="right")
        assert await store.acount(namespace="left") == 6
        assert await store.acount(namespace="right") == 4
        assert await store.acount() == 0
        hits = await store.aquery(records[0].vector or (), top_k=10, namespace="right")
        assert {h.id for h in hits} == {r.id for r in records[6:]}
        assert await store.afetch([records[0].id], namespace="right") == []
        await store.adelete(filter={}, namespace="left")
        assert await store.acount(namespace="left") == 0
        assert await store.acount(namespace="right") == 4
        await store.adelete(filter={}, namespace="right")

    @pytest.mark.asyncio
    async def test_concurrent_upserts_and_queries(self, store: Collection) -> None:
        """Many upserts and queries in flight at once lose nothing and never fail.

        Troubleshooting: serialise writes to the index (a lock, a single writer thread) and keep
        blocking work off the event loop."""
        records = random_records(self.concurrency)

        async def write(record: Record) -> None:
            await store.aupsert([record])

        async def read() -> None:
            await store.aquery([0.2] * DIMENSIONS, top_k=5)

        await asyncio.gather(*(write(r) for r in records), *(read() for _ in range(10)))
        assert await store.acount() == len(records)
        assert len(await store.afetch([r.id for r in records])) == len(records)

    @covered_by("persistent")
    @pytest.mark.asyncio
    async def test_records_survive_reopening(self, open_store: OpenStore) -> None:
        """Closed and opened again (by another client), the store answers as before.

        Troubleshooting: write the index and its records atomically on close (temp file + rename)."""
        if not self.persistent:
            pytest.skip(f"{type(self).__name__}: persistent = False")
        first = await open_store()
        await first.adelete(filter={})
        records = random_records(50)
        await first.aupsert(records)
        probe = records[3].vector or ()
        before = await first.aquery(probe, top_k=5)
        await first.aclose()
        again = await open_store()
        assert await again.acount() == 50
        after = await again.aquery(probe, top_k=5)
        assert [h.id for h in after] == [h.id for h in before]
