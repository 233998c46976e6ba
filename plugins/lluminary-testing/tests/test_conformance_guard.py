"""The conformance suite's own rules: standard tests cannot be deleted or quietly replaced,
every standard test says how to troubleshoot it, and capability flags skip with a reason."""

from __future__ import annotations

import inspect

import pytest

from lluminary_testing.conformance import ProviderConformance, standard_tests, violations


class _Deleted(ProviderConformance):
    test_generate_text = None  # type: ignore[assignment]


class _Replaced(ProviderConformance):
    async def test_stream_text(self) -> None:  # type: ignore[override]
        """Weaker."""


class _XFailed(ProviderConformance):
    @pytest.mark.xfail(reason="this provider cannot stream text pieces as they come")
    async def test_stream_text(self) -> None:  # type: ignore[override]
        """Marked."""


class _XFailedWithoutReason(ProviderConformance):
    @pytest.mark.xfail
    async def test_stream_text(self) -> None:  # type: ignore[override]
        """Marked without saying why."""


class _XFailedForAFlag(ProviderConformance):
    @pytest.mark.xfail(reason="this provider has no safety stop", strict=True)
    async def test_content_filter_finish(self) -> None:  # type: ignore[override]
        """Marked, where a flag says it."""


class _XFailedWithTheFlagOff(_XFailedForAFlag):
    supports_content_filter_finish = False


class _XFailedWithoutIds(ProviderConformance):
    @pytest.mark.xfail(reason="answers carry no id", strict=True)
    async def test_generate_text(self) -> None:  # type: ignore[override]
        """The whole test xfailed for one check."""


def test_an_xfail_standing_in_for_a_capability_flag_is_a_violation() -> None:
    """A provider without a capability sets its flag (the test skips, or leaves the check out,
    with the reason); an xfail would hide every other check of the test."""
    found = violations(_XFailedForAFlag, ProviderConformance)
    assert len(found) == 1
    assert "test_content_filter_finish is xfailed" in found[0]
    assert "supports_content_filter_finish = False" in found[0]
    assert violations(_XFailedWithTheFlagOff, ProviderConformance) == []
    (only,) = violations(_XFailedWithoutIds, ProviderConformance)
    assert "supports_response_ids = False" in only


def test_every_capability_flag_is_known() -> None:
    """covered_by names real capability flags."""
    flagged = {
        name: getattr(fn, "__conformance_flags__", ()) for name, fn in standard_tests(ProviderConformance).items()
    }
    named = {flag for flags in flagged.values() for flag in flags}
    assert {"supports_response_ids", "supports_content_filter_finish", "supports_retry_after"} <= named
    assert all(isinstance(getattr(ProviderConformance, flag), bool) for flag in named)


def test_deleting_a_standard_test_is_a_violation() -> None:
    found = violations(_Deleted, ProviderConformance)
    assert len(found) == 1
    assert "test_generate_text was deleted" in found[0]


def test_replacing_a_standard_test_without_xfail_is_a_violation() -> None:
    found = violations(_Replaced, ProviderConformance)
    assert len(found) == 1
    assert "test_stream_text is overridden" in found[0]
    assert len(violations(_XFailedWithoutReason, ProviderConformance)) == 1


def test_an_xfail_with_a_reason_is_allowed() -> None:
    assert violations(_XFailed, ProviderConformance) == []
    assert violations(ProviderConformance, ProviderConformance) == []


def test_the_guard_itself_cannot_be_removed() -> None:
    with pytest.raises(TypeError, match="test_no_standard_test_removed"):
        type("_NoGuard", (ProviderConformance,), {"test_no_standard_test_removed": None})


def test_every_standard_test_has_a_troubleshooting_note() -> None:
    tests = standard_tests(ProviderConformance)
    assert len(tests) > 40
    missing = [name for name, fn in tests.items() if "Troubleshooting:" not in (inspect.getdoc(fn) or "")]
    assert missing == []


def test_guard_test_fails_for_a_violating_subclass() -> None:
    with pytest.raises(pytest.fail.Exception, match="test_generate_text was deleted"):
        _Deleted().test_no_standard_test_removed()
