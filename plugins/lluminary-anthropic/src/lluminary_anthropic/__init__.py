"""lluminary provider for Anthropic's Claude models (the Messages API).

Installed, it serves the ``anthropic:`` prefix::

    import lluminary
    reply = lluminary.generate("anthropic:claude-sonnet-5-5", "Say hi")

``plugin`` is the instance the ``lluminary`` entry point registers; :class:`AnthropicProvider`
makes more (another prefix, another base URL or key). Importing this package imports no HTTP
library: ``httpx2`` is loaded with the first request.
"""

from .provider import AnthropicProvider

__version__ = "0.1.0"

#: the instance registered through the ``lluminary`` entry point
plugin = AnthropicProvider()

__all__ = ["AnthropicProvider", "plugin", "__version__"]
