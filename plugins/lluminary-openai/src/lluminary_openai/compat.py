"""OpenAI-compatible servers under their own provider prefix."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lluminary.sdk import ModelInfo

from .dialect import COMPATIBLE, Dialect
from .provider import OpenAIProvider


class OpenAICompatible(OpenAIProvider):
    """A server that speaks the OpenAI protocol (vLLM, LM Studio, llama.cpp, Groq, Together,
    DeepSeek, OpenRouter, ...), served under the prefix ``name``::

        import lluminary
        from lluminary_openai import OpenAICompatible

        lluminary.register(OpenAICompatible("myvllm", "http://localhost:8000/v1", "MYVLLM_API_KEY"))
        lluminary.generate("myvllm:meta-llama/Llama-3.1-8B-Instruct", "Hi")

    ``api_key_env`` names the variable holding the key; with ``key_required=False`` (the default
    when no variable is named) a missing key sends no ``Authorization`` header, as local servers
    expect. ``{NAME}_BASE_URL`` (e.g. ``MYVLLM_BASE_URL``) overrides ``base_url``; a client's
    ``providers={"myvllm": {"base_url": ..., "api_key": ...}}`` overrides both. ``models``
    gives catalogue entries (prices, context windows) for the cost of calls. The ``dialect``
    covers protocol differences: ``max_tokens`` instead of ``max_completion_tokens``, reasoning
    in ``reasoning_content`` deltas, float embeddings, no Responses API. Other keywords
    (``timeout=``, ``settings=``, ``max_connections=``, ...) are this object's settings, as for
    :class:`~lluminary_openai.OpenAIProvider`.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        api_key_env: str | None = None,
        *,
        api_key: str | None = None,
        key_required: bool | None = None,
        base_url_env: str | None = None,
        headers: Mapping[str, str] | None = None,
        models: Iterable[ModelInfo] = (),
        dialect: Dialect = COMPATIBLE,
        prefixes: Iterable[str] | None = None,
        **settings: Any,
    ) -> None:
        super().__init__(
            name,
            default_base_url=base_url,
            api_key=api_key,
            api_key_env=api_key_env,
            base_url_env=base_url_env if base_url_env is not None else f"{name.upper().replace('-', '_')}_BASE_URL",
            headers=headers,
            key_required=api_key_env is not None if key_required is None else key_required,
            organization_env=None,
            project_env=None,
            dialect=dialect,
            models=models,
            prefixes=prefixes,
            **settings,
        )
