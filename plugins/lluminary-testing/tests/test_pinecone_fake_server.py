"""The fake Pinecone data plane, driven with plain HTTP the way the official SDK drives it (camelCase
JSON, ``Api-Key``, ``X-Pinecone-Api-Version``, repeated ``ids`` in a fetch), held to the facts its
module docstring lists and, when the document is present, to Pinecone's data-plane OpenAPI spec."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx2
import pytest

from lluminary_testing.openapi import assert_matches, load_spec, schema
from lluminary_testing.pinecone_server import (
    API_KEY,
    DEFAULT_NAMESPACE,
    FakePineconeServer,
    PineconeIndex,
    StoredVector,
    filter_matches,
)

HEADERS = {"Api-Key": API_KEY, "X-Pinecone-Api-Version": "2026-07", "User-Agent": "python-client-10.2.0"}
SPEC = "pinecone-db-data-2026-04.oas.yaml"


@pytest.fixture
def server(fake_pinecone: FakePineconeServer) -> FakePineconeServer:
    fake_pinecone.create_index(dimension=3, metric="cosine")
    return fake_pinecone


@pytest.fixture
def http() -> Iterator[httpx2.Client]:
    with httpx2.Client(headers=HEADERS, timeout=5) as client:
        yield client


@pytest.fixture(scope="module")
def spec() -> Mapping[str, Any]:
    return load_spec(SPEC, __file__)


def post(http: httpx2.Client, server: FakePineconeServer, path: str, body: Any) -> httpx2.Response:
    return http.post(server.base_url + path, content=json.dumps(body), headers={"Content-Type": "application/json"})


def upsert(http: httpx2.Client, server: FakePineconeServer, vectors: list[dict[str, Any]], **extra: Any) -> Any:
    answer = post(http, server, "/vectors/upsert", {"vectors": vectors, **extra})
    assert answer.status_code == 200, answer.text
    return answer.json()


def query(http: httpx2.Client, server: FakePineconeServer, **body: Any) -> httpx2.Response:
    return post(http, server, "/query", {"includeValues": False, "includeMetadata": True, **body})


def rpc_error(answer: httpx2.Response, status: int) -> str:
    """The message of an rpcStatus error answer, after checking its shape."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"code", "message", "details"}
    assert body["details"] == []
    assert isinstance(body["code"], int)
    return str(body["message"])


SAMPLE = [
    {"id": "a", "values": [1.0, 0.0, 0.0], "metadata": {"genre": "drama", "year": 2019, "tags": ["x", "y"]}},
    {"id": "b", "values": [0.0, 1.0, 0.0], "metadata": {"genre": "comedy", "year": 2021, "fresh": True}},
    {"id": "c", "values": [0.6, 0.8, 0.0], "metadata": {"genre": "drama", "fresh": False}},
]


# ---------------------------------------------------------------------- authentication and routing


def test_a_missing_or_wrong_key_is_a_plain_text_401(server: FakePineconeServer) -> None:
    for headers in ({}, {"Api-Key": "pcsk_wrong"}):
        answer = httpx2.post(server.base_url + "/describe_index_stats", json={}, headers=headers, timeout=5)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "text/plain"
        assert answer.text == "Unauthorized"


def test_unknown_paths_and_methods(server: FakePineconeServer, http: httpx2.Client) -> None:
    assert rpc_error(http.post(server.base_url + "/vectors/list", json={}), 404).startswith("Not Found")
    assert "not allowed" in rpc_error(http.get(server.base_url + "/query"), 405)
    assert "Invalid JSON" in rpc_error(http.post(server.base_url + "/query", content=b"{nope"), 400)


def test_answers_carry_a_request_id(server: FakePineconeServer, http: httpx2.Client) -> None:
    first = post(http, server, "/describe_index_stats", {})
    second = post(http, server, "/describe_index_stats", {})
    assert first.headers["x-pinecone-request-id"] != second.headers["x-pinecone-request-id"]


# ---------------------------------------------------------------------- upsert and fetch


