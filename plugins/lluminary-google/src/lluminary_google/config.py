"""Where a call goes: the settings the SDK resolves (key, base URL, timeout: call → client →
provider → environment), and what is Google's own: the API version in the base URL, Vertex AI's
regional hosts and resource paths. Nothing here does I/O."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

import attrs

from lluminary.sdk import SettingsSpec

USER_AGENT = "lluminary-google/0.1.0"

#: Read in this order, as Google's own SDK does (``GOOGLE_API_KEY`` wins when both are set).
API_KEY_ENVS = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
#: The variable a missing-key error names (the one Google's docs tell users to set).
API_KEY_HINT_ENV = "GEMINI_API_KEY"
GEMINI_BASE_URL_ENV = "GOOGLE_GEMINI_BASE_URL"
GEMINI_DEFAULT_HOST = "https://generativelanguage.googleapis.com"
GEMINI_API_VERSION = "v1beta"

VERTEX_BASE_URL_ENV = "GOOGLE_VERTEX_BASE_URL"
VERTEX_PROJECT_ENV = "GOOGLE_CLOUD_PROJECT"
VERTEX_LOCATION_ENV = "GOOGLE_CLOUD_LOCATION"
VERTEX_DEFAULT_LOCATION = "global"
VERTEX_GLOBAL_HOST = "https://aiplatform.googleapis.com"
VERTEX_API_VERSION = "v1"

#: The Gemini API. The key is checked by the provider, so that a missing one names
#: ``GEMINI_API_KEY`` although ``GOOGLE_API_KEY`` is read first.
GEMINI_SPEC = SettingsSpec(
    provider="Gemini",
    default_base_url=GEMINI_DEFAULT_HOST,
    api_key_env=API_KEY_ENVS,
    base_url_env=(GEMINI_BASE_URL_ENV,),
    key_required=False,
)
#: Vertex AI: no default base URL (the host depends on the location, see :func:`vertex_host`), and
#: a key only for express mode, never from the environment.
VERTEX_SPEC = SettingsSpec(
    provider="Vertex AI",
    default_base_url="",
    base_url_env=(VERTEX_BASE_URL_ENV,),
    key_required=False,
)


@attrs.frozen
class Target:
    """One call's model: its URL (versioned base and resource path) and the request headers
    (credentials live only here)."""

    model_url: str
    headers: Mapping[str, str] = attrs.field(repr=False)

    def url(self, method: str) -> str:
        """The URL of one of the model's methods (``generateContent``, ``countTokens``, ...)."""
        return f"{self.model_url}:{method}"


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


def vertex_host(location: str) -> str:
    """The regional host, or the global one for ``global``."""
    if location == "global":
        return VERTEX_GLOBAL_HOST
    return f"https://{location}-aiplatform.googleapis.com"


def vertex_base_url(base_url: str | None, location: str, version: str = VERTEX_API_VERSION) -> str:
    """The versioned base URL: the one given, else the location's host."""
    return normalise_base_url(base_url or vertex_host(location), version)


def vertex_model_path(project: str, location: str, model: str) -> str:
    """The model's resource path; a full ``projects/...`` name (a tuned model, an endpoint) is kept."""
    if model.startswith("projects/"):
        return model
    if model.startswith("publishers/"):
        return f"projects/{project}/locations/{location}/{model}"
    return f"projects/{project}/locations/{location}/publishers/google/models/{model_path(model)}"
