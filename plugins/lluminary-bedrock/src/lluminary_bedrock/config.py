"""Where a call goes and how it authenticates: what is Bedrock's own on top of the SDK's settings.

The SDK resolves the key, endpoint and timeout (call → client → provider → environment); the
region and profile are provider settings of their own (``endpoint.extra``). Per call, in this order:

* **auth** — a Bedrock API key (``api_key=`` on the call, the client's or the provider's
  ``api_key``, ``AWS_BEARER_TOKEN_BEDROCK``) is sent as ``Authorization: Bearer``; otherwise SigV4
  with credentials from botocore's chain (environment, ``AWS_PROFILE`` / a ``profile`` setting /
  ``options={"bedrock": {"profile": ...}}``, SSO, roles);
* **region** — ``options={"bedrock": {"region": ...}}``, the ``region`` setting (client, then
  provider), ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's ``region``;
* **endpoint** — ``base_url=`` on the call, ``options={"bedrock": {"endpoint_url": ...}}``, the
  ``base_url`` setting (client, then provider's ``endpoint_url``), ``BEDROCK_ENDPOINT_URL``,
  ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, ``AWS_ENDPOINT_URL``, else
  ``https://bedrock-runtime.{region}.amazonaws.com``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import attrs

from lluminary.sdk import ConfigurationError, Endpoint, RequestValidationError, SettingsSpec

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

#: A key is optional (SigV4 needs none); there is no default endpoint: it depends on the region.
SPEC = SettingsSpec(
    provider="Bedrock",
    default_base_url="",
    api_key_env=(BEARER_ENV,),
    base_url_env=ENDPOINT_ENVS,
    key_required=False,
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
    """One call's destination: the endpoint, and the region and credential source SigV4 signs
    with (no source: the endpoint's headers carry a Bedrock API key)."""

    base_url: str
    region: str | None
    source: AwsSource | None = None

    async def headers(self, endpoint: Endpoint, url: str, body: bytes, accept: str) -> Mapping[str, str]:
        """The headers of a POST of ``body`` to ``url``, signed when SigV4 is in use."""
        headers = endpoint.headers
        if headers.get("accept") != accept:
            headers = {**headers, "accept": accept}
        if self.source is None:
            return headers
        assert self.region is not None
        credentials = await self.source.credentials()
        return sign(credentials, self.region, url, body, headers)


class Targets:
    """Finds each call's :class:`Target`. botocore sources are cached per profile and per
    credential environment (a test, or a process that changes its environment, gets fresh ones)."""

    __slots__ = ("_sources",)

    def __init__(self) -> None:
        self._sources: dict[tuple[Any, ...], AwsSource] = {}

    def source(self, profile: str | None) -> AwsSource:
        profile = profile or os.environ.get("AWS_PROFILE") or None
        key = (profile, *(os.environ.get(name) for name in _CHAIN_ENVS))
        found = self._sources.get(key)
        if found is None:
            if len(self._sources) > 32:
                self._sources.clear()
            found = self._sources[key] = AwsSource(profile)
        return found

    async def find(self, endpoint: Endpoint, options: Mapping[str, Any], *, call_base_url: str | None) -> Target:
        """The target of one call: ``endpoint`` as the SDK resolved it, ``options`` the call's
        ``options["bedrock"]`` (which win over every setting but the call's own ``base_url``)."""
        settings = endpoint.extra
        region = _text(options, "region", _OPTION) or _text(settings, "region", _SETTING) or _first_env(REGION_ENVS)
        base_url = endpoint.base_url
        if not call_base_url:
            base_url = _text(options, "endpoint_url", _OPTION) or base_url
        profile = _text(options, "profile", _OPTION) or _text(settings, "profile", _SETTING)
        source = None if endpoint.api_key else self.source(profile)
        if region is None and (not base_url or source is not None):
            # The profile's region: botocore reads the shared config file, in a worker thread.
            region = await (source or self.source(profile)).region()
            if region is None:
                raise ConfigurationError(
                    "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), a profile region, "
                    "or options={'bedrock': {'region': ...}}",
                    env_var="AWS_REGION",
                )
        if not base_url:
            assert region is not None
            base_url = default_endpoint(region)
        return Target(base_url.rstrip("/"), region, source)


def _first_env(names: tuple[str, ...]) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


_OPTION = "options['bedrock'][{name!r}]"
_SETTING = "the bedrock setting {name!r}"


def _text(values: Mapping[str, Any], name: str, where: str) -> str | None:
    value = values.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RequestValidationError(f"{where.format(name=name)} must be a string")
    return value
