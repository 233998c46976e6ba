"""Fallbacks: when a model fails for good, the next one. A fallback of another provider never
receives the first model's per-call ``api_key`` or ``base_url``: they belong to that provider."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from lluminary._call import Call, Handler, Result
from lluminary._errors import ProviderError


class FallbackStep:
    __slots__ = ()

    async def __call__(self, call: Call, call_next: Handler) -> Result:
        if not call.fallbacks:
            return await call_next(call)
        last_error: ProviderError | None = None
        for current in _candidates(call):
            if last_error is not None:
                call.note_attempt("fallback", current.request.model, current.attempt)
            try:
                return await call_next(current)
            except ProviderError as exc:
                last_error = exc
        assert last_error is not None
        raise last_error


def _candidates(call: Call) -> Iterator[Call]:
    yield call
    request = call.request
    for model in call.fallbacks:
        if model == request.model:
            continue
        changes: dict[str, object] = {"model": model}
        if model.partition(":")[0] != request.provider:
            changes.update(api_key=None, base_url=None)
        yield call.evolve(request=attrs.evolve(request, **changes))  # type: ignore[arg-type]
