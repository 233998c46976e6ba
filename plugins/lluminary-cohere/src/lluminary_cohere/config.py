"""Where the API key and the base URL come from, and the headers every request carries."""

from __future__ import annotations

import os

from lluminary._errors import ConfigurationError, register_secret
from lluminary._types import Secret

#: Environment variables for the key, in the order they are read (the first is Cohere's own).
API_KEY_ENV = ("CO_API_KEY", "COHERE_API_KEY")
BASE_URL_ENV = "CO_API_URL"
DEFAULT_BASE_URL = "https://api.cohere.com"
CLIENT_NAME = "lluminary"


def resolve_api_key(per_call: Secret | None, configured: Secret | None) -> str:
    """The key for one call: the request's, else the provider's, else the environment's."""
    for candidate in (per_call, configured):
        if candidate:
            value = candidate.get()
            register_secret(value)
            return value
    for name in API_KEY_ENV:
        value = os.environ.get(name, "").strip()
        if value:
            register_secret(value)
            return value
    raise ConfigurationError(
        f"no Cohere API key: set {API_KEY_ENV[0]} (or {API_KEY_ENV[1]}), or pass api_key=", env_var=API_KEY_ENV[0]
    )


def resolve_base_url(per_call: str | None, configured: str | None) -> str:
    """The API root without a trailing slash or version segment: paths add ``/v2/chat`` etc."""
    url = per_call or configured or os.environ.get(BASE_URL_ENV, "").strip() or DEFAULT_BASE_URL
    url = url.rstrip("/")
    for suffix in ("/v1", "/v2"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url


def headers(api_key: str, *, stream: bool = False) -> dict[str, str]:
    return {
        "authorization": f"Bearer {api_key}",
        "content-type": "application/json",
        "accept": "text/event-stream" if stream else "application/json",
        "x-client-name": CLIENT_NAME,
    }