def test_upsert_then_fetch_returns_float32_values_and_double_metadata(
    server: FakePineconeServer, http: httpx2.Client
) -> None:
    vectors = [{"id": "a", "values": [0.1, 0.2, 0.3], "metadata": {"year": 2019, "gone": None, "tags": ["x"]}}]
    assert upsert(http, server, vectors, namespace="films") == {"upsertedCount": 1}
    answer = http.get(server.base_url + "/vectors/fetch", params={"ids": ["a", "missing"], "namespace": "films"})
    assert answer.status_code == 200
    body = answer.json()
    assert set(body["vectors"]) == {"a"}  # unknown ids are absent, not errors
    stored = body["vectors"]["a"]
    assert stored["values"] == [0.10000000149011612, 0.20000000298023224, 0.30000001192092896]
    assert stored["metadata"] == {"year": 2019.0, "tags": ["x"]}  # null stripped, numbers doubles
    assert isinstance(stored["metadata"]["year"], float)
    assert body["namespace"] == "films"
    assert body["usage"] == {"readUnits": 1}


def test_upserting_an_id_again_replaces_it(server: FakePineconeServer, http: httpx2.Client) -> None:
    upsert(http, server, [SAMPLE[0]])
    upsert(http, server, [{"id": "a", "values": [0.0, 0.0, 1.0]}])
    assert server.index.count() == 1
    assert server.index.fetch("", ["a"])["a"] == StoredVector("a", (0.0, 0.0, 1.0), {})


def test_the_first_upsert_fixes_an_open_dimension(fake_pinecone: FakePineconeServer, http: httpx2.Client) -> None:
    empty = post(http, fake_pinecone, "/describe_index_stats", {}).json()
    assert "dimension" not in empty
    assert (empty["namespaces"], empty["totalVectorCount"]) == ({}, 0)
    upsert(http, fake_pinecone, [{"id": "a", "values": [1.0, 2.0]}])
    assert post(http, fake_pinecone, "/describe_index_stats", {}).json()["dimension"] == 2


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        ({"id": "a", "values": [1.0, 2.0]}, "Vector dimension 2 does not match the dimension of the index 3"),
        ({"id": "a", "values": [0.0, 1e-9, 0.0]}, "dense vectors must contain at least one non-zero value"),
        ({"id": "a", "values": []}, "values must be a non-empty array"),
        ({"id": "a", "values": [1.0, "2", 3.0]}, "values must be numbers"),
        ({"id": "ü", "values": [1.0, 2.0, 3.0]}, "must be ASCII"),
        ({"id": "x" * 513, "values": [1.0, 2.0, 3.0]}, "longer than 512"),
        ({"id": "", "values": [1.0, 2.0, 3.0]}, "non-empty strings"),
        ({"id": "a", "values": [1.0, 2.0, 3.0], "metadata": {"$bad": 1}}, "may not begin with '$'"),
        (
            {"id": "a", "values": [1.0, 2.0, 3.0], "metadata": {"price": {"usd": 10}}},
            "Metadata value must be a string, number, boolean or list of strings, got '{\"usd\":10.0}' for field 'price'",
        ),
        (
            {"id": "a", "values": [1.0, 2.0, 3.0], "metadata": {"mixed": ["a", 1]}},
            "Metadata value must be a string, number, boolean or list of strings, got '[\"a\",1.0]' for field 'mixed'",
        ),
        ({"id": "a", "values": [1.0, 2.0, 3.0], "sparseValues": {"indices": [1], "values": [0.5]}}, "Sparse"),
    ],
)
def test_upsert_refuses_what_the_service_refuses(
    server: FakePineconeServer, http: httpx2.Client, vector: dict[str, Any], message: str
) -> None:
    assert message in rpc_error(post(http, server, "/vectors/upsert", {"vectors": [vector]}), 400)
    assert server.index.count() == 0


def test_metadata_over_40_kb_is_refused_with_the_services_message(
    server: FakePineconeServer, http: httpx2.Client
) -> None:
    fits = {"text": "x" * (40_960 - len('{"text":""}'))}
    upsert(http, server, [{"id": "fits", "values": [1.0, 0.0, 0.0], "metadata": fits}])
    too_big = {"text": "x" * 41_000}
    message = rpc_error(
        post(http, server, "/vectors/upsert", {"vectors": [{"id": "big", "values": [1, 0, 0], "metadata": too_big}]}),
        400,
    )
    assert message == "metadata size is 41011 bytes, which exceeds the limit of 40960 bytes per vector"


