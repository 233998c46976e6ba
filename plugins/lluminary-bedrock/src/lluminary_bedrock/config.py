"""Where a call goes and how it authenticates: region, endpoint, Bedrock API key or SigV4.

Per call, in this order (explicit beats ambient):

* **auth** — ``api_key=`` on the call, else ``AWS_BEARER_TOKEN_BEDROCK``: a Bedrock API key sent as
  ``Authorization: Bearer``; otherwise SigV4 with credentials from botocore's chain (environment,
  ``AWS_PROFILE`` / ``options={"bedrock": {"profile": ...}}``, SSO, roles);
* **region** — ``options={"bedrock": {"region": ...}}``, ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the
  profile's ``region``;
* **endpoint** — ``base_url=``, ``options={"bedrock": {"endpoint_url": ...}}``, ``BEDROCK_ENDPOINT_URL``,
  ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, ``AWS_ENDPOINT_URL``, else
  ``https://bedrock-runtime.{region}.amazonaws.com``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import attrs

from lluminary._errors import ConfigurationError, RequestValidationError, register_secret
from lluminary._types import Secret

from .aws import AwsSource, sign

BEARER_ENV = "AWS_BEARER_TOKEN_BEDROCK"
REGION_ENVS = ("AWS_REGION", "AWS_DEFAULT_REGION")
ENDPOINT_ENVS = ("BEDROCK_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL")
#: Environment variables that change what botocore's chain finds: part of the source cache key.
_CHAIN_ENVS = (
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_DEFAULT_REGION",
)


def model_path(model_id: str, action: str) -> str:
    """``/model/{modelId}/{action}`` with the id percent-encoded as one path segment, so an ARN's
    ``:`` and ``/`` stay inside it (``arn%3Aaws%3Abedrock%3A...%2F...``)."""
    if not model_id:
        raise RequestValidationError("a Bedrock model id is needed: 'bedrock:<model id or ARN>'")
    return f"/model/{quote(model_id, safe='')}/{action}"


def default_endpoint(region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://bedrock-runtime.{region}.{suffix}"


@attrs.frozen
class Target:
    """One call's destination and credentials (bearer token or SigV4 credentials and region)."""

    base_url: str
    region: str | None
    bearer: str | None = attrs.field(default=None, repr=False)
    source: AwsSource | None = None

    async def headers(self, url: str, body: bytes, accept: str) -> dict[str, str]:
        """The headers of a POST of ``body`` to ``url``, signed when SigV4 is in use."""
        base = {"Content-Type": "application/json", "Accept": accept}
        if self.bearer is not None:
            base["Authorization"] = f"Bearer {self.bearer}"
            return base
        assert self.source is not None
        assert self.region is not None
        credentials = await self.source.credentials()
        return sign(credentials, self.region, url, body, base)


class Settings:
    """A provider's configuration: explicit values win over the environment; botocore sources are
    cached per profile and per credential environment (a test, or a process that changes its
    environment, gets fresh ones)."""

    __slots__ = ("_region", "_endpoint_url", "_profile", "_bearer", "_sources")

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
        api_key: str | None = None,
    ) -> None:
        self._region = region
        self._endpoint_url = endpoint_url
        self._profile = profile
        self._bearer = api_key
        self._sources: dict[tuple[Any, ...], AwsSource] = {}
        register_secret(api_key)

    def __repr__(self) -> str:
        return f"Settings(region={self._region!r}, endpoint_url={self._endpoint_url!r}, profile={self._profile!r})"

    def bearer(self, api_key: Secret | None) -> str | None:
        if api_key is not None and api_key:
            token: str | None = api_key.get()
        else:
            token = self._bearer or os.environ.get(BEARER_ENV) or None
        if token:
            register_secret(token)
        return token

    def source(self, options: Mapping[str, Any]) -> AwsSource:
        profile = _str_option(options, "profile") or self._profile or os.environ.get("AWS_PROFILE") or None
        key = (profile, *(os.environ.get(name) for name in _CHAIN_ENVS))
        found = self._sources.get(key)
        if found is None:
            if len(self._sources) > 32:
                self._sources.clear()
            found = self._sources[key] = AwsSource(profile)
        return found

    async def target(self, options: Mapping[str, Any], *, api_key: Secret | None, base_url: str | None) -> Target:
        bearer = self.bearer(api_key)
        region = _str_option(options, "region") or self._region or _first_env(REGION_ENVS)
        endpoint = base_url or _str_option(options, "endpoint_url") or self._endpoint_url or _first_env(ENDPOINT_ENVS)
        source = None if bearer is not None else self.source(options)
        if region is None and (endpoint is None or bearer is None):
            # The profile's region: botocore reads the shared config file, in a worker thread.
            region = await (source or self.source(options)).region()
            if region is None:
                raise ConfigurationError(
                    "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), a profile region, "
                    "or options={'bedrock': {'region': ...}}",
                    env_var="AWS_REGION",
                )
        if endpoint is None:
            assert region is not None
            endpoint = default_endpoint(region)
        return Target(endpoint.rstrip("/"), region, bearer, source)


def _first_env(names: tuple[str, ...]) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def _str_option(options: Mapping[str, Any], name: str) -> str | None:
    value = options.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RequestValidationError(f"options['bedrock'][{name!r}] must be a string")
    return value
