"""Provider settings and where they come from: the call's argument, then the client's settings
for that provider, then the provider object's own, then the environment, then the default.

A provider declares what it reads with a :class:`SettingsSpec`; :func:`resolve` turns the layers
into one :class:`Endpoint` per call, which carries the pooled transport too.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ._errors import ConfigurationError, RequestValidationError, register_secret
from ._types import Secret

if TYPE_CHECKING:
    from ._transport import Answer, ErrorMapper, PoolOptions, Pools, Transport

__all__ = ["Endpoint", "ProviderSettings", "SettingsSpec", "ClientScope", "resolve", "current_scope"]

_POOL_FIELDS = ("max_connections", "max_keepalive_connections", "keepalive_expiry", "connect_timeout")


def _to_secret(value: str | Secret | None) -> Secret | None:
    if value is None or isinstance(value, Secret):
        if value is not None:
            register_secret(value.get())
        return value
    register_secret(value)
    return Secret(value)


@attrs.frozen(kw_only=True)
class ProviderSettings:
    """Settings for one provider. Every field is optional: what is None comes from the next layer.

    ``extra`` holds what only one provider understands (Bedrock's ``region``, OpenAI's
    ``organization``); unknown keys given as a mapping land there.
    """

    api_key: Secret | None = attrs.field(default=None, converter=_to_secret)
    base_url: str | None = None
    timeout: float | None = None
    connect_timeout: float | None = None
    max_connections: int | None = None
    max_keepalive_connections: int | None = None
    keepalive_expiry: float | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def of(cls, value: ProviderSettings | Mapping[str, Any] | None) -> ProviderSettings:
        """Settings from an object or a plain mapping (``{"base_url": ..., "region": ...}``)."""
        if value is None:
            return EMPTY
        if isinstance(value, ProviderSettings):
            return value
        if not isinstance(value, Mapping):
            raise RequestValidationError(f"provider settings must be a mapping, got {type(value).__name__}")
        known = {f.name for f in attrs.fields(cls)}
        own = {k: v for k, v in value.items() if k in known and k != "extra"}
        extra = {**dict(value.get("extra") or {}), **{k: v for k, v in value.items() if k not in known}}
        for name in ("max_connections", "max_keepalive_connections"):
            if own.get(name) is not None and int(own[name]) < 1:
                raise RequestValidationError(f"{name} must be at least 1, got {own[name]!r}")
        return cls(**own, extra=extra)

    def over(self, lower: ProviderSettings) -> ProviderSettings:
        """These settings, with what they leave unset taken from ``lower``."""
        if lower is EMPTY:
            return self
        if self is EMPTY:
            return lower
        values: dict[str, Any] = {}
        for field in attrs.fields(ProviderSettings):
            mine = getattr(self, field.name)
            theirs = getattr(lower, field.name)
            if field.name in ("headers", "extra"):
                values[field.name] = {**theirs, **mine}
            else:
                values[field.name] = theirs if mine is None else mine
        return ProviderSettings(**values)

    def pool_options(self) -> PoolOptions:
        from ._transport import PoolOptions

        given = {name: getattr(self, name) for name in _POOL_FIELDS if getattr(self, name) is not None}
        return PoolOptions(**given) if given else _DEFAULT_POOL()


EMPTY = ProviderSettings()
_default_pool: Any = None


def _DEFAULT_POOL() -> PoolOptions:
    global _default_pool
    if _default_pool is None:
        from ._transport import PoolOptions

        max_connections = env_max_connections()
        _default_pool = PoolOptions(max_connections=max_connections) if max_connections else PoolOptions()
    return _default_pool  # type: ignore[no-any-return]


MAX_CONNECTIONS_ENV = "LLUMINARY_MAX_CONNECTIONS"


def env_max_connections() -> int | None:
    """``LLUMINARY_MAX_CONNECTIONS`` as a positive integer, None when unset or empty; anything
    else is a :class:`ConfigurationError` naming the variable and its value."""
    raw = os.environ.get(MAX_CONNECTIONS_ENV, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigurationError(
            f"{MAX_CONNECTIONS_ENV} must be a whole number of connections, at least 1; got {raw!r}",
            env_var=MAX_CONNECTIONS_ENV,
        )
    return value


@attrs.frozen
class SettingsSpec:
    """What a provider reads from the environment and its defaults.

    ``api_key_env`` lists variables tried in order; ``key_required=False`` lets a local server run
    without a key. ``normalize_base_url`` puts a user's URL in the form the provider's paths
    expect (``http://host:8000`` → ``http://host:8000/v1``).
    """

    provider: str
    default_base_url: str
    api_key_env: tuple[str, ...] = ()
    base_url_env: tuple[str, ...] = ()
    key_required: bool = True
    normalize_base_url: Callable[[str], str] | None = None
    key_hint: str = ""


@attrs.frozen
class ClientScope:
    """What a :class:`~lluminary.Client` lends the provider it is calling: its settings per
    provider name and its connection pools. Set by the kernel around each provider call."""

    settings: Mapping[str, ProviderSettings]
    pools: Pools
    _merged: dict[tuple[int, int], tuple[ProviderSettings, ProviderSettings]] = attrs.field(
        factory=dict, eq=False, repr=False
    )


_scope: contextvars.ContextVar[ClientScope | None] = contextvars.ContextVar("lluminary_scope", default=None)


def current_scope() -> ClientScope | None:
    """The calling client's scope, or None when a provider is called directly."""
    return _scope.get()


class Endpoint:
    """One call's resolved settings: where to send it, with which key and timeout, over which
    pooled transport. The key is never shown by ``repr``."""

    __slots__ = ("provider", "base_url", "api_key", "timeout", "headers", "extra", "transport", "error")

    def __init__(
        self,
        provider: str,
        base_url: str,
        api_key: str | None,
        timeout: float | None,
        headers: Mapping[str, str],
        extra: Mapping[str, Any],
        transport: Transport,
        error: ErrorMapper | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url
        self.api_key = api_key
        self.timeout = timeout
        self.headers = headers
        self.extra = extra
        self.transport = transport
        self.error = error

    def __repr__(self) -> str:
        return f"<Endpoint {self.provider} {self.base_url} timeout={self.timeout}>"

    def url(self, path: str) -> str:
        return path if "://" in path else self.base_url + path

    async def post_json(self, path: str, body: Any, *, headers: Mapping[str, str] | None = None) -> Answer:
        """POST JSON to ``base_url + path`` with this call's headers and timeout."""
        return await self.transport.post_json(
            self.url(path),
            body,
            headers=self.headers if headers is None else headers,
            timeout=self.timeout,
            error=self.error,
            provider=self.provider,
        )

    async def get(self, path: str, *, headers: Mapping[str, str] | None = None) -> Answer:
        return await self.transport.send(
            "GET",
            self.url(path),
            headers=self.headers if headers is None else headers,
            timeout=self.timeout,
            error=self.error,
            provider=self.provider,
        )

    def stream(self, path: str, body: Any, *, headers: Mapping[str, str] | None = None, method: str = "POST") -> Any:
        """``async with endpoint.stream(path, body) as answer:`` a streamed request."""
        return self.transport.stream(
            method,
            self.url(path),
            content=body,
            headers=self.headers if headers is None else headers,
            timeout=self.timeout,
            error=self.error,
            provider=self.provider,
        )


def _env(names: tuple[str, ...]) -> str | None:
    environ = os.environ
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return None


def layered(name: str, prefix: str, own: ProviderSettings) -> ProviderSettings:
    """The client's settings for this provider (by prefix, then by name) over the provider's own."""
    scope = _scope.get()
    if scope is None or not scope.settings:
        return own
    client = scope.settings.get(prefix) or scope.settings.get(name)
    if client is None:
        return own
    key = (id(client), id(own))
    found = scope._merged.get(key)
    if found is None or found[0] is not own:
        found = scope._merged[key] = (own, client.over(own))
    return found[1]


def resolve(
    spec: SettingsSpec,
    settings: ProviderSettings,
    *,
    api_key: Secret | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> tuple[str | None, str, float | None]:
    """(key, base URL, timeout) from the call's arguments over ``settings`` over the environment
    over the spec's defaults. A required key that is nowhere is a :class:`ConfigurationError`."""
    key: str | None
    if api_key is not None:
        key = api_key.get()
    elif settings.api_key is not None:
        key = settings.api_key.get()
    else:
        key = _env(spec.api_key_env)
    if key is not None:
        key = key.strip() or None
    if key is None and spec.key_required:
        where = " or ".join(spec.api_key_env) or "a key"
        raise ConfigurationError(
            f"no API key for {spec.provider!r}: set {where} or pass api_key=...{spec.key_hint}",
            env_var=spec.api_key_env[0] if spec.api_key_env else None,
        )
    if key is not None:
        register_secret(key)
    url = base_url or settings.base_url or _env(spec.base_url_env) or spec.default_base_url
    url = spec.normalize_base_url(url) if spec.normalize_base_url is not None else url.rstrip("/")
    return key, url, timeout if timeout is not None else settings.timeout


def pools() -> Pools:
    """The pools of the calling client, or the process-wide ones outside any client."""
    scope = _scope.get()
    if scope is not None:
        return scope.pools
    from ._transport import default_pools

    return default_pools
