"""A FAISS vector store for lluminary: ``client.open_store("faiss:///data/index", embed=...)``.

The entry point ``faiss`` loads :data:`plugin`, which serves ``faiss://`` URLs through the
``lluminary_store`` hook. Importing this package imports neither FAISS nor numpy nor SQLite: the
store's modules are imported when a store is first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .plugin import FaissPlugin

if TYPE_CHECKING:
    from .errors import FaissStoreError
    from .options import FaissOptions
    from .store import FaissStore

plugin = FaissPlugin()

__all__ = ["FaissOptions", "FaissPlugin", "FaissStore", "FaissStoreError", "plugin"]
__version__ = "0.1.0"

_LAZY = {"FaissStore": "store", "FaissStoreError": "errors", "FaissOptions": "options"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lluminary_faiss' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
