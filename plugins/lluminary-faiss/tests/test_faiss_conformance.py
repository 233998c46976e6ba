"""The shared store conformance suite, on a directory of its own per test: a flat index, an HNSW
graph (whose search breadth finds the exact top 10 on the suite's 300 vectors), and the same graph
with ``durability=save`` (upserts kept in memory until a flush)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lluminary_testing.conformance import StoreTests


class TestFaissFlatConformance(StoreTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"faiss://{tmp_path}/flat"


class TestFaissHNSWConformance(StoreTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"faiss://{tmp_path}/hnsw?index=hnsw&m=16&ef_search=128"


class TestFaissDeferredConformance(StoreTests):
    """``durability=save``: upserts stay in memory until a save, close, delete or filtered query."""

    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"faiss://{tmp_path}/deferred?index=hnsw&m=16&ef_search=128&durability=save"
