"""Ollama for lluminary: ``pip install lluminary-ollama`` and call ``"ollama:<model>"``.

The entry point ``ollama`` loads :data:`plugin`, one :class:`OllamaProvider` configured from the
environment (``OLLAMA_HOST``, ``OLLAMA_API_KEY``). Importing this package imports no HTTP library.
"""

from .provider import OllamaProvider

plugin = OllamaProvider()

__all__ = ["OllamaProvider", "plugin"]
__version__ = "0.1.0"
