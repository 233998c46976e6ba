"""Where Mistral calls go and with which key: the provider's settings spec for the kernel's SDK."""

from __future__ import annotations

from lluminary.sdk import SettingsSpec

NAME = "mistral"
API_KEY_ENV = "MISTRAL_API_KEY"
BASE_URL_ENV = "MISTRAL_BASE_URL"
DEFAULT_BASE_URL = "https://api.mistral.ai"
USER_AGENT = "lluminary-mistral/0.1.0"


def normalise_base_url(url: str) -> str:
    """``https://api.mistral.ai``, ``https://api.mistral.ai/`` and ``https://api.mistral.ai/v1`` are
    the same server: paths are added with their ``/v1`` prefix."""
    url = url.strip().rstrip("/")
    if url.endswith("/v1"):
        url = url[:-3]
    return url


SPEC = SettingsSpec(
    provider="Mistral",
    default_base_url=DEFAULT_BASE_URL,
    api_key_env=(API_KEY_ENV,),
    base_url_env=(BASE_URL_ENV,),
    normalize_base_url=normalise_base_url,
)
