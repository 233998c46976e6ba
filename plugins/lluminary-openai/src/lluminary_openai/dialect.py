"""The small differences between OpenAI and the servers that speak its protocol."""

from __future__ import annotations

from typing import Literal

import attrs


@attrs.frozen
class Dialect:
    """How a provider speaks the OpenAI protocol.

    * ``max_tokens_field`` — OpenAI wants ``max_completion_tokens`` (``max_tokens`` is deprecated
      and rejected by reasoning models); most compatible servers still only know ``max_tokens``.
    * ``stream_usage`` — send ``stream_options: {"include_usage": true}`` so streams report usage.
    * ``reasoning_fields`` — message/delta fields that carry reasoning text
      (``reasoning_content`` in DeepSeek and vLLM, ``reasoning`` in OpenRouter and Ollama). OpenAI
      itself sends neither, but the ``openai`` provider reads them too: Azure serves DeepSeek-R1
      behind the OpenAI protocol with ``reasoning_content`` deltas, and ``OPENAI_BASE_URL`` often
      points at a gateway (LiteLLM, OpenRouter, vLLM) that sends them.
    * ``embedding_encoding`` — ask for base64 vectors (a third of the bytes of JSON floats) or floats.
    * ``responses_api`` — whether models may be routed to ``/responses`` (OpenAI only).
    """

    max_tokens_field: str = "max_completion_tokens"
    stream_usage: bool = True
    reasoning_fields: tuple[str, ...] = ("reasoning_content", "reasoning")
    embedding_encoding: Literal["base64", "float"] = "base64"
    responses_api: bool = True


OPENAI = Dialect()
COMPATIBLE = Dialect(
    max_tokens_field="max_tokens",
    embedding_encoding="float",
    responses_api=False,
)
