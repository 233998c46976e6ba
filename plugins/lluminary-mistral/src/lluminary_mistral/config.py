"""Where a call goes and with which key: per-call overrides, then provider settings, then the environment."""

from __future__ import annotations

import os

import attrs

from lluminary.errors import ConfigurationError, register_secret
from lluminary.types import Secret

NAME = "mistral"
API_KEY_ENV = "MISTRAL_API_KEY"
BASE_URL_ENV = "MISTRAL_BASE_URL"
DEFAULT_BASE_URL = "https://api.mistral.ai"
USER_AGENT = "lluminary-mistral/0.1.0"


@attrs.frozen
class Endpoint:
    """The resolved base URL and headers of one call. The key lives only inside ``headers``."""

    base_url: str
    headers: dict[str, str] = attrs.field(repr=False)
    timeout: float | None = None


def normalise_base_url(url: str) -> str:
    """``https://api.mistral.ai``, ``https://api.mistral.ai/`` and ``https://api.mistral.ai/v1`` are
    the same server: paths are added with their ``/v1`` prefix."""
    url = url.strip().rstrip("/")
    if url.endswith("/v1"):
        url = url[:-3]
    return url


def resolve(
    api_key: Secret | None,
    base_url: str | None,
    timeout: float | None,
    *,
    default_key: Secret | None = None,
    default_base_url: str | None = None,
    default_timeout: float | None = None,
) -> Endpoint:
    key = api_key.get() if api_key else (default_key.get() if default_key else os.environ.get(API_KEY_ENV, ""))
    key = key.strip()
    if not key:
        raise ConfigurationError(
            f"no Mistral API key: set the {API_KEY_ENV} environment variable or pass api_key=...",
            env_var=API_KEY_ENV,
        )
    register_secret(key)
    url = base_url or default_base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    headers = {
        "authorization": f"Bearer {key}",
        "content-type": "application/json",
        "accept": "application/json",
        "user-agent": USER_AGENT,
    }
    return Endpoint(normalise_base_url(url), headers, timeout if timeout is not None else default_timeout)
