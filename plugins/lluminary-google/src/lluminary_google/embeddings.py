"""Embedding request bodies and answers, for the Gemini API and for Vertex AI.

* Gemini API: one text → ``models/{m}:embedContent``; several → ``models/{m}:batchEmbedContents``
  in requests of at most :data:`BATCH_LIMIT` texts.
* Vertex AI: ``gemini-embedding-001`` and the ``text-embedding-*`` models use ``:predict``
  (``instances`` / ``parameters``; ``gemini-embedding-001`` takes one instance a request); the
  newer Gemini embedding models use ``:embedContent`` with an ``embedContentConfig``, one text a
  request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from lluminary.sdk import EmbedRequest, MalformedResponseError, Usage

from .request import camel

#: Texts per ``batchEmbedContents`` request (the Gemini API's limit).
BATCH_LIMIT = 100
#: Instances per Vertex ``:predict`` request for the ``text-embedding-*`` models.
PREDICT_LIMIT = 100

TASK_TYPES: Mapping[str, str] = {
    "query": "RETRIEVAL_QUERY",
    "document": "RETRIEVAL_DOCUMENT",
    "classification": "CLASSIFICATION",
    "clustering": "CLUSTERING",
}


def embed_config(request: EmbedRequest, options: Mapping[str, Any]) -> dict[str, Any]:
    """``taskType``, ``outputDimensionality`` and ``title`` (options win over ``input_type``)."""
    config: dict[str, Any] = {}
    if request.input_type is not None:
        config["taskType"] = TASK_TYPES[request.input_type]
    if request.dimensions is not None:
        config["outputDimensionality"] = request.dimensions
    for key, value in options.items():
        name = camel(key)
        if name in ("taskType", "title", "outputDimensionality", "autoTruncate"):
            config[name] = value
    return config


# --------------------------------------------------------------------------- Gemini API


def gemini_single(model: str, text: str, config: Mapping[str, Any]) -> dict[str, Any]:
    body = {"model": f"models/{model}", "content": {"parts": [{"text": text}]}}
    body.update({k: v for k, v in config.items() if k != "autoTruncate"})
    return body


def gemini_batch(model: str, texts: Sequence[str], config: Mapping[str, Any]) -> dict[str, Any]:
    return {"requests": [gemini_single(model, text, config) for text in texts]}


def parse_gemini(data: Any, expected: int, provider: str) -> tuple[list[list[float]], Usage]:
    """Vectors and usage of an ``embedContent`` or ``batchEmbedContents`` answer: the prompt
    tokens of its ``usageMetadata`` when it has one, kept as it came in ``details``."""
    if not isinstance(data, dict):
        raise MalformedResponseError("the embedding answer is not a JSON object", provider=provider)
    items = [data["embedding"]] if "embedding" in data else data.get("embeddings")
    vectors = _vectors(items, expected, provider)
    meta = data.get("usageMetadata")
    if not isinstance(meta, dict):
        return vectors, Usage()
    return vectors, Usage(input_tokens=_count(meta.get("promptTokenCount")), details=dict(meta))


# --------------------------------------------------------------------------- Vertex AI


def vertex_uses_predict(model: str) -> bool:
    """``:predict`` for ``gemini-embedding-001`` and the older text-embedding models; ``:embedContent``
    for the newer Gemini embedding models (as Google's SDK decides)."""
    return not ("gemini" in model and model != "gemini-embedding-001")


def vertex_predict_limit(model: str) -> int:
    return 1 if model.startswith("gemini-embedding-001") else PREDICT_LIMIT


def vertex_predict(texts: Sequence[str], config: Mapping[str, Any]) -> dict[str, Any]:
    instances: list[dict[str, Any]] = []
    for text in texts:
        instance: dict[str, Any] = {"content": text}
        if "taskType" in config:
            instance["task_type"] = config["taskType"]
        if "title" in config:
            instance["title"] = config["title"]
        instances.append(instance)
    body: dict[str, Any] = {"instances": instances}
    parameters = {k: config[k] for k in ("outputDimensionality", "autoTruncate") if k in config}
    if parameters:
        body["parameters"] = parameters
    return body


def parse_vertex_predict(data: Any, expected: int, provider: str) -> tuple[list[list[float]], Usage]:
    """Vectors and usage of a ``:predict`` answer: the tokens its embeddings' ``statistics``
    count, and its ``metadata`` (``billableCharacterCount``) as it came in ``details``."""
    if not isinstance(data, dict) or not isinstance(data.get("predictions"), list):
        raise MalformedResponseError("the :predict answer has no predictions", provider=provider)
    items: list[Any] = []
    tokens = 0
    for prediction in data["predictions"]:
        embedding = prediction.get("embeddings") if isinstance(prediction, dict) else None
        items.append(embedding)
        stats = embedding.get("statistics") if isinstance(embedding, dict) else None
        if isinstance(stats, dict):
            tokens += _count(stats.get("token_count"))
    meta = data.get("metadata")
    details = dict(meta) if isinstance(meta, dict) else {}
    return _vectors(items, expected, provider), Usage(input_tokens=tokens, details=details)


def vertex_embed_content(text: str, config: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"content": {"parts": [{"text": text}]}}
    if config:
        body["embedContentConfig"] = dict(config)
    return body


# --------------------------------------------------------------------------- usage

#: Characters outside ASCII and the Latin supplements and extensions: about a token each.
_WIDE = re.compile(r"[^\x00-\u024f]")


def estimate_tokens(texts: Sequence[str]) -> int:
    """Input tokens of ``texts``, estimated offline for an answer that reports none (the Gemini
    API's embedding answers): about four characters a token for Latin script, Google's rule of
    thumb, and one a character for other scripts (CJK, ...), at least one a text. It leans high
    rather than low, since it feeds budgets; counting exactly would cost a ``countTokens``
    request per call."""
    total = 0
    for text in texts:
        wide = len(_WIDE.findall(text))
        total += max(1, -(-(len(text) - wide) // 4) + wide) if text else 0
    return total


# --------------------------------------------------------------------------- shared


def _count(value: Any) -> int:
    """A token count as the answer gives it (a number, or an int64 as a string), else 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0


def _vectors(items: Any, expected: int, provider: str) -> list[list[float]]:
    if not isinstance(items, list):
        raise MalformedResponseError("the embedding answer has no embeddings", provider=provider)
    vectors: list[list[float]] = []
    for item in items:
        values = item.get("values") if isinstance(item, dict) else None
        if not isinstance(values, list):
            raise MalformedResponseError("an embedding has no values", provider=provider)
        vectors.append(values)
    if len(vectors) != expected:
        raise MalformedResponseError(f"asked for {expected} embeddings, got {len(vectors)}", provider=provider)
    return vectors
