"""What is Cohere's own in where a call goes: the settings spec the SDK resolves (key, base URL and
timeout: call → client → provider → environment → default) and the base URL's form."""

from __future__ import annotations

from lluminary.sdk import SettingsSpec

#: Environment variables for the key, in the order they are read (the first is Cohere's own).
API_KEY_ENV = ("CO_API_KEY", "COHERE_API_KEY")
BASE_URL_ENV = "CO_API_URL"
DEFAULT_BASE_URL = "https://api.cohere.com"
CLIENT_NAME = "lluminary"


def normalise_base_url(url: str) -> str:
    """The API root without a trailing slash or version segment: paths add ``/v2/chat`` etc."""
    return url.strip().rstrip("/").removesuffix("/v1").removesuffix("/v2")


SPEC = SettingsSpec(
    provider="Cohere",
    default_base_url=DEFAULT_BASE_URL,
    api_key_env=API_KEY_ENV,
    base_url_env=(BASE_URL_ENV,),
    normalize_base_url=normalise_base_url,
)
