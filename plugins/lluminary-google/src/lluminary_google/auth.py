"""Vertex AI credentials through Google's own auth library (``pip install 'lluminary-google[vertex]'``).

Application Default Credentials are found the way every Google client finds them (the
``GOOGLE_APPLICATION_CREDENTIALS`` file, ``gcloud auth application-default login``, the metadata
server of a Google Cloud VM, workload identity, ...). Finding and refreshing them does blocking I/O,
so it runs in a worker thread (``asyncio.to_thread``), never on the event loop. A thread lock, not an
asyncio one, keeps two refreshes from racing: it works from any event loop, the sync API's included.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from typing import Any

from lluminary.sdk import APIConnectionError, AuthenticationError, ConfigurationError, register_secret

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
INSTALL_HINT = "Vertex AI needs Google's auth library: pip install 'lluminary-google[vertex]'"


class VertexCredentials:
    """Holds one credentials object (given, or found on first use) and hands out fresh tokens.

    ``credentials`` is any ``google.auth.credentials.Credentials``: a service account's, a user's,
    ``google.oauth2.credentials.Credentials(token=...)`` for a token you already have.
    """

    def __init__(self, credentials: Any | None = None, *, provider: str = "vertex") -> None:
        self._credentials = credentials
        self._lock = threading.Lock()
        self.provider = provider
        #: The project the application default credentials belong to, once they are loaded.
        self.default_project: str | None = None

    async def headers(self) -> dict[str, str]:
        """``Authorization`` (and ``x-goog-user-project`` for a quota project) with a valid token."""
        credentials: Any = self._credentials
        if credentials is None:
            credentials = await asyncio.to_thread(self.load)
        if not credentials.valid or not credentials.token:
            await asyncio.to_thread(self._refresh, credentials)
        token = credentials.token
        if not token:
            raise AuthenticationError("Google credentials gave no access token", provider=self.provider)
        register_secret(token)
        headers = {"authorization": f"Bearer {token}"}
        quota_project = getattr(credentials, "quota_project_id", None)
        if quota_project:
            headers["x-goog-user-project"] = quota_project
        return headers

    async def project(self) -> str | None:
        """The project of the application default credentials (loads them if needed)."""
        if self._credentials is None:
            await asyncio.to_thread(self.load)
        return self.default_project

    def load(self) -> Any:
        """Find the application default credentials (blocking: call it in a thread)."""
        with self._lock:
            if self._credentials is not None:
                return self._credentials
            google_auth = _import("google.auth")
            exceptions = _import("google.auth.exceptions")
            try:
                credentials, project = google_auth.default(scopes=list(SCOPES))
            except exceptions.DefaultCredentialsError as exc:
                raise ConfigurationError(
                    f"no Google Cloud credentials for Vertex AI ({exc}); run `gcloud auth application-default "
                    "login` or set GOOGLE_APPLICATION_CREDENTIALS",
                    env_var="GOOGLE_APPLICATION_CREDENTIALS",
                ) from None
            self._credentials = credentials
            self.default_project = project
            return credentials

    def _refresh(self, credentials: Any) -> None:
        """Refresh the token unless another thread just did (blocking: call it in a thread)."""
        with self._lock:
            if credentials.valid and credentials.token:
                return
            exceptions = _import("google.auth.exceptions")
            transport = _import("google.auth.transport.requests")
            try:
                credentials.refresh(transport.Request())
            except exceptions.RefreshError as exc:
                raise AuthenticationError(
                    f"could not refresh Google credentials: {exc}", provider=self.provider
                ) from None
            except exceptions.TransportError as exc:
                raise APIConnectionError(
                    f"could not reach Google to refresh credentials: {exc}", provider=self.provider
                ) from None


def _import(module: str) -> Any:
    """A google-auth module, imported on first use (it is an optional dependency)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigurationError(INSTALL_HINT) from None
