"""Pinecone for lluminary: ``pip install lluminary-pinecone``, then
``client.open_store("pinecone://my-index?host=...", embed="local:e5-small")``.

The entry point ``pinecone`` loads :data:`plugin`. Importing this package imports neither the
Pinecone SDK nor the store: they come with the first URL opened (and the first use of the names
below).
"""

from __future__ import annotations

import importlib

from .plugin import PineconePlugin

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .config import PineconeConfig, parse_url
    from .filters import to_pinecone
    from .store import PineconeStore

plugin = PineconePlugin()

#: name -> module, imported on first use
_LAZY = {
    "PineconeStore": "store",
    "PineconeConfig": "config",
    "parse_url": "config",
    "to_pinecone": "filters",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lluminary_pinecone' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = ["PineconePlugin", "plugin", "PineconeStore", "PineconeConfig", "parse_url", "to_pinecone"]
__version__ = "0.1.0"
