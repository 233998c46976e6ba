"""Records as Pinecone vectors: ids Pinecone can hold (and back), the text in the metadata, metadata
checked before anything is sent, and requests cut at the service's limits."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from lluminary.sdk import Record, RequestValidationError, dumps
from lluminary_pinecone.batching import fetch_batches, id_batches, upsert_batches
from lluminary_pinecone.records import (
    ID_MARKER,
    MAX_METADATA_BYTES,
    check_namespace,
    decode_id,
    encode_id,
    from_wire,
    to_wire,
)

TEXT_KEY = "lluminary_text"


# ---------------------------------------------------------------------- ids


@pytest.mark.parametrize("key", ["doc-1#chunk-3", "a b", "100%", "%C3%BC", "~/x?y=z&w", "utf8", "x" * 512])
def test_ascii_ids_are_stored_as_they_are(key: str) -> None:
    assert encode_id(key) == key
    assert decode_id(key) == key


@pytest.mark.parametrize("key", ["ünï-🔑", "日本語", "a\x00b", f"{ID_MARKER}abc", f"{ID_MARKER}%C3%BC", "é" * 40])
def test_other_ids_are_percent_encoded_behind_a_marker_and_come_back(key: str) -> None:
    wire = encode_id(key)
    assert wire.startswith(ID_MARKER)
    assert wire.isascii()
    assert "\x00" not in wire
    assert decode_id(wire) == key


def test_encoded_ids_never_collide_with_plain_ones() -> None:
    keys = ["ü", "%C3%BC", f"{ID_MARKER}%C3%BC", f"{ID_MARKER}ü", ID_MARKER]
    assert len({encode_id(key) for key in keys}) == len(keys)


def test_ids_pinecone_cannot_hold_are_typed_errors() -> None:
    with pytest.raises(RequestValidationError, match="at most 512"):
        encode_id("x" * 513)
    with pytest.raises(RequestValidationError, match="at most 512"):
        encode_id("é" * 90)  # 90 characters, 540 as stored
    with pytest.raises(RequestValidationError, match="non-empty string"):
        encode_id("")


@pytest.mark.parametrize("namespace", ["__default__", "café", "a\x00", "n" * 513])
def test_namespaces_pinecone_cannot_hold_are_typed_errors(namespace: str) -> None:
    with pytest.raises(RequestValidationError):
        check_namespace(namespace)
    assert check_namespace("tenant-7") == "tenant-7"


# ---------------------------------------------------------------------- metadata and texts


def test_the_text_rides_in_the_metadata_and_comes_back_out() -> None:
    record = Record("a", [0.5, 0.5], {"lang": "en", "n": 3, "tags": ("x", "y")}, "the text")
    wire = to_wire(record, TEXT_KEY, 2)
    assert wire == {
        "id": "a",
        "values": [0.5, 0.5],
        "metadata": {"lang": "en", "n": 3, "tags": ["x", "y"], TEXT_KEY: "the text"},
    }
    assert from_wire(wire["metadata"], TEXT_KEY) == ({"lang": "en", "n": 3, "tags": ["x", "y"]}, "the text")
    assert to_wire(Record("b", [1.0]), TEXT_KEY, None) == {"id": "b", "values": [1.0]}


def test_a_foreign_field_named_like_the_text_key_stays_metadata() -> None:
    assert from_wire({TEXT_KEY: 7.0}, TEXT_KEY) == ({TEXT_KEY: 7.0}, None)
    assert from_wire(None, TEXT_KEY) == ({}, None)


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"gone": None}, "Pinecone drops null values"),
        ({"price": {"usd": 10}}, "strings, numbers, booleans and lists of strings"),
        ({"mixed": ["a", 1]}, "strings, numbers, booleans and lists of strings"),
        ({"$where": 1}, "not starting with '\\$'"),
        ({TEXT_KEY: "x"}, "reserved for the record's text"),
        ({"n": float("nan")}, "finite"),
        ({"n": 2**60}, "as doubles"),
    ],
)
def test_metadata_pinecone_would_change_or_refuse_is_a_typed_error(metadata: dict[str, Any], message: str) -> None:
    with pytest.raises(RequestValidationError, match=message):
        to_wire(Record("a", [1.0], metadata), TEXT_KEY, 1)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (Record("a", None, {}, "text only"), "has no vector"),
        (Record("a", [1.0, 2.0]), "3-dimensional"),
        (Record("a", [0.0, 0.0, 0.0]), "all zero"),
        (Record("a", [1.0, float("inf"), 0.0]), "not finite"),
    ],
)
def test_vectors_pinecone_would_refuse_are_typed_errors(record: Record, message: str) -> None:
    with pytest.raises(RequestValidationError, match=message):
        to_wire(record, TEXT_KEY, 3)


def test_metadata_and_text_share_the_40_kb_limit() -> None:
    base = len(dumps({TEXT_KEY: ""}))
    fits = Record("a", [1.0], {}, "x" * (MAX_METADATA_BYTES - base))
    assert len(dumps(to_wire(fits, TEXT_KEY, 1)["metadata"])) == MAX_METADATA_BYTES
    with pytest.raises(RequestValidationError, match=f"{MAX_METADATA_BYTES + 1} bytes.*split long texts"):
        to_wire(Record("a", [1.0], {}, "x" * (MAX_METADATA_BYTES - base + 1)), TEXT_KEY, 1)
    with pytest.raises(RequestValidationError, match="bytes"):
        to_wire(Record("a", [1.0], {"n": 1}, "é" * 20_480), TEXT_KEY, 1)  # 2 bytes a character


# ---------------------------------------------------------------------- batching


def vectors(count: int, dimension: int = 4, text: str = "") -> list[dict[str, Any]]:
    return [to_wire(Record(f"v{i}", [0.25] * dimension, {}, text or None), TEXT_KEY, dimension) for i in range(count)]


def request_size(batch: list[dict[str, Any]], namespace: str) -> int:
    """The body the SDK sends for ``batch`` (it encodes with orjson, like ``dumps``)."""
    return len(dumps({"vectors": batch, "namespace": namespace} if namespace else {"vectors": batch}))


def test_upserts_are_cut_at_1000_vectors() -> None:
    batches = list(upsert_batches(vectors(2500), ""))
    assert [len(b) for b in batches] == [1000, 1000, 500]
    assert [v["id"] for b in batches for v in b] == [f"v{i}" for i in range(2500)]


@pytest.mark.parametrize("namespace", ["", "tenant-7"])
def test_upserts_are_cut_before_2_mb_measured_exactly(namespace: str) -> None:
    big = vectors(200, dimension=8, text="y" * 30_000)  # about 6 MB in all
    batches = list(upsert_batches(big, namespace))
    assert len(batches) == 4
    sizes = [request_size(batch, namespace) for batch in batches]
    assert max(sizes) <= 2_000_000
    # each batch is as full as it can be: one more vector would have passed the limit
    for batch, following in itertools.pairwise(batches):
        assert request_size([*batch, following[0]], namespace) > 2_000_000
    assert sum(len(b) for b in batches) == 200


def test_the_byte_limit_is_exact_at_the_edge() -> None:
    two = vectors(2)
    limit = request_size(two, "ns")
    assert [len(b) for b in upsert_batches(two, "ns", max_bytes=limit)] == [2]
    assert [len(b) for b in upsert_batches(two, "ns", max_bytes=limit - 1)] == [1, 1]


def test_a_vector_too_big_for_any_request_is_a_typed_error() -> None:
    with pytest.raises(RequestValidationError, match="alone takes"):
        list(upsert_batches(vectors(1), "", max_bytes=20))


def test_ids_are_cut_at_1000_and_fetches_also_by_url_length() -> None:
    assert [len(b) for b in id_batches([f"id{i}" for i in range(2001)])] == [1000, 1000, 1]
    long_ids = [f"{i:04d}" + "x" * 500 for i in range(200)]
    batches = list(fetch_batches(long_ids))
    assert len(batches) > 1
    assert all(sum(len("ids=") + len(key) + 1 for key in batch) <= 32_768 for batch in batches)
    assert [key for batch in batches for key in batch] == long_ids
    assert [len(b) for b in fetch_batches([f"i{n}" for n in range(1500)])] == [1000, 500]


def test_an_upsert_body_is_json_the_service_reads() -> None:
    (batch,) = upsert_batches(vectors(3, text="t"), "ns")
    assert json.loads(dumps({"vectors": batch, "namespace": "ns"}))["vectors"][0]["metadata"] == {TEXT_KEY: "t"}
