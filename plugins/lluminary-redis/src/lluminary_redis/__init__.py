"""Redis for lluminary: ``pip install lluminary-redis``, then ``Client(cache="redis://host:6379/0")``
and ``client.open_counters("redis://...")`` for budgets and rate limits shared by many processes,
and ``Client(cost_ledger="redis://...")`` for cost reports (``lluminary costs``).

The entry points ``redis``, ``rediss`` and ``unix`` load :data:`plugin`. Importing this package
imports neither redis-py nor the backends: they come with the first URL opened (and with the
first use of the names below).
"""

from __future__ import annotations

import importlib

from .plugin import RedisPlugin

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .cache import RedisCache
    from .config import RedisConfig, parse_url
    from .costs import RedisCostLedger
    from .counters import RedisCounters
    from .errors import RedisUnavailableError

plugin = RedisPlugin()

#: name -> module, imported on first use
_LAZY = {
    "RedisCache": "cache",
    "RedisCounters": "counters",
    "RedisCostLedger": "costs",
    "RedisConfig": "config",
    "parse_url": "config",
    "RedisUnavailableError": "errors",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lluminary_redis' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "RedisPlugin",
    "plugin",
    "RedisCache",
    "RedisCounters",
    "RedisCostLedger",
    "RedisConfig",
    "RedisUnavailableError",
    "parse_url",
]
__version__ = "0.1.0"
