"""Retrieval quality with the real model: 30 questions over 100 passages written for this test
(tests/data/retrieval_set.json), each question with exactly one relevant passage."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lluminary import Client

from .conftest import MODEL

DATA = Path(__file__).parent / "data" / "retrieval_set.json"


def _recall_at(ranks: list[int], k: int) -> float:
    return sum(rank < k for rank in ranks) / len(ranks)


async def test_recall_at_5(client: Client, record_property: pytest.RecordProperty) -> None:
    """Troubleshooting: passages are embedded as `document` (e5's `passage: `), questions as
    `query` (`query: `), ranked by cosine. A recall far below the figures in
    docs/providers/local.md means the prefixes are swapped or the vectors are not the model's."""
    data = json.loads(DATA.read_text())
    passages, questions = data["passages"], data["questions"]
    assert len(passages) == 100
    assert len(questions) == 30
    ids = [p["id"] for p in passages]
    assert len(set(ids)) == len(ids)
    docs = await client.aembed(MODEL, [p["text"] for p in passages], input_type="document")
    asked = await client.aembed(MODEL, [q["text"] for q in questions], input_type="query")
    passage_matrix = np.asarray(docs.embeddings, dtype=np.float32)
    question_matrix = np.asarray(asked.embeddings, dtype=np.float32)
    scores = question_matrix @ passage_matrix.T  # unit vectors: dot product = cosine
    order = np.argsort(-scores, axis=1)
    ranks = [int(np.where(order[i] == ids.index(q["relevant"]))[0][0]) for i, q in enumerate(questions)]
    recall_1, recall_5 = _recall_at(ranks, 1), _recall_at(ranks, 5)
    record_property("recall@1", recall_1)
    record_property("recall@5", recall_5)
    print(f"\nlocal:e5-small retrieval: recall@1 {recall_1:.3f}, recall@5 {recall_5:.3f}")
    missed = [q["text"] for q, rank in zip(questions, ranks, strict=True) if rank >= 5]
    assert recall_5 >= 0.9, f"recall@5 {recall_5:.3f}; missed: {missed}"
