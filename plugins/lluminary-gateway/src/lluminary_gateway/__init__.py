"""`lluminary serve`: an OpenAI- and Anthropic-compatible HTTP gateway over every installed
lluminary provider, with virtual keys, budgets and rate limits that many processes share over Redis.

The entry point ``gateway`` loads :data:`plugin`, which adds the ``serve`` command to the
``lluminary`` CLI. Importing this package imports neither the server nor the kernel's client:
``lluminary serve`` does, when it runs.
"""

from __future__ import annotations

from .plugin import GatewayPlugin

plugin = GatewayPlugin()

__all__ = ["GatewayPlugin", "plugin"]
__version__ = "0.1.0"
