"""Where a call goes and how it authenticates: per-call overrides, then the provider's own settings,
then the environment. Nothing here does I/O."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import attrs

from lluminary._errors import ConfigurationError, register_secret
from lluminary._types import Secret

USER_AGENT = "lluminary-google/0.1.0"

#: Read in this order, as Google's own SDK does (``GOOGLE_API_KEY`` wins when both are set).
API_KEY_ENVS = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
GEMINI_BASE_URL_ENV = "GOOGLE_GEMINI_BASE_URL"
GEMINI_DEFAULT_HOST = "https://generativelanguage.googleapis.com"
GEMINI_API_VERSION = "v1beta"

VERTEX_BASE_URL_ENV = "GOOGLE_VERTEX_BASE_URL"
VERTEX_PROJECT_ENV = "GOOGLE_CLOUD_PROJECT"
VERTEX_LOCATION_ENV = "GOOGLE_CLOUD_LOCATION"
VERTEX_DEFAULT_LOCATION = "global"
VERTEX_API_VERSION = "v1"


@attrs.frozen
class Endpoint:
    """A resolved call target: the versioned base URL, the headers (credentials live only here) and
    the read timeout."""

    base_url: str
    headers: dict[str, str] = attrs.field(repr=False)
    timeout: float | None = None

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path}"


def normalise_base_url(url: str, version: str) -> str:
    """``http://host``, ``http://host/`` and ``http://host/v1beta`` name the same API: a base URL
    without a path gets the API version appended (as Google's SDK does); one with a path is used as
    it is, less a trailing slash."""
    url = url.strip().rstrip("/")
    if urlsplit(url).path in ("", "/"):
        url = f"{url}/{version}"
    return url


def model_path(model: str) -> str:
    """``gemini-2.5-flash`` and ``models/gemini-2.5-flash`` are the same model."""
    return model[7:] if model.startswith("models/") else model


def env_api_key() -> str:
    for name in API_KEY_ENVS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return ""


def gemini_endpoint(
    api_key: Secret | None,
    base_url: str | None,
    timeout: float | None,
    *,
    default_key: Secret | None = None,
    default_base_url: str | None = None,
    default_timeout: float | None = None,
    version: str = GEMINI_API_VERSION,
) -> Endpoint:
    """The Gemini API endpoint for one call; raises :class:`ConfigurationError` (before any I/O)
    when no key is set anywhere."""
    key = (api_key.get() if api_key else (default_key.get() if default_key else env_api_key())).strip()
    if not key:
        raise ConfigurationError(
            "no Gemini API key: set the GEMINI_API_KEY (or GOOGLE_API_KEY) environment variable or pass api_key=...",
            env_var="GEMINI_API_KEY",
        )
    register_secret(key)
    url = base_url or default_base_url or os.environ.get(GEMINI_BASE_URL_ENV) or GEMINI_DEFAULT_HOST
    headers = {"x-goog-api-key": key, "content-type": "application/json", "user-agent": USER_AGENT}
    return Endpoint(normalise_base_url(url, version), headers, timeout if timeout is not None else default_timeout)


def vertex_host(location: str) -> str:
    """The regional host, or the global one for ``global``."""
    if location == "global":
        return "https://aiplatform.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"


def vertex_location(explicit: str | None) -> str:
    return explicit or os.environ.get(VERTEX_LOCATION_ENV) or VERTEX_DEFAULT_LOCATION


def vertex_base_url(base_url: str | None, location: str, version: str = VERTEX_API_VERSION) -> str:
    url = base_url or os.environ.get(VERTEX_BASE_URL_ENV) or vertex_host(location)
    return normalise_base_url(url, version)


def vertex_model_path(project: str, location: str, model: str) -> str:
    """The model's resource path; a full ``projects/...`` name (a tuned model, an endpoint) is kept."""
    if model.startswith("projects/"):
        return model
    if model.startswith("publishers/"):
        return f"projects/{project}/locations/{location}/{model}"
    return f"projects/{project}/locations/{location}/publishers/google/models/{model_path(model)}"
