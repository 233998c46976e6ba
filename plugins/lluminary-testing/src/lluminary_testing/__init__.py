"""Fake provider servers on loopback and the conformance suites every lluminary plugin runs."""

from .scenario import ErrorScenario, Scenario, ToolCallSpec, split_every
from .server import FakeServer, Fault, RecordedRequest, Reply, ndjson, sse

__all__ = [
    "ErrorScenario",
    "FakeServer",
    "Fault",
    "RecordedRequest",
    "Reply",
    "Scenario",
    "ToolCallSpec",
    "ndjson",
    "split_every",
    "sse",
]
__version__ = "0.1.0"
