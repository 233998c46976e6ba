"""Conformance suites that plugins run by subclassing.

:class:`ProviderConformance` checks a provider plugin end to end: the real ``lluminary.Client``
against the provider's fake server. See its docstring for how to subclass it.
"""

from ._base import TEST_API_KEY, TIME_TOOL, WEATHER_TOOL, WireImage, WireToolResult
from ._guard import covered_by, standard_tests, violations
from .provider import ProviderConformance

__all__ = [
    "ProviderConformance",
    "TEST_API_KEY",
    "TIME_TOOL",
    "WEATHER_TOOL",
    "WireImage",
    "WireToolResult",
    "covered_by",
    "standard_tests",
    "violations",
]
