"""What is OpenAI's own in where a call goes and how it is signed.

The kernel's SDK resolves the key, base URL and timeout (call → client → provider object →
environment → default) and pools the connections. What is left here: the base-URL rule, the
settings spec of each server (OpenAI's variables, or a compatible server's), the
``OpenAI-Organization`` / ``OpenAI-Project`` headers and the user agent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from lluminary.sdk import SettingsSpec

from ._version import __version__

NAME = "openai"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
USER_AGENT = f"lluminary-openai/{__version__}"


def normalize_base_url(url: str) -> str:
    """``http://host:8000`` and ``http://host:8000/`` become ``http://host:8000/v1``; a URL that
    already has a path (``/v1``, ``/openai/v1``, ``/api/v1``) is kept as it is, minus a trailing slash."""
    url = url.strip().rstrip("/")
    if urlsplit(url).path in ("", "/"):
        url += "/v1"
    return url


@attrs.frozen
class OpenAISpec(SettingsSpec):
    """The SDK's :class:`~lluminary.sdk.SettingsSpec` plus where the organization and project
    come from when the settings (``{"organization": ..., "project": ...}``) do not give them."""

    organization_env: tuple[str, ...] = ()
    project_env: tuple[str, ...] = ()


def spec(
    name: str,
    default_base_url: str,
    *,
    api_key_env: str | None,
    base_url_env: str | None,
    key_required: bool = True,
    organization_env: str | None = None,
    project_env: str | None = None,
) -> OpenAISpec:
    """The settings spec of one server: its variables (None: not read) and its default URL."""
    return OpenAISpec(
        provider=name,
        default_base_url=default_base_url,
        api_key_env=_names(api_key_env),
        base_url_env=_names(base_url_env),
        key_required=key_required,
        normalize_base_url=normalize_base_url,
        organization_env=_names(organization_env),
        project_env=_names(project_env),
    )


def _names(variable: str | None) -> tuple[str, ...]:
    return (variable,) if variable else ()


def account_headers(spec: OpenAISpec, extra: Mapping[str, Any]) -> dict[str, str]:
    """``OpenAI-Organization`` and ``OpenAI-Project``: from the settings' ``organization`` /
    ``project``, else from the spec's environment variables; left out when neither has them."""
    headers: dict[str, str] = {}
    for header, key, names in (
        ("openai-organization", "organization", spec.organization_env),
        ("openai-project", "project", spec.project_env),
    ):
        value = extra.get(key) or next((os.environ[n] for n in names if os.environ.get(n)), None)
        if value:
            headers[header] = str(value)
    return headers


#: OpenAI's own: ``OPENAI_API_KEY`` (required), ``OPENAI_BASE_URL``, ``OPENAI_ORGANIZATION``, ``OPENAI_PROJECT``.
SPEC = spec(
    NAME,
    DEFAULT_BASE_URL,
    api_key_env="OPENAI_API_KEY",
    base_url_env="OPENAI_BASE_URL",
    organization_env="OPENAI_ORGANIZATION",
    project_env="OPENAI_PROJECT",
)
