"""The store conformance suite, on an index of the fake Pinecone data plane for each metric.

A Pinecone index has one metric, fixed when it is created, so ``?metric=`` cannot select one: each
metric gets an index of its own and a class of its own (``metrics`` names the one it serves).
"""

from __future__ import annotations

from typing import ClassVar

import pytest

from lluminary.sdk import Metric
from lluminary_testing.conformance.store import DIMENSIONS, StoreTests
from lluminary_testing.pinecone_server import FakePineconeServer

from .conftest import url_for

PINECONE_METRIC = {"cosine": "cosine", "dot": "dotproduct", "l2": "euclidean"}


class TestPineconeStore(StoreTests):
    metrics: ClassVar[tuple[Metric, ...]] = ("cosine",)
    supports_string_order = False  # Pinecone's $gt/$gte/$lt/$lte compare numbers only
    persistent = True  # the records live in the (fake) service, not in the store object

    @pytest.fixture
    def store_url(self, fake_pinecone: FakePineconeServer) -> str:
        fake_pinecone.create_index(dimension=DIMENSIONS, metric=PINECONE_METRIC[self.metrics[0]])
        return url_for(fake_pinecone, "conformance")


class TestPineconeStoreDot(TestPineconeStore):
    metrics = ("dot",)


class TestPineconeStoreL2(TestPineconeStore):
    metrics = ("l2",)
