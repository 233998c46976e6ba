"""Ready-made OpenAI-compatible providers, one entry point each (``groq:``, ``vllm:``, ...).

Each is a few lines of :class:`~lluminary_openai.OpenAICompatible`; a new one needs no more.
Hosted services need their key variable; local servers (vLLM, LM Studio, llama.cpp) run without
a key and read ``{NAME}_BASE_URL`` to find a server that is not on the default port.
"""

from __future__ import annotations

import attrs

from .compat import OpenAICompatible
from .dialect import COMPATIBLE

groq = OpenAICompatible("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY")
together = OpenAICompatible("together", "https://api.together.xyz/v1", "TOGETHER_API_KEY")
deepseek = OpenAICompatible("deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY")
openrouter = OpenAICompatible("openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY")
fireworks = OpenAICompatible("fireworks", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY")
xai = OpenAICompatible(
    "xai",
    "https://api.x.ai/v1",
    "XAI_API_KEY",
    dialect=attrs.evolve(COMPATIBLE, max_tokens_field="max_completion_tokens"),
)
vllm = OpenAICompatible("vllm", "http://localhost:8000/v1", "VLLM_API_KEY", key_required=False)
lmstudio = OpenAICompatible("lmstudio", "http://localhost:1234/v1", "LMSTUDIO_API_KEY", key_required=False)
llamacpp = OpenAICompatible("llamacpp", "http://localhost:8080/v1", "LLAMACPP_API_KEY", key_required=False)

PRESETS = (groq, together, deepseek, openrouter, fireworks, xai, vllm, lmstudio, llamacpp)