def test_an_upsert_carries_at_most_1000_vectors(server: FakePineconeServer, http: httpx2.Client) -> None:
    vectors = [{"id": f"v{i}", "values": [1.0, 0.0, 0.0]} for i in range(1001)]
    assert "at most 1000 vectors" in rpc_error(post(http, server, "/vectors/upsert", {"vectors": vectors}), 400)
    assert upsert(http, server, vectors[:1000]) == {"upsertedCount": 1000}


def test_an_upsert_over_2_mb_is_a_413(server: FakePineconeServer, http: httpx2.Client) -> None:
    vectors = [{"id": f"v{i}", "values": [1.0, 0.0, 0.0], "metadata": {"t": "x" * 30_000}} for i in range(67)]
    body = json.dumps({"vectors": vectors}).encode()
    assert len(body) > 2_000_000
    answer = http.post(server.base_url + "/vectors/upsert", content=body)
    assert rpc_error(answer, 413) == (
        "Your request is larger than the maximum supported size - 2MB. Please try to reduce your batch size."
    )
    assert server.index.count() == 0


def test_fetch_limits(server: FakePineconeServer, http: httpx2.Client) -> None:
    assert "ids is required" in rpc_error(http.get(server.base_url + "/vectors/fetch"), 400)
    ids = [f"v{i}" for i in range(1001)]
    assert "at most 1000 ids" in rpc_error(http.get(server.base_url + "/vectors/fetch", params={"ids": ids}), 400)
    assert http.get(server.base_url + "/vectors/fetch", params={"ids": ids[:1000]}).status_code == 200


def test_namespaces_are_ascii_and_the_default_has_two_names(server: FakePineconeServer, http: httpx2.Client) -> None:
    upsert(http, server, [SAMPLE[0]])
    upsert(http, server, [SAMPLE[1]], namespace=DEFAULT_NAMESPACE)
    assert server.index.count("") == 2
    stats = post(http, server, "/describe_index_stats", {}).json()
    assert stats["namespaces"] == {DEFAULT_NAMESPACE: {"vectorCount": 2}}
    answer = post(http, server, "/vectors/upsert", {"vectors": [SAMPLE[2]], "namespace": "café"})
    assert "Invalid namespace" in rpc_error(answer, 400)


# ---------------------------------------------------------------------- query and scores


@pytest.mark.parametrize("metric", ["cosine", "dotproduct", "euclidean"])
def test_scores_per_metric(fake_pinecone: FakePineconeServer, http: httpx2.Client, metric: str) -> None:
    """cosine: similarity; dotproduct: inner product; euclidean: the squared distance, ascending."""
    fake_pinecone.create_index(dimension=3, metric=metric)
    vectors = [
        {"id": "near", "values": [2.0, 0.0, 0.0]},
        {"id": "side", "values": [0.0, 3.0, 0.0]},
        {"id": "far", "values": [-1.0, -1.0, 0.0]},
    ]
    upsert(http, fake_pinecone, vectors)
    answer = query(http, fake_pinecone, topK=3, vector=[1.0, 0.0, 0.0])
    matches = answer.json()["matches"]
    want = {
        "cosine": [("near", 1.0), ("side", 0.0), ("far", -1 / math.sqrt(2))],
        "dotproduct": [("near", 2.0), ("side", 0.0), ("far", -1.0)],
        "euclidean": [("near", 1.0), ("far", 5.0), ("side", 10.0)],
    }[metric]
    assert [m["id"] for m in matches] == [key for key, _ in want]
    assert [m["score"] for m in matches] == pytest.approx([score for _, score in want], abs=1e-6)
    assert answer.json()["usage"] == {"readUnits": 1}


def test_query_answer_shape(server: FakePineconeServer, http: httpx2.Client) -> None:
    upsert(http, server, SAMPLE, namespace="films")
    bare = query(http, server, topK=2, vector=[1.0, 0.1, 0.0], namespace="films", includeMetadata=False).json()
    assert set(bare) == {"results", "matches", "namespace", "usage"}
    assert bare["results"] == []
    assert bare["namespace"] == "films"
    assert all(set(m) == {"id", "score", "values"} and m["values"] == [] for m in bare["matches"])
    full = query(http, server, topK=1, vector=[1.0, 0.1, 0.0], namespace="films", includeValues=True).json()
    assert full["matches"][0] == {
        "id": "a",
        "score": pytest.approx(0.995037, abs=1e-5),
        "values": [1.0, 0.0, 0.0],
        "metadata": {"genre": "drama", "year": 2019.0, "tags": ["x", "y"]},
    }


