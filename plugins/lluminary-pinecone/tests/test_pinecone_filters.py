"""The kernel's filter language translated to Pinecone's: the exact filter sent for each operator,
FilterError for what Pinecone cannot express, and every translation executed by the fake service
selecting exactly what the kernel's reference semantics (``filter_matches``) select."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary.sdk import FilterError, Record, check_filter, filter_matches
from lluminary_pinecone import PineconeStore, to_pinecone
from lluminary_testing.pinecone_server import FakePineconeServer

from .conftest import url_for

TEXT_KEY = "lluminary_text"


def translate(flt: dict[str, Any]) -> dict[str, Any]:
    check_filter(flt)  # the kernel checks before a backend sees it
    return to_pinecone(flt, text_key=TEXT_KEY)


MISSING = {"$exists": False}


@pytest.mark.parametrize(
    ("kernel", "pinecone"),
    [
        ({"genre": "drama"}, {"genre": {"$eq": "drama"}}),
        ({"genre": {"$eq": "drama"}}, {"genre": {"$eq": "drama"}}),
        ({"year": {"$ne": 2019}}, {"$or": [{"year": {"$ne": 2019}}, {"year": MISSING}]}),
        ({"year": {"$gt": 1}}, {"year": {"$gt": 1}}),
        ({"year": {"$gte": 1.5}}, {"year": {"$gte": 1.5}}),
        ({"year": {"$lt": 1}}, {"year": {"$lt": 1}}),
        ({"year": {"$lte": 1}}, {"year": {"$lte": 1}}),
        ({"year": {"$gt": 1, "$lt": 9}}, {"$and": [{"year": {"$gt": 1}}, {"year": {"$lt": 9}}]}),
        ({"genre": {"$in": ["a", "b"]}}, {"genre": {"$in": ["a", "b"]}}),
        ({"genre": {"$nin": ["a", 2]}}, {"$or": [{"genre": {"$nin": ["a", 2]}}, {"genre": MISSING}]}),
        ({"fresh": {"$in": [True]}}, {"fresh": {"$eq": True}}),
        ({"f": {"$in": ["x", False]}}, {"$or": [{"f": {"$in": ["x"]}}, {"f": {"$eq": False}}]}),
        (
            {"f": {"$nin": ["x", True]}},
            {"$or": [{"$and": [{"f": {"$nin": ["x"]}}, {"f": {"$ne": True}}]}, {"f": MISSING}]},
        ),
        ({"f": {"$in": []}}, {"$and": [{"f": {"$exists": True}}, {"f": MISSING}]}),
        ({"f": {"$nin": []}}, {"$or": [{"f": {"$exists": True}}, {"f": MISSING}]}),
        ({"a": 1, "b": True}, {"$and": [{"a": {"$eq": 1}}, {"b": {"$eq": True}}]}),
        ({"$and": [{"a": 1}, {"b": 2}]}, {"$and": [{"a": {"$eq": 1}}, {"b": {"$eq": 2}}]}),
        (
            {"$or": [{"a": 1}, {"$and": [{"b": {"$ne": "x"}}, {"c": 3}]}]},
            {
                "$or": [
                    {"a": {"$eq": 1}},
                    {"$and": [{"$or": [{"b": {"$ne": "x"}}, {"b": MISSING}]}, {"c": {"$eq": 3}}]},
                ]
            },
        ),
        (
            {"a": 1, "$or": [{"b": 1}, {"c": 1}]},
            {"$and": [{"a": {"$eq": 1}}, {"$or": [{"b": {"$eq": 1}}, {"c": {"$eq": 1}}]}]},
        ),
    ],
)
def test_translation(kernel: dict[str, Any], pinecone: dict[str, Any]) -> None:
    assert translate(kernel) == pinecone


def test_long_membership_lists_are_split_at_pinecones_limit() -> None:
    choices = list(range(25_000))
    assert translate({"n": {"$in": choices}}) == {
        "$or": [
            {"n": {"$in": choices[:10_000]}},
            {"n": {"$in": choices[10_000:20_000]}},
            {"n": {"$in": choices[20_000:]}},
        ]
    }
    nin = translate({"n": {"$nin": choices}})
    assert nin["$or"][0]["$and"][2] == {"n": {"$nin": choices[20_000:]}}


@pytest.mark.parametrize(
    ("flt", "message"),
    [
        ({"genre": {"$gt": "m"}}, "compares numbers only"),
        ({"genre": {"$lte": "b"}}, "compares numbers only"),
        ({"genre": None}, "no null values"),
        ({"genre": {"$ne": None}}, "no null values"),
        ({"genre": {"$in": ["a", None]}}, "no null values"),
        ({"n": 2**60}, "beyond what they hold exactly"),
        ({TEXT_KEY: "some text"}, "holds the records' texts"),
        ({"$or": [{"a": 1}, {"b": {"$gt": "x"}}]}, "compares numbers only"),
    ],
)
def test_what_pinecone_cannot_express_is_a_filter_error(flt: dict[str, Any], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        translate(flt)


# ---------------------------------------------------------------------- executed by the service

RECORDS = [
    Record("r1", [1.0, 0.1], {"genre": "drama", "year": 2019, "fresh": True, "score": 0.5}),
    Record("r2", [0.9, 0.2], {"genre": "comedy", "year": 2021.0, "fresh": False}),
    Record("r3", [0.8, 0.3], {"genre": "drama", "fresh": False, "score": 1}),
    Record("r4", [0.7, 0.4], {"year": 1, "fresh": "yes"}),
    Record("r5", [0.6, 0.5], {}),
    Record("r6", [0.5, 0.6], {"genre": "horror", "year": True, "score": -2.5}),
]

EXECUTED: list[dict[str, Any]] = [
    {"genre": "drama"},
    {"genre": {"$ne": "drama"}},
    {"year": {"$ne": 2019}},
    {"year": {"$gt": 2000}},
    {"year": {"$gte": 1}},
    {"year": {"$lt": 2020}},
    {"score": {"$lte": 0.5}},
    {"score": {"$gt": -3, "$lt": 1}},
    {"genre": {"$in": ["comedy", "horror"]}},
    {"genre": {"$nin": ["comedy", "horror"]}},
    {"year": {"$in": [1, 2021]}},
    {"year": {"$nin": [2019]}},
    {"fresh": True},
    {"fresh": {"$ne": False}},
    {"fresh": {"$in": [True, "yes"]}},
    {"fresh": {"$nin": [False]}},
    {"year": {"$in": [True]}},
    {"year": True},
    {"year": 1},
    {"genre": {"$in": []}},
    {"genre": {"$nin": []}},
    {"$and": [{"genre": "drama"}, {"fresh": False}]},
    {"$or": [{"genre": "comedy"}, {"score": {"$gt": 0}}]},
    {"$or": [{"$and": [{"genre": {"$ne": "drama"}}, {"fresh": {"$ne": True}}]}, {"year": 2019}]},
    {"genre": "drama", "score": {"$gte": 1}},
]


@pytest.fixture
async def store(fake_pinecone: FakePineconeServer) -> Any:
    fake_pinecone.create_index(dimension=2, metric="cosine")
    store = PineconeStore.from_url(url_for(fake_pinecone))
    await store.upsert(RECORDS)
    yield store
    await store.close()


@pytest.mark.parametrize("flt", EXECUTED)
async def test_the_service_selects_what_the_kernel_means(store: PineconeStore, flt: dict[str, Any]) -> None:
    check_filter(flt)
    hits = await store.query([1.0, 0.0], top_k=10, filter=flt)
    assert {hit.id for hit in hits} == {r.id for r in RECORDS if filter_matches(flt, r.metadata)}, flt


async def test_delete_by_filter_removes_what_the_kernel_means(
    store: PineconeStore, fake_pinecone: FakePineconeServer
) -> None:
    flt = {"year": {"$ne": 2019}}
    await store.delete(filter=flt)
    assert set(fake_pinecone.index.namespaces["__default__"]) == {
        r.id for r in RECORDS if not filter_matches(flt, r.metadata)
    }
    sent = fake_pinecone.last_request.json()
    assert sent == {"namespace": "", "filter": {"$or": [{"year": {"$ne": 2019}}, {"year": {"$exists": False}}]}}


async def test_a_filter_error_sends_nothing(store: PineconeStore, fake_pinecone: FakePineconeServer) -> None:
    before = len(fake_pinecone.requests)
    with pytest.raises(FilterError):
        await store.query([1.0, 0.0], filter={"genre": {"$gt": "a"}})
    with pytest.raises(FilterError):
        await store.delete(filter={"genre": None})
    assert len(fake_pinecone.requests) == before
