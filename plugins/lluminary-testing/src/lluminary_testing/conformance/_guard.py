"""The guard that keeps the standard tests standard, in the spirit of langchain-tests: a subclass
may not delete a standard test or quietly replace it. A test that cannot pass for a provider is
overridden with ``@pytest.mark.xfail(reason=...)`` saying why, and so stays visible in every run."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest


def standard_tests(base: type) -> dict[str, Any]:
    """The ``test_*`` functions ``base`` defines or inherits from the conformance package."""
    found: dict[str, Any] = {}
    for klass in reversed(base.__mro__):
        if not klass.__module__.startswith(__package__ or "lluminary_testing.conformance"):
            continue
        found.update(
            {name: value for name, value in vars(klass).items() if name.startswith("test_") and callable(value)}
        )
    return found


def _xfail_reason(function: Any) -> str | None:
    marks: Iterable[Any] = getattr(function, "pytestmark", ())
    for mark in marks:
        if mark.name == "xfail":
            reason = mark.kwargs.get("reason") or (mark.args[1] if len(mark.args) > 1 else None)
            if isinstance(reason, str) and reason.strip():
                return reason
    return None


def violations(cls: type, base: type) -> list[str]:
    """What ``cls`` did to ``base``'s standard tests that it may not."""
    problems = []
    for name, original in standard_tests(base).items():
        current = getattr(cls, name, None)
        if current is None:
            problems.append(f"{name} was deleted (set to None); mark it xfail with a reason instead")
        elif current is not original and _xfail_reason(current) is None:
            problems.append(
                f"{name} is overridden without @pytest.mark.xfail(reason=...); standard tests are not "
                "replaced, only marked as expected failures with the reason"
            )
    return problems


class GuardTests:
    def test_no_standard_test_removed(self) -> None:
        """No standard test was deleted or overridden without an xfail reason.

        Troubleshooting: instead of deleting a standard test or overriding it with a weaker one,
        override it as ``@pytest.mark.xfail(reason="why this provider cannot")`` and call the
        base test (or pass); use a capability flag when the provider lacks the feature."""
        from .provider import ProviderConformance

        problems = violations(type(self), ProviderConformance)
        if problems:
            pytest.fail(f"{type(self).__name__}:\n  " + "\n  ".join(problems))
