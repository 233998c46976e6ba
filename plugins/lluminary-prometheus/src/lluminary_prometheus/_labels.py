"""Bounded label values: each label keeps the first ``limit`` distinct values it sees and maps
every later one to ``"other"``, so a stray model name or a tag taken from user input can never
grow the number of series without end."""

from __future__ import annotations

import threading

from ._config import OVERFLOW


class LabelValues:
    """The values seen so far, per label name."""

    __slots__ = ("limit", "_seen", "_lock")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def __call__(self, label: str, value: str) -> str:
        seen = self._seen.get(label)
        if seen is not None and value in seen:
            return value
        with self._lock:
            seen = self._seen.setdefault(label, set())
            if value in seen:
                return value
            if len(seen) >= self.limit:
                return OVERFLOW
            seen.add(value)
            return value
