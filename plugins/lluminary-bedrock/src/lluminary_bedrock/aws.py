"""What botocore does for us: the credential chain, the profile's region, SigV4 signing.

botocore is imported only here and only when a call needs it, so importing the plugin stays cheap.
Resolving credentials can touch the disk (shared config, SSO token cache) or the network (instance
roles, SSO, assume-role), so :class:`AwsSource` does it in a worker thread, once, and keeps the
frozen credentials until botocore says they need refreshing.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from lluminary.sdk import (
    AuthenticationError,
    ConfigurationError,
    register_secret,
)

SIGNING_NAME = "bedrock"


class Credentials(Protocol):
    """botocore's frozen ``ReadOnlyCredentials``: what a signature needs."""

    @property
    def access_key(self) -> str: ...

    @property
    def secret_key(self) -> str: ...

    @property
    def token(self) -> str | None: ...


class AwsSource:
    """One profile's credential chain and region, resolved by botocore off the event loop.

    ``botocore.session.Session(profile=...).get_credentials()`` walks the whole chain: environment
    variables, the shared credentials and config files (``AWS_PROFILE``), SSO, web identity,
    container and instance roles. The result is cached; refreshable credentials (temporary ones) are
    refreshed in a worker thread when botocore's advisory window says so.
    """

    __slots__ = ("profile", "_lock", "_session", "_credentials", "_frozen", "_region", "_region_known")

    def __init__(self, profile: str | None) -> None:
        self.profile = profile
        self._lock = threading.Lock()
        self._session: Any = None
        self._credentials: Any = None
        self._frozen: Credentials | None = None
        self._region: str | None = None
        self._region_known = False

    def __repr__(self) -> str:
        return f"AwsSource(profile={self.profile!r})"

    # ---- the event-loop side: cached values, or a hop to a worker thread

    async def credentials(self) -> Credentials:
        frozen = self._frozen
        if frozen is not None and not self._refresh_needed():
            return frozen
        return await asyncio.to_thread(self._resolve_credentials)

    async def region(self) -> str | None:
        if self._region_known:
            return self._region
        return await asyncio.to_thread(self._resolve_region)

    def _refresh_needed(self) -> bool:
        check = getattr(self._credentials, "refresh_needed", None)
        return bool(check()) if check is not None else False

    # ---- the worker-thread side

    def _botocore_session(self) -> Any:
        if self._session is None:
            from botocore.exceptions import ProfileNotFound  # type: ignore[import-untyped, unused-ignore]
            from botocore.session import Session  # type: ignore[import-untyped, unused-ignore]

            try:
                session = Session(profile=self.profile)
                session.get_scoped_config()  # raises now, not in the middle of a call, if the profile is missing
            except ProfileNotFound as exc:
                raise ConfigurationError(f"AWS profile not found: {exc}", env_var="AWS_PROFILE") from None
            self._session = session
        return self._session

    def _resolve_region(self) -> str | None:
        with self._lock:
            if not self._region_known:
                region = self._botocore_session().get_config_variable("region")
                self._region = str(region) if region else None
                self._region_known = True
            return self._region

    def _resolve_credentials(self) -> Credentials:
        from botocore.exceptions import BotoCoreError  # type: ignore[import-untyped, unused-ignore]

        with self._lock:
            try:
                if self._credentials is None:
                    found = self._botocore_session().get_credentials()
                    if found is None:
                        raise ConfigurationError(
                            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile "
                            "with AWS_PROFILE, run on an AWS role, or use a Bedrock API key "
                            "(AWS_BEARER_TOKEN_BEDROCK or api_key=)",
                            env_var="AWS_ACCESS_KEY_ID",
                        )
                    self._credentials = found
                frozen: Credentials = self._credentials.get_frozen_credentials()
            except BotoCoreError as exc:
                # An expired SSO session, a role that cannot be assumed, an unreachable endpoint.
                raise AuthenticationError(
                    f"could not load AWS credentials: {exc}", provider="bedrock", code=type(exc).__name__
                ) from None
            if not frozen.access_key or not frozen.secret_key:
                raise ConfigurationError(
                    "incomplete AWS credentials: both an access key id and a secret key are needed",
                    env_var="AWS_SECRET_ACCESS_KEY",
                )
            register_secret(frozen.secret_key)
            register_secret(frozen.token)
            self._frozen = frozen
            return frozen


def sign(credentials: Credentials, region: str, url: str, body: bytes, headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` plus ``X-Amz-Date``, ``X-Amz-Security-Token`` (temporary credentials) and the
    SigV4 ``Authorization``, for a POST of exactly ``body`` to exactly ``url``.

    botocore computes the canonical request from the URL as given, so the path must already be in
    its final, percent-encoded form; the canonical URI then re-quotes it (``%3A`` becomes ``%253A``),
    as AWS expects for every service but S3.
    """
    from botocore.auth import SigV4Auth  # type: ignore[import-untyped, unused-ignore]
    from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped, unused-ignore]

    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    SigV4Auth(credentials, SIGNING_NAME, region).add_auth(request)
    return {str(name): str(value) for name, value in request.headers.items()}
