"""lluminary's Cohere provider (API v2): chat and streaming with tools, tool plans, thinking and
citations, embeddings with batching, and token counting.

Installed, it registers itself under the ``cohere`` prefix: ``lluminary.generate("cohere:command-a-03-2025", "Hi")``.
"""

from __future__ import annotations

from .provider import CohereProvider

__all__ = ["CohereProvider", "plugin"]
__version__ = "0.1.0"

#: The object the ``lluminary`` entry point loads.
plugin = CohereProvider()
