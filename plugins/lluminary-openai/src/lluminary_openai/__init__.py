"""OpenAI for lluminary: Chat Completions, the Responses API, embeddings, offline token counts,
a priced model catalogue, and any OpenAI-compatible server under its own prefix.

Installed, it serves ``openai:`` models (entry point ``openai``) and the compatible presets
``groq:``, ``together:``, ``deepseek:``, ``openrouter:``, ``fireworks:``, ``xai:``, ``vllm:``,
``lmstudio:`` and ``llamacpp:``.
"""

from ._version import __version__
from .compat import OpenAICompatible
from .config import normalize_base_url
from .dialect import COMPATIBLE, OPENAI, Dialect
from .provider import OpenAIProvider
from .tokens import count_request_tokens, count_tokens, encoding_for, estimate_tokens, exact

#: The ``openai`` provider the entry point registers.
plugin = OpenAIProvider()

__all__ = [
    "COMPATIBLE",
    "OPENAI",
    "Dialect",
    "OpenAICompatible",
    "OpenAIProvider",
    "__version__",
    "count_request_tokens",
    "count_tokens",
    "encoding_for",
    "estimate_tokens",
    "exact",
    "normalize_base_url",
    "plugin",
]
