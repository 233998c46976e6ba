"""The guard that keeps the standard tests standard, in the spirit of langchain-tests: a subclass
may not delete a standard test or quietly replace it. A test that cannot pass for a provider is
overridden with ``@pytest.mark.xfail(reason=...)`` saying why, and so stays visible in every run;
but a test that checks a capability a flag describes (:func:`covered_by`) is not xfailed: the
provider sets the flag to False and the test skips (or leaves out the check) with its reason."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import pytest

F = TypeVar("F", bound=Callable[..., Any])

#: The attribute :func:`covered_by` sets on a standard test.
FLAGS_ATTRIBUTE = "__conformance_flags__"


def covered_by(*flags: str) -> Callable[[F], F]:
    """Mark a standard test as checking what the capability ``flags`` describe: a provider that
    lacks the capability sets the flag to False, and overriding the test with an xfail instead is
    a violation (see :func:`violations`)."""

    def mark(function: F) -> F:
        setattr(function, FLAGS_ATTRIBUTE, flags)
        return function

    return mark


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
        elif current is not original:
            flags: tuple[str, ...] = getattr(original, FLAGS_ATTRIBUTE, ())
            if flags and all(getattr(cls, flag, True) for flag in flags):
                wanted = " or ".join(f"{flag} = False" for flag in flags)
                problems.append(
                    f"{name} is xfailed, but a capability flag says what it checks: set {wanted} "
                    "(the test then skips, or leaves that check out, with its reason) instead"
                )
    return problems


class GuardTests:
    """Mixed into every conformance suite: a subclass may not delete or quietly replace the
    suite's standard tests, nor this guard. The suite is the class in the MRO that sets
    ``standard_suite = True`` in its own body."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("standard_suite") and "test_no_standard_test_removed" in cls.__dict__:
            raise TypeError(f"{cls.__name__} may not delete or override test_no_standard_test_removed")

    def test_no_standard_test_removed(self) -> None:
        """No standard test was deleted or overridden without an xfail reason.

        Troubleshooting: instead of deleting a standard test or overriding it with a weaker one,
        override it as ``@pytest.mark.xfail(reason="why this plugin cannot")`` and call the
        base test (or pass); when the plugin lacks a capability a flag describes (the
        violation names it), set that flag to False instead of xfailing."""
        suite = next(k for k in type(self).__mro__ if k.__dict__.get("standard_suite"))
        problems = violations(type(self), suite)
        if problems:
            pytest.fail(f"{type(self).__name__}:\n  " + "\n  ".join(problems))
