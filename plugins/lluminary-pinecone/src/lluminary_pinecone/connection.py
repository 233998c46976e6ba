"""The SDK's data-plane client (``pinecone.AsyncIndex``), one per event loop, opened on first use.

An ``AsyncIndex`` opens its httpx pool on the loop that first uses it, and lluminary's sync API runs
on a background loop of its own, so a store keeps one client per loop and closes them with itself.

The host is the URL's ``host=``, or looked up once with the control plane's ``describe_index``.

The SDK retries 408, 429 and 5xx answers by itself (``RetryConfig``: 3 retries, decorrelated
jitter from 0.25 s, a per-host retry budget), with no public way to change that for the data
plane. Left on, its retries would multiply lluminary's. So each client's retry policy is set to
``RetryConfig(max_retries=0)`` before its first request, through the one private attribute that
holds it; should a later SDK move it, the store logs a warning and keeps working with the SDK's
retries inside its own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import weakref
from typing import TYPE_CHECKING, Any

from lluminary.sdk import ConfigurationError

from .config import PineconeConfig
from .errors import map_error

if TYPE_CHECKING:
    from pinecone import AsyncIndex

logger = logging.getLogger("lluminary_pinecone")

SOURCE_TAG = "lluminary"


class Connections:
    """The ``AsyncIndex`` of each event loop that uses the store."""

    def __init__(self, config: PineconeConfig) -> None:
        self._config = config
        self._host = config.host
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncIndex] = weakref.WeakKeyDictionary()

    @property
    def host(self) -> str | None:
        """The data-plane host, once known."""
        return self._host

    async def index(self) -> AsyncIndex:
        """This loop's client, opened on first use."""
        loop = asyncio.get_running_loop()
        found = self._by_loop.get(loop)
        if found is not None:
            return found
        host = self._host or await self._look_up_host()
        found = self._by_loop.get(loop)  # another task of this loop may have opened it meanwhile
        if found is None:
            found = self._by_loop[loop] = open_index(host, self._config)
        return found

    async def close(self) -> None:
        """Close every loop's client: this loop's now, others' on their own loop (if still running)."""
        running = asyncio.get_running_loop()
        opened, self._by_loop = list(self._by_loop.items()), weakref.WeakKeyDictionary()
        for loop, index in opened:
            if loop is running:
                await index.close()
            elif loop.is_running() and not loop.is_closed():
                asyncio.run_coroutine_threadsafe(index.close(), loop)
            # a closed loop took its connections with it

    async def _look_up_host(self) -> str:
        from pinecone import AsyncPinecone

        config = self._config
        try:
            async with AsyncPinecone(
                api_key=config.api_key, host=config.controller_host, timeout=config.timeout, source_tag=SOURCE_TAG
            ) as control:
                described = await control.indexes.describe(config.index)
        except Exception as exc:  # every SDK failure becomes a typed error
            raise map_error(exc) from exc
        if not described.host:
            raise ConfigurationError(
                f"the Pinecone index {config.index!r} has no host yet (it is still being created): try again shortly"
            )
        self._host = described.host
        return described.host


def open_index(host: str, config: PineconeConfig) -> AsyncIndex:
    """An ``AsyncIndex`` on ``host`` that leaves retrying to lluminary."""
    from pinecone import AsyncIndex

    try:
        index = AsyncIndex(host=host, api_key=config.api_key, timeout=config.timeout, source_tag=SOURCE_TAG)
    except Exception as exc:  # noqa: BLE001 - a bad host or key value: typed, and without the key
        raise ConfigurationError(f"cannot open the Pinecone index {config.index!r}: {map_error(exc)}") from None
    _without_sdk_retries(index)
    return index


def _without_sdk_retries(index: Any) -> None:
    from pinecone import RetryConfig

    http: Any = getattr(index, "_http", None)
    settings: Any = getattr(http, "_config", None)
    if (
        not dataclasses.is_dataclass(settings)
        or isinstance(settings, type)
        or getattr(http, "_client", None) is not None
    ):
        logger.warning(
            "lluminary-pinecone: this pinecone SDK keeps its retry settings elsewhere; its own retries stay on "
            "and multiply lluminary's (report this with the SDK's version)"
        )
        return
    http._config = dataclasses.replace(settings, retry_config=RetryConfig(max_retries=0))
