"""Mistral AI for lluminary: ``pip install lluminary-mistral`` and call ``"mistral:<model>"``.

The entry point ``mistral`` loads :data:`plugin`, one :class:`MistralProvider` configured from the
environment (``MISTRAL_API_KEY``, ``MISTRAL_BASE_URL``). Importing this package imports no HTTP
library; the first request does.
"""

from .provider import MistralProvider

plugin = MistralProvider()

__all__ = ["MistralProvider", "plugin"]
__version__ = "0.1.0"
