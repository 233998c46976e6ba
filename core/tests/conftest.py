"""Shared fixtures for the kernel tests: every test starts from a clean lluminary environment."""

from __future__ import annotations

import pytest

LLUMINARY_ENV = (
    "LLUMINARY_CACHE",
    "LLUMINARY_EXPORTERS",
    "LLUMINARY_PLUGINS",
    "LLUMINARY_DISABLE_PLUGINS",
    "LLUMINARY_COST_LEDGER",
)


@pytest.fixture(autouse=True)
def _clean_lluminary_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's shell settings (a cache URL, an exporter, an allow-list) must not leak into tests."""
    for name in LLUMINARY_ENV:
        monkeypatch.delenv(name, raising=False)
