"""Calls through the kernel, over an alias's deployments: the first that answers wins.

A deployment that fails with a provider error (after the kernel's retries) hands the call to the
next one; a stream does so only until its first event, as the kernel's own fallbacks do. The
kernel's other errors (a bad request, a missing key) end the call at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import attrs

from lluminary import ChatRequest, ChatResponse, Client, EmbedResponse, ProviderError, StreamEvent

from .config import Deployment
from .router import Router


def for_deployment(request: ChatRequest, deployment: Deployment) -> ChatRequest:
    """``request`` sent to ``deployment``: its model, endpoint, key and timeout (a client's
    request has no timeout of its own). A request already built for it is sent as it is."""
    if (
        request.model == deployment.model
        and request.base_url == deployment.base_url
        and request.api_key is deployment.api_key
        and request.timeout == deployment.timeout
    ):
        return request
    return attrs.evolve(
        request,
        model=deployment.model,
        base_url=deployment.base_url,
        api_key=deployment.api_key,
        timeout=deployment.timeout,
    )


async def generate(
    client: Client, router: Router, plan: Sequence[Deployment], request: ChatRequest, parent_id: str
) -> tuple[ChatResponse, Deployment]:
    error: ProviderError | None = None
    for deployment in plan:
        with router.busy(deployment):
            try:
                response = await client.agenerate(
                    for_deployment(request, deployment), parent_id=parent_id, fallbacks=()
                )
            except ProviderError as exc:
                error = exc
                continue
        return response, deployment
    assert error is not None
    raise error


@attrs.define
class OpenStream:
    """A stream whose first event has arrived: iterate :meth:`events` for all of them."""

    stream: Any
    first: StreamEvent
    deployment: Deployment

    async def events(self) -> AsyncIterator[StreamEvent]:
        yield self.first
        async for event in self.stream:
            yield event

    @property
    def final(self) -> ChatResponse | None:
        final: ChatResponse | None = self.stream.final
        return final

    async def aclose(self) -> None:
        await self.stream.aclose()


async def open_stream(
    client: Client, router: Router, plan: Sequence[Deployment], request: ChatRequest, parent_id: str
) -> OpenStream:
    error: ProviderError | None = None
    for deployment in plan:
        stream = client.astream(for_deployment(request, deployment), parent_id=parent_id, fallbacks=())
        try:
            with router.busy(deployment):
                first = await stream.__anext__()
        except ProviderError as exc:
            await stream.aclose()
            error = exc
            continue
        except BaseException:
            await stream.aclose()
            raise
        return OpenStream(stream, first, deployment)
    assert error is not None
    raise error


async def embed(
    client: Client,
    router: Router,
    plan: Sequence[Deployment],
    inputs: Sequence[str],
    options: dict[str, Any],
    parent_id: str,
) -> EmbedResponse:
    error: ProviderError | None = None
    for deployment in plan:
        with router.busy(deployment):
            try:
                return await client.aembed(
                    deployment.model, list(inputs), parent_id=parent_id, **options, **deployment.call_options()
                )
            except ProviderError as exc:
                error = exc
    assert error is not None
    raise error
