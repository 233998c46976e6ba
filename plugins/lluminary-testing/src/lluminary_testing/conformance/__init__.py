"""Conformance suites that plugins run by subclassing.

:class:`ProviderConformance` checks a provider plugin end to end: the real ``lluminary.Client``
against the provider's fake server; :class:`CacheBackendTests`, :class:`CounterStoreTests` and
:class:`StoreTests` check cache backends, counter stores and vector stores; :class:`ExporterTests`
checks trace exporters. See each docstring for
how to subclass it.
"""

from ._base import TEST_API_KEY, TIME_TOOL, WEATHER_TOOL, WireImage, WireToolResult
from ._guard import covered_by, standard_tests, violations
from .cache import CacheBackendTests
from .counters import CounterStoreTests
from .exporters import ExporterTests, ObservedCall
from .provider import ProviderConformance
from .store import StoreTests

__all__ = [
    "ProviderConformance",
    "CacheBackendTests",
    "CounterStoreTests",
    "ExporterTests",
    "ObservedCall",
    "StoreTests",
    "TEST_API_KEY",
    "TIME_TOOL",
    "WEATHER_TOOL",
    "WireImage",
    "WireToolResult",
    "covered_by",
    "standard_tests",
    "violations",
]