def test_query_takes_proto_field_names_too(server: FakePineconeServer, http: httpx2.Client) -> None:
    upsert(http, server, SAMPLE)
    answer = post(http, server, "/query", {"top_k": 1, "vector": [0.0, 1.0, 0.0], "include_values": True})
    assert answer.json()["matches"][0]["id"] == "b"
    assert answer.json()["matches"][0]["values"] == [0.0, 1.0, 0.0]


def test_query_by_stored_id(server: FakePineconeServer, http: httpx2.Client) -> None:
    upsert(http, server, SAMPLE)
    assert [m["id"] for m in query(http, server, topK=2, id="c").json()["matches"]] == ["c", "b"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"topK": 0, "vector": [1, 0, 0]}, "Invalid topK"),
        ({"topK": 10_001, "vector": [1, 0, 0]}, "Invalid topK"),
        ({"vector": [1, 0, 0]}, "Invalid topK"),
        ({"topK": 1}, "exactly one of 'vector' or 'id'"),
        ({"topK": 1, "vector": [1, 0, 0], "id": "a"}, "exactly one of 'vector' or 'id'"),
        ({"topK": 1, "vector": [1, 0]}, "Vector dimension 2 does not match the dimension of the index 3"),
        ({"topK": 1, "vector": [0, 0, 0]}, "cannot be all zeros"),
        ({"topK": 1, "vector": [1, 0, 0], "includeValues": "yes"}, "Invalid includeValues"),
    ],
)
def test_query_refuses_what_the_service_refuses(
    server: FakePineconeServer, http: httpx2.Client, body: dict[str, Any], message: str
) -> None:
    upsert(http, server, SAMPLE)
    assert message in rpc_error(post(http, server, "/query", body), 400)


def test_a_query_in_a_namespace_that_does_not_exist_finds_nothing(
    server: FakePineconeServer, http: httpx2.Client
) -> None:
    upsert(http, server, SAMPLE)
    assert query(http, server, topK=3, vector=[1, 0, 0], namespace="nowhere").json()["matches"] == []


# ---------------------------------------------------------------------- the filter language

FILTER_CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"genre": "drama"}, {"a", "c"}),
    ({"genre": {"$eq": "comedy"}}, {"b"}),
    ({"genre": {"$ne": "drama"}}, {"b"}),
    ({"year": {"$ne": 2019}}, {"b"}),  # $ne needs the field: "c" has no year
    ({"year": {"$gt": 2019}}, {"b"}),
    ({"year": {"$gte": 2019}}, {"a", "b"}),
    ({"year": {"$lt": 2021}}, {"a"}),
    ({"year": {"$lte": 2021, "$gt": 2019}}, {"b"}),
    ({"genre": {"$in": ["comedy", "horror"]}}, {"b"}),
    ({"year": {"$in": [2019, 2020.0]}}, {"a"}),
    ({"genre": {"$nin": ["comedy"]}}, {"a", "c"}),
    ({"year": {"$nin": [2019]}}, {"b"}),  # $nin needs the field too
    ({"fresh": True}, {"b"}),
    ({"fresh": {"$eq": False}}, {"c"}),
    ({"fresh": {"$ne": True}}, {"c"}),
    ({"year": {"$exists": True}}, {"a", "b"}),
    ({"year": {"$exists": False}}, {"c"}),
    ({"tags": "y"}, {"a"}),  # a list field matches when one element does
    ({"tags": {"$in": ["z", "x"]}}, {"a"}),
    ({"tags": {"$ne": "x"}}, set()),  # ... and $ne needs none to
    ({"tags": {"$nin": ["q"]}}, {"a"}),
    ({"$and": [{"genre": "drama"}, {"year": {"$exists": True}}]}, {"a"}),
    ({"$or": [{"genre": "comedy"}, {"fresh": False}]}, {"b", "c"}),
    ({"$or": [{"$and": [{"genre": "drama"}, {"fresh": False}]}, {"year": 2021}]}, {"b", "c"}),
    ({"genre": "drama", "year": {"$lt": 2020}}, {"a"}),
    ({"year": {"$gt": 1}, "fresh": {"$exists": False}}, {"a"}),
    ({"year": True}, set()),  # booleans match only booleans
    ({"fresh": {"$in": [1]}}, set()),
]


