"""The standard suites, against a real redis-server: the cache backend and the counter store."""

from __future__ import annotations

import uuid

import pytest

from lluminary_testing.conformance import CacheBackendTests, CounterStoreTests
from lluminary_testing.redis import RedisServer

pytestmark = pytest.mark.integration


class TestRedisCache(CacheBackendTests):
    @pytest.fixture
    def cache_url(self, redis_server: RedisServer) -> str:
        return f"{redis_server.url}?namespace=conformance-{uuid.uuid4().hex[:8]}"


class TestRedisCacheOverUnixSocket(CacheBackendTests):
    @pytest.fixture
    def cache_url(self, redis_server: RedisServer) -> str:
        return f"{redis_server.unix_url}&namespace=conformance"


class TestRedisCounters(CounterStoreTests):
    @pytest.fixture
    def counters_url(self, redis_server: RedisServer) -> str:
        return f"{redis_server.url}?namespace=conformance-{uuid.uuid4().hex[:8]}"
