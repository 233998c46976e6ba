"""The store contract on the fake service through the real SDK: what goes over the wire for each
operation, batching at the service's limits, namespaces, texts, ids and scores."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from typing import Any

import pytest

from lluminary.sdk import ConfigurationError, MemoryStore, Record, RequestValidationError
from lluminary_pinecone import PineconeStore
from lluminary_testing.conformance.store import random_records
from lluminary_testing.openapi import assert_matches, load_spec, schema
from lluminary_testing.pinecone_server import API_KEY, FakePineconeServer

from .conftest import url_for

TEXT_KEY = "lluminary_text"


@pytest.fixture
async def store(fake_pinecone: FakePineconeServer) -> AsyncIterator[PineconeStore]:
    fake_pinecone.create_index(dimension=4, metric="cosine")
    store = PineconeStore.from_url(url_for(fake_pinecone))
    yield store
    await store.close()


def sent(server: FakePineconeServer, path: str) -> list[Any]:
    """The requests the SDK sent to ``path``, in order."""
    return [request for request in server.requests if request.path == path]


# ---------------------------------------------------------------------- the wire


async def test_upsert_sends_camel_case_vectors_with_the_text_in_metadata(
    store: PineconeStore, fake_pinecone: FakePineconeServer
) -> None:
    await store.upsert([Record("a", [1, 0, 0, 0], {"lang": "en"}, "hello"), Record("b", [0, 1, 0, 0])])
    stats, request = fake_pinecone.requests  # the dimension and metric are read once, first
    assert (stats.method, stats.path, stats.json()) == ("POST", "/describe_index_stats", {})
    assert (request.method, request.path) == ("POST", "/vectors/upsert")
    assert request.json() == {  # the default namespace is left out, as the SDK does
        "vectors": [
            {"id": "a", "values": [1.0, 0.0, 0.0, 0.0], "metadata": {"lang": "en", TEXT_KEY: "hello"}},
            {"id": "b", "values": [0.0, 1.0, 0.0, 0.0]},
        ]
    }
    assert request.headers["api-key"] == API_KEY
    assert request.headers["x-pinecone-api-version"] == "2026-07"
    assert request.headers["user-agent"].startswith("python-client-")
    assert "source_tag=lluminary" in request.headers["user-agent"]


async def test_query_asks_for_metadata_and_values_only_when_wanted(
    store: PineconeStore, fake_pinecone: FakePineconeServer
) -> None:
    await store.upsert([Record("a", [1, 0, 0, 0], {"n": 1}, "text a")], namespace="ns")
    hits = await store.query([1, 0.5, 0, 0], top_k=3, namespace="ns", filter={"n": 1})
    assert sent(fake_pinecone, "/query")[-1].json() == {
        "topK": 3,
        "includeValues": False,
        "includeMetadata": True,
        "namespace": "ns",
        "vector": [1.0, 0.5, 0.0, 0.0],
        "filter": {"n": {"$eq": 1}},
    }
    assert [(h.id, h.text, dict(h.metadata), h.vector) for h in hits] == [("a", "text a", {"n": 1.0}, None)]
    assert hits[0].score == pytest.approx(1 / math.sqrt(1.25), abs=1e-6)
    (with_vector,) = await store.query([1, 0, 0, 0], namespace="ns", include_vectors=True)
    assert sent(fake_pinecone, "/query")[-1].json()["includeValues"] is True
    assert with_vector.vector == (1.0, 0.0, 0.0, 0.0)


async def test_fetch_returns_records_in_the_order_asked(
    store: PineconeStore, fake_pinecone: FakePineconeServer
) -> None:
    await store.upsert([Record(f"r{i}", [1, i, 0, 0], {"i": i}, f"text {i}") for i in range(4)])
    records = await store.fetch(["r3", "nope", "r1", "r3"])
    assert [(r.id, r.text, dict(r.metadata)) for r in records] == [
        ("r3", "text 3", {"i": 3.0}),
        ("r1", "text 1", {"i": 1.0}),
        ("r3", "text 3", {"i": 3.0}),
    ]
    assert sent(fake_pinecone, "/vectors/fetch")[-1].query == {"ids": ["r3", "nope", "r1"]}  # each id once
    assert await store.fetch([]) == []


async def test_delete_by_ids_and_everything_and_count(store: PineconeStore, fake_pinecone: FakePineconeServer) -> None:
    await store.upsert([Record(f"r{i}", [1, i, 0, 0]) for i in range(5)], namespace="ns")
    assert await store.count(namespace="ns") == 5
    await store.delete(["r0", "r1", "nope"], namespace="ns")
    assert sent(fake_pinecone, "/vectors/delete")[-1].json() == {"namespace": "ns", "ids": ["r0", "r1", "nope"]}
    assert await store.count(namespace="ns") == 3
    await store.delete(filter={}, namespace="ns")
    assert sent(fake_pinecone, "/vectors/delete")[-1].json() == {"namespace": "ns", "deleteAll": True}
    assert await store.count(namespace="ns") == 0
    await store.delete([])  # nothing to send
    with pytest.raises(RequestValidationError, match="one of the two"):
        await store.delete(["a"], filter={"n": 1})
    with pytest.raises(RequestValidationError, match="one of the two"):
        await store.delete()


async def test_deleting_in_a_namespace_that_does_not_exist_is_quiet(
    store: PineconeStore, fake_pinecone: FakePineconeServer
) -> None:
    await store.delete(["a"], namespace="never-written")
    await store.delete(filter={}, namespace="never-written")
    await store.delete(filter={"n": 1}, namespace="never-written")
    assert [r.path for r in fake_pinecone.requests].count("/vectors/delete") == 3  # each answered 404


async def test_an_empty_index(store: PineconeStore) -> None:
    assert await store.count() == 0
    assert await store.query([1, 0, 0, 0]) == []
    assert await store.fetch(["a"]) == []


# ---------------------------------------------------------------------- batching


async def test_2500_vectors_go_in_3_upserts(store: PineconeStore, fake_pinecone: FakePineconeServer) -> None:
    await store.upsert([Record(f"r{i:04d}", [1, i % 7, 0, 0]) for i in range(2500)])
    assert [len(r.json()["vectors"]) for r in sent(fake_pinecone, "/vectors/upsert")] == [1000, 1000, 500]
    assert await store.count() == 2500
    fetched = await store.fetch([f"r{i:04d}" for i in range(2500)])
    assert len(fetched) == 2500
    assert [len(r.query["ids"]) for r in sent(fake_pinecone, "/vectors/fetch")] == [1000, 1000, 500]
    await store.delete([f"r{i:04d}" for i in range(2500)])
    assert [len(r.json()["ids"]) for r in sent(fake_pinecone, "/vectors/delete")] == [1000, 1000, 500]
    assert await store.count() == 0


async def test_a_batch_over_2_mb_is_split(store: PineconeStore, fake_pinecone: FakePineconeServer) -> None:
    records = [Record(f"r{i}", [1, i, 0, 0], {"i": i}, "x" * 35_000) for i in range(120)]  # about 4.2 MB
    await store.upsert(records, namespace="big")
    upserts = sent(fake_pinecone, "/vectors/upsert")
    assert len(upserts) == 3
    assert all(len(r.body) <= 2_000_000 for r in upserts)
    assert sum(len(r.json()["vectors"]) for r in upserts) == 120
    assert await store.count(namespace="big") == 120


async def test_the_last_record_of_an_id_wins(store: PineconeStore, fake_pinecone: FakePineconeServer) -> None:
    await store.upsert(
        [Record("a", [1, 0, 0, 0], {"v": 1}), Record("b", [0, 1, 0, 0]), Record("a", [0, 0, 1, 0], {"v": 2})]
    )
    assert [v["id"] for v in sent(fake_pinecone, "/vectors/upsert")[0].json()["vectors"]] == ["b", "a"]
    (record,) = await store.fetch(["a"])
    assert dict(record.metadata) == {"v": 2.0}


# ---------------------------------------------------------------------- checks before sending


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (Record("a", [1, 0, 0]), "4-dimensional"),
        (Record("a", [1, 0, 0, 0], {"gone": None}), "drops null values"),
        (Record("a", [1, 0, 0, 0], {"nested": {"x": 1}}), "lists of strings"),
        (Record("a", [1, 0, 0, 0], {}, "x" * 41_000), "at most 40960 bytes"),
        (Record("a", [1, 0, 0, 0], {TEXT_KEY: "x"}), "reserved"),
        (Record("a", [0, 0, 0, 0]), "all zero"),
        (Record("a", None, {}, "text"), "no vector"),
        (Record("é" * 100, [1, 0, 0, 0]), "at most 512"),
    ],
)
async def test_a_bad_record_stores_nothing(
    store: PineconeStore, fake_pinecone: FakePineconeServer, record: Record, message: str
) -> None:
    good = Record("good", [1, 1, 0, 0])
    with pytest.raises(RequestValidationError, match=message):
        await store.upsert([good, record])
    assert sent(fake_pinecone, "/vectors/upsert") == []
    assert await store.count() == 0


async def test_query_arguments_are_checked(store: PineconeStore) -> None:
    await store.upsert([Record("a", [1, 0, 0, 0])])
    with pytest.raises(RequestValidationError, match="4-dimensional"):
        await store.query([1, 0])
    for top_k in (0, 10_001, True, 2.0):
        with pytest.raises(RequestValidationError, match="top_k"):
            await store.query([1, 0, 0, 0], top_k=top_k)  # type: ignore[arg-type]
    with pytest.raises(RequestValidationError, match="one string"):
        await store.fetch("a")


# ---------------------------------------------------------------------- ids, namespaces, metrics


async def test_any_id_round_trips(store: PineconeStore, fake_pinecone: FakePineconeServer) -> None:
    keys = ["ünï-🔑", "plain", "utf8~tricky", "with space", "a\x00b"]
    await store.upsert([Record(key, [1, n, 0, 0], {}, key) for n, key in enumerate(keys)])
    wire_ids = [v["id"] for v in sent(fake_pinecone, "/vectors/upsert")[0].json()["vectors"]]
    assert wire_ids[1:4:2] == ["plain", "with space"]
    assert all(wire.isascii() for wire in wire_ids)
    assert [r.id for r in await store.fetch(keys)] == keys
    assert {h.id for h in await store.query([1, 1, 0, 0], top_k=10)} == set(keys)
    await store.delete(["ünï-🔑"])
    assert await store.count() == 4


async def test_namespaces_and_the_urls_default(fake_pinecone: FakePineconeServer) -> None:
    fake_pinecone.create_index(dimension=2)
    store = PineconeStore.from_url(url_for(fake_pinecone, namespace="tenant-7"))
    try:
        await store.upsert([Record("a", [1, 0])])  # "" means the URL's namespace
        await store.upsert([Record("b", [0, 1])], namespace="other")
        assert (fake_pinecone.index.count("tenant-7"), fake_pinecone.index.count("other")) == (1, 1)
        assert await store.count() == 1
        assert [h.id for h in await store.query([1, 1], namespace="other")] == ["b"]
        with pytest.raises(RequestValidationError, match="__default__"):
            await store.count(namespace="__default__")
        with pytest.raises(RequestValidationError, match="ASCII"):
            await store.query([1, 0], namespace="café")
    finally:
        await store.close()


@pytest.mark.parametrize("metric", ["cosine", "dot", "l2"])
async def test_scores_are_the_kernels_for_each_metric(fake_pinecone: FakePineconeServer, metric: str) -> None:
    pinecone_metric = {"cosine": "cosine", "dot": "dotproduct", "l2": "euclidean"}[metric]
    fake_pinecone.create_index(dimension=8, metric=pinecone_metric)
    store = PineconeStore.from_url(url_for(fake_pinecone, metric=metric))
    reference = MemoryStore(metric)  # type: ignore[arg-type]
    records = random_records(100, seed=3)
    try:
        await store.upsert(records)
        await reference.upsert(records)
        for probe in (records[5].vector, [0.3, -0.2, 0.9, 0.1, 0.0, -0.5, 0.4, 0.2]):
            got = await store.query(probe or (), top_k=8)
            want = await reference.query(probe or (), top_k=8)
            assert [h.id for h in got] == [h.id for h in want]
            assert [h.score for h in got] == pytest.approx([h.score for h in want], rel=1e-4, abs=1e-4)
        if metric == "l2":
            (same,) = await store.query(records[5].vector or (), top_k=1)
            assert same.score == pytest.approx(0.0, abs=1e-5)  # negated squared distance: 0 is the closest
    finally:
        await store.close()


async def test_the_metric_is_checked_against_the_index(fake_pinecone: FakePineconeServer) -> None:
    fake_pinecone.create_index(dimension=2, metric="euclidean")
    wrong = PineconeStore.from_url(url_for(fake_pinecone, metric="cosine"))
    with pytest.raises(ConfigurationError, match=r"scores with euclidean.*\?metric=l2"):
        await wrong.query([1, 0])
    await wrong.close()
    unsaid = PineconeStore.from_url(url_for(fake_pinecone))
    assert unsaid.metric == "cosine"  # Pinecone's default, until the index says otherwise
    assert await unsaid.count() == 0
    await unsaid.query([1, 0])
    assert unsaid.metric == "l2"
    await unsaid.close()


async def test_requests_match_the_services_schemas(store: PineconeStore, fake_pinecone: FakePineconeServer) -> None:
    """What the SDK sends for each operation is what Pinecone's OpenAPI document describes."""
    spec = load_spec("pinecone-db-data-2026-04.oas.yaml", __file__)
    await store.upsert([Record("a", [1, 0, 0, 0], {"n": 1, "tags": ["x"]}, "text")], namespace="ns")
    await store.query([1, 0, 0, 0], filter={"n": {"$ne": 2}}, namespace="ns", include_vectors=True)
    await store.delete(["a"], namespace="ns")
    await store.delete(filter={"n": 1}, namespace="ns")
    await store.delete(filter={}, namespace="ns")
    bodies = {
        "/vectors/upsert": "UpsertRequest",
        "/query": "QueryRequest",
        "/vectors/delete": "DeleteRequest",
        "/describe_index_stats": "DescribeIndexStatsRequest",
    }
    for request in fake_pinecone.requests:
        assert_matches(request.json(), schema(bodies[request.path]), spec, closed=True)


async def test_concurrent_first_calls_read_the_index_once(
    store: PineconeStore, fake_pinecone: FakePineconeServer
) -> None:
    await asyncio.gather(*(store.upsert([Record(f"r{i}", [1, i, 0, 0])]) for i in range(20)))
    assert len(sent(fake_pinecone, "/describe_index_stats")) == 1
    assert len(sent(fake_pinecone, "/vectors/upsert")) == 20
