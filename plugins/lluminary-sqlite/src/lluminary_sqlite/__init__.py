"""A disk cache for lluminary on SQLite: ``Client(cache="sqlite:///path/to/cache.db")``.

The entry point ``sqlite`` loads :data:`plugin`, which serves ``sqlite://`` URLs through the
``lluminary_cache`` hook. Importing this package imports neither sqlite3 nor threading: the
backend module is imported when a cache is first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .plugin import SQLiteCachePlugin

if TYPE_CHECKING:
    from .backend import SQLiteCache
    from .errors import SQLiteCacheError
    from .options import SQLiteOptions

plugin = SQLiteCachePlugin()

__all__ = ["SQLiteCache", "SQLiteCacheError", "SQLiteCachePlugin", "SQLiteOptions", "plugin"]
__version__ = "0.1.0"

_LAZY = {"SQLiteCache": "backend", "SQLiteCacheError": "errors", "SQLiteOptions": "options"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lluminary_sqlite' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
