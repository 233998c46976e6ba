"""What is Anthropic's own in where a call goes and how it authenticates: the settings spec the
SDK resolves (key, base URL and timeout: call → client → provider → environment → default), the
base URL's form, and the headers (``x-api-key``, ``anthropic-version``, ``anthropic-beta``).
Nothing here does I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lluminary.sdk import RequestValidationError, SettingsSpec

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
KEY_ENV = "ANTHROPIC_API_KEY"
BASE_URL_ENV = "ANTHROPIC_BASE_URL"


def normalise_base_url(url: str) -> str:
    """The SDK's convention is a base without the version; one with it (``.../v1``) is the same
    server: paths are added with their ``/v1`` prefix."""
    return url.strip().rstrip("/").removesuffix("/v1")


def spec(key_env: str = KEY_ENV, base_url_env: str = BASE_URL_ENV) -> SettingsSpec:
    """The settings spec, reading the key and base URL from these environment variables."""
    return SettingsSpec(
        provider="Anthropic",
        default_base_url=DEFAULT_BASE_URL,
        api_key_env=(key_env,),
        base_url_env=(base_url_env,),
        normalize_base_url=normalise_base_url,
    )


SPEC = spec()


def headers(api_key: str | None, beta: Any = None) -> dict[str, str]:
    """The headers of every request of one configuration: the key, the API version and the beta
    features (a name or a list of names) of the client's settings."""
    out = {"content-type": "application/json", "anthropic-version": API_VERSION}
    if api_key:
        out["x-api-key"] = api_key
    if beta:
        out["anthropic-beta"] = beta_header(beta)
    return out


def call_headers(headers: Mapping[str, str], options: Mapping[str, Any]) -> Mapping[str, str]:
    """One call's headers: ``headers`` with the ``beta`` features and extra ``headers`` of its
    options on top (the call's ``anthropic-beta`` replaces the client's). The common call, with
    neither, gets ``headers`` itself: nothing is built."""
    beta = options.get("beta")
    extra = options.get("headers")
    if not beta and not extra:
        return headers
    out = dict(headers)
    if beta:
        out["anthropic-beta"] = beta_header(beta)
    if extra:
        if not isinstance(extra, Mapping):
            raise RequestValidationError("options['anthropic']['headers'] must be a mapping of header names")
        out.update({str(k).lower(): str(v) for k, v in extra.items()})
    return out


def beta_header(beta: Any) -> str:
    return beta if isinstance(beta, str) else ",".join(beta)
