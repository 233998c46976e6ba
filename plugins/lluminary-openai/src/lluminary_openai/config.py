"""Where a call goes and with which headers: resolved once per configuration and reused.

A configuration is the (API key, base URL, organization, project) a call ends up with after the
per-call overrides (``request.api_key``, ``request.base_url``) and the environment. Its URLs and
header dict are built the first time it is seen and then shared by every call that uses it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from lluminary._errors import ConfigurationError, register_secret
from lluminary._types import Secret

from ._version import __version__

USER_AGENT = f"lluminary-openai/{__version__}"
_MAX_CACHED = 64


def normalize_base_url(url: str) -> str:
    """``http://host:8000`` and ``http://host:8000/`` become ``http://host:8000/v1``; a URL that
    already has a path (``/v1``, ``/openai/v1``, ``/api/v1``) is kept as it is, minus a trailing slash."""
    url = url.strip().rstrip("/")
    if urlsplit(url).path in ("", "/"):
        url += "/v1"
    return url


class Endpoint:
    """One resolved configuration: the endpoint URLs and the request headers."""

    __slots__ = ("base_url", "headers", "chat_url", "responses_url", "embeddings_url")

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self.base_url = base_url
        self.headers = headers
        self.chat_url = base_url + "/chat/completions"
        self.responses_url = base_url + "/responses"
        self.embeddings_url = base_url + "/embeddings"

    def __repr__(self) -> str:  # never shows the headers: they hold the key
        return f"<Endpoint {self.base_url}>"


class Settings:
    """How a provider finds its key, base URL and extra headers.

    ``api_key`` / ``base_url`` given here win over the environment variables; a per-call
    ``request.api_key`` / ``request.base_url`` wins over both. ``key_required=False`` lets local
    servers run without a key (no ``Authorization`` header is sent).
    """

    def __init__(
        self,
        *,
        name: str,
        default_base_url: str,
        api_key_env: str | None,
        base_url_env: str | None,
        api_key: str | None = None,
        base_url: str | None = None,
        headers: Mapping[str, str] | None = None,
        key_required: bool = True,
        organization_env: str | None = None,
        project_env: str | None = None,
    ) -> None:
        self.name = name
        self.default_base_url = default_base_url
        self.api_key_env = api_key_env
        self.base_url_env = base_url_env
        self._api_key = Secret(api_key) if api_key else None
        self.base_url = base_url
        self.extra_headers = dict(headers or {})
        self.key_required = key_required
        self.organization_env = organization_env
        self.project_env = project_env
        self._endpoints: dict[tuple[str | None, ...], Endpoint] = {}
        register_secret(api_key)

    def __repr__(self) -> str:
        return f"<Settings {self.name!r} base_url={self.base_url or self.default_base_url!r}>"

    def endpoint(self, api_key: Secret | None, base_url: str | None) -> Endpoint:
        """The endpoint for a call with these per-call overrides (None: use the configuration)."""
        environ = os.environ
        if api_key is not None:
            key: str | None = api_key.get()
        elif self._api_key is not None:
            key = self._api_key.get()
        else:
            key = environ.get(self.api_key_env) if self.api_key_env else None
        if not key and self.key_required:
            raise ConfigurationError(
                f"no API key for {self.name!r}: set the {self.api_key_env} environment variable " "or pass api_key=...",
                env_var=self.api_key_env,
            )
        if base_url is None:
            base_url = self.base_url or (environ.get(self.base_url_env) if self.base_url_env else None)
        organization = environ.get(self.organization_env) if self.organization_env else None
        project = environ.get(self.project_env) if self.project_env else None
        cache_key = (key, base_url, organization, project)
        found = self._endpoints.get(cache_key)
        if found is None:
            if len(self._endpoints) >= _MAX_CACHED:
                self._endpoints.clear()
            found = self._endpoints[cache_key] = self._build(key, base_url, organization, project)
        return found

    def _build(self, key: str | None, base_url: str | None, organization: str | None, project: str | None) -> Endpoint:
        headers = {"user-agent": USER_AGENT, "content-type": "application/json", "accept": "application/json"}
        if key:
            register_secret(key)
            headers["authorization"] = f"Bearer {key}"
        if organization:
            headers["openai-organization"] = organization
        if project:
            headers["openai-project"] = project
        headers.update(self.extra_headers)
        return Endpoint(normalize_base_url(base_url or self.default_base_url), headers)