@pytest.mark.parametrize(("flt", "ids"), FILTER_CASES)
def test_filters_select_as_pinecone_does(
    server: FakePineconeServer, http: httpx2.Client, flt: dict[str, Any], ids: set[str]
) -> None:
    upsert(http, server, SAMPLE)
    answer = query(http, server, topK=10, vector=[1.0, 1.0, 1.0], filter=flt)
    assert answer.status_code == 200, answer.text
    assert {m["id"] for m in answer.json()["matches"]} == ids


@pytest.mark.parametrize(
    ("flt", "message"),
    [
        ({"$eq": {"genre": "drama"}}, "$eq is not allowed at the top level"),
        ({"year": {"$gt": "2019"}}, "$gt on field 'year' takes a number"),
        ({"fresh": {"$in": [True]}}, "takes strings and numbers"),
        ({"genre": ["drama", "comedy"]}, "takes a string, number or boolean"),
        ({"genre": {"$eq": ["drama"]}}, "takes a string, number or boolean"),
        ({"genre": {"$like": "dr%"}}, "unknown operator $like"),
        ({"genre": {}}, "empty condition"),
        ({"$and": []}, "non-empty array"),
        ({"year": {"$exists": 1}}, "takes true or false"),
        ({"genre": {"$in": ["x"] * 10_001}}, "more than 10000 values"),
    ],
)
def test_invalid_filters_are_refused(
    server: FakePineconeServer, http: httpx2.Client, flt: dict[str, Any], message: str
) -> None:
    assert message in rpc_error(query(http, server, topK=1, vector=[1, 0, 0], filter=flt), 400)


def test_filter_matches_is_the_reference_the_index_uses() -> None:
    index = PineconeIndex(2, "dotproduct")
    index.upsert("", [StoredVector("a", (1.0, 0.0), {"n": 1.0}), StoredVector("b", (0.0, 1.0), {})])
    assert [v.id for _, v in index.query("", [1.0, 1.0], 10, {"n": {"$exists": False}})] == ["b"]
    assert filter_matches({"n": {"$gte": 1}}, {"n": 1.0})
    assert not filter_matches({"n": {"$ne": 2}}, {})


# ---------------------------------------------------------------------- delete and stats


def test_delete_by_ids_filter_and_all(server: FakePineconeServer, http: httpx2.Client) -> None:
    upsert(http, server, SAMPLE, namespace="films")
    assert post(http, server, "/vectors/delete", {"ids": ["a", "unknown"], "namespace": "films"}).json() == {}
    assert server.index.count("films") == 2
    post(http, server, "/vectors/delete", {"filter": {"genre": "comedy"}, "namespace": "films"})
    assert set(server.index.namespaces["films"]) == {"c"}
    post(http, server, "/vectors/delete", {"deleteAll": True, "namespace": "films"})
    assert server.index.count("films") == 0
    stats = post(http, server, "/describe_index_stats", {}).json()
    assert stats["namespaces"]["films"] == {"vectorCount": 0}  # an emptied namespace stays


def test_a_filter_beside_ids_deletes_what_the_filter_selects(server: FakePineconeServer, http: httpx2.Client) -> None:
    upsert(http, server, SAMPLE)
    post(http, server, "/vectors/delete", {"ids": ["b"], "filter": {"genre": "drama"}, "namespace": ""})
    assert set(server.index.namespaces[DEFAULT_NAMESPACE]) == {"b"}


def test_deleting_in_a_namespace_that_does_not_exist_is_a_404(server: FakePineconeServer, http: httpx2.Client) -> None:
    answer = post(http, server, "/vectors/delete", {"ids": ["a"], "namespace": "nowhere"})
    assert rpc_error(answer, 404) == "Namespace not found"
    assert answer.json()["code"] == 5
    default = post(http, server, "/vectors/delete", {"deleteAll": True, "namespace": ""})
    assert default.status_code == 200  # the default namespace always exists


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"namespace": ""}, "takes ids, a filter or deleteAll"),
        ({"deleteAll": True, "ids": ["a"]}, "cannot be combined"),
        ({"filter": {}}, "Delete with empty metadata filter is not allowed"),
        ({"ids": [f"v{i}" for i in range(1001)]}, "at most 1000 ids"),
    ],
)
def test_delete_refuses_what_the_service_refuses(
    server: FakePineconeServer, http: httpx2.Client, body: dict[str, Any], message: str
) -> None:
    assert message in rpc_error(post(http, server, "/vectors/delete", body), 400)


