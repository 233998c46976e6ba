"""Failures: every answer the service can give becomes lluminary's typed error with the service's
message, status and request id; 429, 5xx, timeouts and dropped connections are retried with the
kernel's RetryPolicy (and the SDK's own retries are off, so attempts do not multiply); the API key
shows up in no repr, exception, traceback or log record."""

from __future__ import annotations

import logging
import socket
import time
import traceback
from collections.abc import AsyncIterator

import pytest

from lluminary import RetryPolicy
from lluminary.sdk import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    InvalidRequestError,
    OverloadedError,
    RateLimitError,
    Record,
    ServerError,
)
from lluminary_pinecone import PineconeStore
from lluminary_testing.pinecone_server import API_KEY, FakePineconeServer

from .conftest import url_for

FAST = RetryPolicy(max_attempts=3, initial_delay=0.001, max_delay=0.01)


@pytest.fixture
async def store(fake_pinecone: FakePineconeServer) -> AsyncIterator[PineconeStore]:
    fake_pinecone.create_index(dimension=2)
    store = PineconeStore.from_url(url_for(fake_pinecone), retry_policy=FAST)
    await store.upsert([Record("a", [1, 0])])  # the index's dimension and metric are known from here on
    yield store
    await store.close()


def attempts(server: FakePineconeServer, path: str) -> int:
    return sum(1 for request in server.requests if request.path == path)


async def test_a_wrong_key_is_an_authentication_error(fake_pinecone: FakePineconeServer) -> None:
    fake_pinecone.create_index(dimension=2)
    wrong = "pcsk_wrong_key_0123456789abcdefgh"
    store = PineconeStore.from_url(url_for(fake_pinecone), api_key=wrong, retry_policy=FAST)
    with pytest.raises(AuthenticationError) as caught:
        await store.count()
    error = caught.value
    assert (error.message, error.status, error.provider) == ("Unauthorized", 401, "pinecone")
    assert error.request_id is not None
    assert error.request_id.startswith("fake-")
    assert attempts(fake_pinecone, "/describe_index_stats") == 1  # not retried
    assert wrong not in repr(error) + str(error) + repr(store)
    await store.close()


async def test_a_400_keeps_the_services_message_and_code(
    store: PineconeStore, fake_pinecone: FakePineconeServer
) -> None:
    fake_pinecone.fail_next(1, 400, message="Vector dimension 3 does not match the dimension of the index 2")
    with pytest.raises(InvalidRequestError) as caught:
        await store.query([1, 0])
    assert caught.value.message == "Vector dimension 3 does not match the dimension of the index 2"
    assert (caught.value.status, caught.value.code) == (400, "3")
    assert attempts(fake_pinecone, "/query") == 1


async def test_429s_are_retried_until_the_call_goes_through(
    store: PineconeStore, fake_pinecone: FakePineconeServer
) -> None:
    fake_pinecone.fail_next(2, 429, path="/vectors/upsert")
    await store.upsert([Record("b", [0, 1])])
    assert attempts(fake_pinecone, "/vectors/upsert") == 1 + 3  # the fixture's, then 2 refused and 1 served
    assert await store.count() == 2


async def test_retry_after_is_honoured(store: PineconeStore, fake_pinecone: FakePineconeServer) -> None:
    fake_pinecone.fail_next(1, 429, retry_after=0.3, path="/query")
    started = time.monotonic()
    await store.query([1, 0])
    assert time.monotonic() - started >= 0.3


async def test_a_retry_after_longer_than_the_policy_allows_is_raised_at_once(fake_pinecone: FakePineconeServer) -> None:
    fake_pinecone.create_index(dimension=2)
    store = PineconeStore.from_url(url_for(fake_pinecone), retry_policy=RetryPolicy(max_attempts=3, max_retry_after=1))
    fake_pinecone.fail_next(1, 429, retry_after=30)
    with pytest.raises(RateLimitError) as caught:
        await store.count()
    assert (caught.value.retry_after, caught.value.status, caught.value.message) == (30.0, 429, "Too Many Requests")
    assert attempts(fake_pinecone, "/describe_index_stats") == 1
    await store.close()


async def test_5xx_exhausting_the_retries_is_a_server_error(
    store: PineconeStore, fake_pinecone: FakePineconeServer
) -> None:
    fake_pinecone.fail_next(3, 500, path="/vectors/fetch")
    with pytest.raises(ServerError) as caught:
        await store.fetch(["a"])
    assert (caught.value.message, caught.value.status, caught.value.code) == ("Internal error", 500, "13")
    assert attempts(fake_pinecone, "/vectors/fetch") == 3  # the policy's attempts, no more
    fake_pinecone.fail_next(3, 503, path="/vectors/delete")
    with pytest.raises(OverloadedError):
        await store.delete(["a"])


async def test_the_retry_count_comes_from_the_url(fake_pinecone: FakePineconeServer) -> None:
    fake_pinecone.create_index(dimension=2)
    store = PineconeStore.from_url(url_for(fake_pinecone, retries=1))
    fake_pinecone.fail_next(1, 503)
    with pytest.raises(OverloadedError):
        await store.count()
    assert attempts(fake_pinecone, "/describe_index_stats") == 1
    await store.close()


async def test_a_failed_batch_says_what_was_written(store: PineconeStore, fake_pinecone: FakePineconeServer) -> None:
    fake_pinecone.fail_next(3, 500, path="/vectors/upsert", after=1)
    with pytest.raises(ServerError) as caught:
        await store.upsert([Record(f"r{i}", [1, i]) for i in range(1500)])
    assert caught.value.__notes__ == ["1000 of the 1500 records were written before this batch failed"]


async def test_a_slow_service_is_a_timeout(fake_pinecone: FakePineconeServer) -> None:
    fake_pinecone.create_index(dimension=2)
    store = PineconeStore.from_url(url_for(fake_pinecone, timeout=0.1, retries=2))
    fake_pinecone.latency = 0.4
    with pytest.raises(APITimeoutError):
        await store.count()
    assert attempts(fake_pinecone, "/describe_index_stats") == 2  # retried once
    await store.close()


async def test_an_unreachable_host_is_a_connection_error() -> None:
    with socket.socket() as probe:  # a free port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = PineconeStore.from_url(f"pinecone://gone?host=http://127.0.0.1:{port}&retries=1")
    with pytest.raises(APIConnectionError, match="could not reach Pinecone"):
        await store.count()
    await store.close()


async def test_the_key_is_in_no_repr_exception_traceback_or_log(
    fake_pinecone: FakePineconeServer, caplog: pytest.LogCaptureFixture
) -> None:
    fake_pinecone.create_index(dimension=2)
    caplog.set_level(logging.DEBUG)
    store = PineconeStore.from_url(url_for(fake_pinecone), retry_policy=FAST)
    await store.upsert([Record("a", [1, 0], {}, "text")])
    await store.query([1, 0])
    fake_pinecone.fail_next(1, 429)
    await store.fetch(["a"])  # a retry, logged
    fake_pinecone.fail_next(3, 500)
    with pytest.raises(ServerError) as caught:
        await store.count()
    seen = [repr(store), repr(store.config), str(caught.value), repr(caught.value)]
    seen.append("".join(traceback.format_exception(caught.value)))  # the SDK's exception chained
    seen.extend(record.getMessage() for record in caplog.records)
    seen.extend(repr(record.args) for record in caplog.records)
    assert any("retrying" in text for text in seen)
    for text in seen:
        assert API_KEY not in text
    assert fake_pinecone.requests[0].headers["api-key"] == API_KEY  # ... and it is the key on the wire
    await store.close()
