"""The base class of providers that speak HTTP: settings layers, the pooled transport and error
mapping come from the kernel, so a provider module holds only what is specific to its API."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._errors import ProviderError
from ._http import default_error
from ._provider import Provider
from ._settings import Endpoint, ProviderSettings, SettingsSpec, layered, pools, resolve
from ._types import ChatRequest, EmbedRequest, Secret

__all__ = ["HTTPProvider"]

_MAX_HEADER_SETS = 64


class HTTPProvider(Provider):
    """Subclass, set ``spec`` (:class:`SettingsSpec`), and in each call start with
    ``endpoint = self.endpoint(request)``: it resolves the key, base URL and timeout (call →
    client → this object → environment → default) and carries the pooled transport::

        answer = await endpoint.post_json("/chat", body)
        async with endpoint.stream("/chat", body) as answer:
            async for data in answer.sse_data(): ...

    Resolve the endpoint before a stream's first ``yield``: the calling client's settings and
    pools are in scope until the first event. Override :meth:`build_headers` for the auth
    scheme and :meth:`error_from_response` for the API's error bodies.
    """

    spec: SettingsSpec  # a class attribute; an instance may set its own (a preset with other variables)

    def __init__(
        self,
        name: str | None = None,
        *,
        prefixes: Iterable[str] | None = None,
        settings: ProviderSettings | Mapping[str, Any] | None = None,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        **more: Any,
    ) -> None:
        super().__init__(name, prefixes=prefixes)
        given = {"api_key": api_key, "base_url": base_url, "timeout": timeout, **more}
        own = ProviderSettings.of({k: v for k, v in given.items() if v is not None})
        self.settings = own.over(ProviderSettings.of(settings))
        self._header_sets: dict[tuple[str | None, int], tuple[ProviderSettings, Mapping[str, str]]] = {}

    def endpoint(self, request: ChatRequest | EmbedRequest) -> Endpoint:
        """This call's endpoint. Raises :class:`ConfigurationError` when a required key is missing."""
        settings = layered(self.name, request.provider, self.settings)
        key, url, timeout = resolve(
            self.spec, settings, api_key=request.api_key, base_url=request.base_url, timeout=request.timeout
        )
        transport = pools().get(self.name, settings.pool_options())
        return Endpoint(
            request.provider, url, key, timeout, self._headers(key, settings), settings.extra, transport, self._error
        )

    def _headers(self, key: str | None, settings: ProviderSettings) -> Mapping[str, str]:
        cache_key = (key, id(settings))
        found = self._header_sets.get(cache_key)
        if found is None or found[0] is not settings:
            if len(self._header_sets) >= _MAX_HEADER_SETS:
                self._header_sets.clear()
            headers = {**self.build_headers(key, settings), **settings.headers}
            found = self._header_sets[cache_key] = (settings, headers)
        return found[1]

    def build_headers(self, api_key: str | None, settings: ProviderSettings) -> dict[str, str]:
        """Headers sent with every request of this configuration. The default sends JSON and a
        Bearer key; override for other schemes (``x-api-key``, ``x-goog-api-key``)."""
        headers = {"content-type": "application/json", "accept": "application/json"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        return headers

    def error_from_response(self, status: int, body: bytes, headers: Mapping[str, str], provider: str) -> ProviderError:
        """The typed error for an error answer. The default reads the usual body shapes."""
        return default_error(status, body, headers, provider)

    def _error(self, status: int, body: bytes, headers: Mapping[str, str], provider: str) -> ProviderError:
        return self.error_from_response(status, body, headers, provider)