def test_describe_index_stats(server: FakePineconeServer, http: httpx2.Client) -> None:
    upsert(http, server, SAMPLE[:2])
    upsert(http, server, SAMPLE[2:], namespace="films")
    stats = post(http, server, "/describe_index_stats", {}).json()
    assert stats == {
        "namespaces": {DEFAULT_NAMESPACE: {"vectorCount": 2}, "films": {"vectorCount": 1}},
        "dimension": 3,
        "indexFullness": 0.0,
        "totalVectorCount": 3,
        "metric": "cosine",
        "vectorType": "dense",
    }
    assert "do not support" in rpc_error(post(http, server, "/describe_index_stats", {"filter": {"genre": "x"}}), 400)


def test_answers_match_the_services_schemas(
    server: FakePineconeServer, http: httpx2.Client, spec: Mapping[str, Any]
) -> None:
    assert_matches(upsert(http, server, SAMPLE), schema("UpsertResponse"), spec)
    found = query(http, server, topK=3, vector=[1.0, 0.1, 0.0], includeValues=True).json()
    assert_matches(found, schema("QueryResponse"), spec)
    assert_matches(post(http, server, "/describe_index_stats", {}).json(), schema("IndexDescription"), spec)
    fetched = http.get(server.base_url + "/vectors/fetch", params={"ids": ["a", "b"]}).json()
    assert_matches(fetched, schema("FetchResponse"), spec)
    assert_matches(post(http, server, "/vectors/delete", {"ids": ["a"]}).json(), schema("DeleteResponse"), spec)
    error = post(http, server, "/query", {"topK": 0}).json()
    assert_matches(error, schema("rpcStatus"), spec)


# ---------------------------------------------------------------------- faults


def test_fail_next_429_is_plain_text_with_retry_after(server: FakePineconeServer, http: httpx2.Client) -> None:
    server.fail_next(2, 429, retry_after=1.5)
    for _ in range(2):
        answer = post(http, server, "/describe_index_stats", {})
        assert (answer.status_code, answer.text, answer.headers["retry-after"]) == (429, "Too Many Requests", "1.5")
    assert post(http, server, "/describe_index_stats", {}).status_code == 200


@pytest.mark.parametrize(("status", "code"), [(500, 13), (503, 14)])
def test_fail_next_5xx_is_an_rpc_status(
    server: FakePineconeServer, http: httpx2.Client, status: int, code: int
) -> None:
    server.fail_next(1, status)
    answer = post(http, server, "/describe_index_stats", {})
    rpc_error(answer, status)
    assert answer.json()["code"] == code


def test_fail_next_on_one_path_after_some_requests(server: FakePineconeServer, http: httpx2.Client) -> None:
    server.fail_next(1, 500, path="/vectors/upsert", after=1)
    assert post(http, server, "/describe_index_stats", {}).status_code == 200  # another path passes
    upsert(http, server, [SAMPLE[0]])  # the first upsert is let through
    assert post(http, server, "/vectors/upsert", {"vectors": [SAMPLE[1]]}).status_code == 500
    upsert(http, server, [SAMPLE[1]])
    assert server.index.count() == 2


def test_latency_delays_every_answer(server: FakePineconeServer, http: httpx2.Client) -> None:
    server.latency = 0.3
    started = time.monotonic()
    assert post(http, server, "/describe_index_stats", {}).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_requests_are_recorded_as_sent(server: FakePineconeServer, http: httpx2.Client) -> None:
    upsert(http, server, [SAMPLE[0]], namespace="films")
    recorded = server.last_request
    assert (recorded.method, recorded.path) == ("POST", "/vectors/upsert")
    assert recorded.headers["api-key"] == API_KEY
    assert recorded.headers["x-pinecone-api-version"] == "2026-07"
    assert recorded.json() == {"vectors": [SAMPLE[0]], "namespace": "films"}
