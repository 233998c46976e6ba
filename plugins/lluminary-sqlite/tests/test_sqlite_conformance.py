"""The shared cache conformance suite, on a file of its own per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from lluminary_testing.conformance import CacheBackendTests


class TestSQLiteCacheConformance(CacheBackendTests):
    @pytest.fixture
    def cache_url(self, tmp_path: Path) -> str:
        return f"sqlite://{tmp_path}/conformance/cache.db"
