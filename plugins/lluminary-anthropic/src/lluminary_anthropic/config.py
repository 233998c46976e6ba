"""Where a call goes and how it authenticates: API key, base URL, headers, timeout.

Resolved per call (a dictionary lookup, no I/O), so a key set in the environment after import, or
passed on one call as ``api_key=``, is honoured. Every key is registered with
:func:`lluminary._errors.register_secret` before it is used, so it is scrubbed from any error text.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import attrs

from lluminary._errors import ConfigurationError, RequestValidationError, register_secret
from lluminary._types import ChatRequest

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
KEY_ENV = "ANTHROPIC_API_KEY"
BASE_URL_ENV = "ANTHROPIC_BASE_URL"


@attrs.frozen
class Endpoint:
    """One call's destination: the messages URL, the count-tokens URL and the request headers."""

    messages_url: str
    count_tokens_url: str
    headers: Mapping[str, str] = attrs.field(repr=False)


class Settings:
    """A provider's configuration; explicit values win over the environment.

    ``api_key``/``base_url`` fix them for every call of this provider; ``key_env``/``base_url_env``
    name the environment variables read otherwise (a second prefix can point at a proxy with its
    own variables).
    """

    __slots__ = ("_api_key", "_base_url", "key_env", "base_url_env", "_registered", "_cache")

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        key_env: str = KEY_ENV,
        base_url_env: str = BASE_URL_ENV,
    ) -> None:
        self._api_key = api_key
        self._base_url = base_url
        self.key_env = key_env
        self.base_url_env = base_url_env
        self._registered: str | None = None
        # (key, base url, beta, extra headers) -> Endpoint: the common call builds nothing.
        self._cache: dict[tuple[Any, ...], Endpoint] = {}
        if api_key:
            register_secret(api_key)

    def __repr__(self) -> str:
        return f"Settings(base_url={self._base_url!r}, key_env={self.key_env!r})"

    def api_key(self, request: ChatRequest) -> str:
        if request.api_key is not None and request.api_key:
            key = request.api_key.get()
        else:
            key = self._api_key or os.environ.get(self.key_env) or ""
        if not key:
            raise ConfigurationError(
                f"no Anthropic API key: set the {self.key_env} environment variable or pass api_key=",
                env_var=self.key_env,
            )
        if key != self._registered:
            register_secret(key)
            self._registered = key
        return key

    def base_url(self, request: ChatRequest) -> str:
        url = request.base_url or self._base_url or os.environ.get(self.base_url_env) or DEFAULT_BASE_URL
        url = url.rstrip("/")
        # The SDK's convention is a base without the version; accept one with it too.
        return url[: -len("/v1")] if url.endswith("/v1") else url

    def endpoint(self, request: ChatRequest, options: Mapping[str, Any]) -> Endpoint:
        key = self.api_key(request)
        base = self.base_url(request)
        beta = options.get("beta")
        extra = options.get("headers")
        cache_key = (key, base, _hashable(beta), _hashable(extra))
        found = self._cache.get(cache_key)
        if found is not None:
            return found
        headers = {
            "x-api-key": key,
            "anthropic-version": API_VERSION,
            "content-type": "application/json",
        }
        if beta:
            headers["anthropic-beta"] = beta if isinstance(beta, str) else ",".join(beta)
        if extra:
            if not isinstance(extra, Mapping):
                raise RequestValidationError("options['anthropic']['headers'] must be a mapping of header names")
            headers.update({str(k).lower(): str(v) for k, v in extra.items()})
        found = Endpoint(f"{base}/v1/messages", f"{base}/v1/messages/count_tokens", headers)
        if len(self._cache) > 64:  # many per-call keys: do not grow without bound
            self._cache.clear()
        self._cache[cache_key] = found
        return found


def _hashable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), str(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return value
