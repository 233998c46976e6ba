"""Embeddings through InvokeModel (``POST /model/{id}/invoke``), whose body is the model's own.

* Amazon Titan Text Embeddings (v2, v1): one text per call, ``{inputText, dimensions, normalize}``
  → ``{embedding, inputTextTokenCount}``; a batch runs as concurrent calls, a few at a time.
* Cohere Embed (v3 English / multilingual, v4): up to 96 texts per call,
  ``{texts, input_type, truncate, output_dimension}`` → ``{embeddings}`` (a list of vectors, or
  ``{"float": [...]}`` when asked by type).

Token usage comes from the ``X-Amzn-Bedrock-Input-Token-Count`` response header, or Titan's
``inputTextTokenCount``; ``details`` keeps both counts under the names the answer gives them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from lluminary.sdk import (
    EmbedRequest,
    MalformedResponseError,
    RequestValidationError,
    UnsupportedError,
    Usage,
)

from .modelids import base_model

COHERE_BATCH = 96
TITAN_CONCURRENCY = 8
TOKEN_COUNT_HEADER = "x-amzn-bedrock-input-token-count"

COHERE_INPUT_TYPES = {
    "query": "search_query",
    "document": "search_document",
    "classification": "classification",
    "clustering": "clustering",
}


@attrs.frozen
class Call:
    """One InvokeModel call: its JSON body and the positions of the inputs it embeds."""

    body: Mapping[str, Any]
    positions: tuple[int, ...]


def family(model_id: str) -> str:
    """``titan``, ``titan-v1``, ``cohere`` or ``cohere-v4``; UnsupportedError for anything else."""
    name = base_model(model_id)
    if name.startswith(("amazon.titan-embed-text-v2", "amazon.titan-embed-g1-text-02")):
        return "titan"
    if name.startswith(("amazon.titan-embed-text-v1", "amazon.titan-embed-image")):
        return "titan-v1"
    if name.startswith("cohere.embed-v4"):
        return "cohere-v4"
    if name.startswith("cohere.embed"):
        return "cohere"
    raise UnsupportedError(
        f"bedrock embeddings support Amazon Titan Text Embeddings and Cohere Embed models, not {model_id!r}"
    )


def calls(request: EmbedRequest, options: Mapping[str, Any]) -> list[Call]:
    """The InvokeModel calls that embed every input of ``request``."""
    kind = family(request.model_name)
    inputs = request.inputs
    if kind.startswith("titan"):
        out: list[Call] = []
        for position, text in enumerate(inputs):
            body: dict[str, Any] = {"inputText": text}
            if kind == "titan":
                if request.dimensions is not None:
                    body["dimensions"] = request.dimensions
                body["normalize"] = bool(options.get("normalize", True))
            elif request.dimensions is not None:
                raise RequestValidationError(f"{request.model_name} has fixed dimensions; do not pass dimensions=")
            out.append(Call(body, (position,)))
        return out
    batch = int(options.get("batch_size", COHERE_BATCH))
    if not 1 <= batch <= COHERE_BATCH:
        raise RequestValidationError(f"options['bedrock']['batch_size'] must be between 1 and {COHERE_BATCH}")
    input_type = options.get("input_type") or COHERE_INPUT_TYPES.get(request.input_type or "document")
    out = []
    for start in range(0, len(inputs), batch):
        body = {"texts": list(inputs[start : start + batch]), "input_type": input_type}
        if options.get("truncate"):
            body["truncate"] = options["truncate"]
        if request.dimensions is not None:
            if kind != "cohere-v4":
                raise RequestValidationError(f"{request.model_name} has fixed dimensions; do not pass dimensions=")
            body["output_dimension"] = request.dimensions
        if options.get("embedding_types"):
            body["embedding_types"] = list(options["embedding_types"])
        out.append(Call(body, tuple(range(start, start + len(body["texts"])))))
    return out


def vectors(model_id: str, call: Call, answer: Any, provider: str) -> list[list[float]]:
    """The vectors of one answer, in the call's input order."""
    if not isinstance(answer, Mapping):
        raise MalformedResponseError("the embedding answer is not a JSON object", provider=provider)
    if family(model_id).startswith("titan"):
        vector = answer.get("embedding")
        if vector is None and isinstance(answer.get("embeddingsByType"), Mapping):
            vector = answer["embeddingsByType"].get("float")
        found: Any = [vector]
    else:
        found = answer.get("embeddings")
        if isinstance(found, Mapping):
            found = found.get("float")
    if not isinstance(found, list) or len(found) != len(call.positions) or not all(_vector(v) for v in found):
        raise MalformedResponseError(
            f"the embedding answer does not hold {len(call.positions)} float vector(s)", provider=provider
        )
    return [[float(x) for x in v] for v in found]


def _vector(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], (int, float))


def usage(answer: Any, headers: Mapping[str, str]) -> Usage:
    """The input tokens of one answer (the header's count, else Titan's ``inputTextTokenCount``);
    ``details`` holds each count the answer carries, under its own name."""
    details: dict[str, Any] = {}
    if isinstance(answer, Mapping):
        count = answer.get("inputTextTokenCount")
        if isinstance(count, int) and not isinstance(count, bool):
            details["inputTextTokenCount"] = count
    header = headers.get(TOKEN_COUNT_HEADER)
    if header and header.isdigit():
        details[TOKEN_COUNT_HEADER] = int(header)
    tokens = details.get(TOKEN_COUNT_HEADER, details.get("inputTextTokenCount", 0))
    return Usage(input_tokens=tokens, details=details)
