"""The end of the chain: the provider hook, called with the client's settings and pools in scope.
A stream is opened and its first event awaited here, so the steps above see a stream that
failed before its first event as a failed call."""

from __future__ import annotations

from typing import Any

from lluminary._call import Call, EventStream, Result, _aclose
from lluminary._errors import UnsupportedError
from lluminary._settings import _scope


class ProviderCall:
    __slots__ = ()

    async def __call__(self, call: Call) -> Result:
        client = call.client
        request = call.request
        hook = client.plugins.hook
        client.plugins.load(request.provider)
        token = _scope.set(client.scope)
        try:
            operation = call.operation
            if operation == "stream":
                iterator: Any = hook.lluminary_stream(request=request)
                if iterator is None:
                    raise client.plugins.unknown(request.provider, "chat")
                try:
                    first = await iterator.__anext__()
                except StopAsyncIteration:
                    first = None
                except BaseException:
                    await _aclose(iterator)
                    raise
                return EventStream(call, first, iterator, request.provider)
            if operation == "generate":
                awaitable = hook.lluminary_generate(request=request)
                capability = "chat"
            elif operation == "embed":
                awaitable = hook.lluminary_embed(request=request)
                capability = "embeddings"
            else:
                raise UnsupportedError(f"no provider hook serves the operation {operation!r}")
            if awaitable is None:
                raise client.plugins.unknown(request.provider, capability)
            result: Result = await awaitable
            return result
        except Exception as exc:
            call.note_attempt("failed", request.model, call.attempt, exc)
            raise
        finally:
            _scope.reset(token)
