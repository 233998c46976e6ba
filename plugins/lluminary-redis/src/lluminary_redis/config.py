"""Redis URLs: what a ``redis://``, ``rediss://`` or ``unix://`` URL says, checked when the cache or
counter store is opened (a typo fails at once, not as an "outage" on the first call).

The password goes to the connection and nowhere else: it is left out of ``repr`` and of every
message, and registered with the SDK so that a lluminary error that quotes it is redacted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from lluminary.sdk import ConfigurationError, register_secret

SCHEMES = ("redis", "rediss", "unix")
DEFAULT_NAMESPACE = "lluminary"

#: Query options of our own -> what they mean (for the error that lists them).
OPTIONS = {
    "namespace": "prefix of every key (default 'lluminary')",
    "ttl": "seconds a cache entry lives when stored without one",
    "connect_timeout": "seconds to connect (default 0.5)",
    "timeout": "seconds a command waits for Redis's reply (default 0.5)",
    "max_connections": "connections per event loop (default 50)",
    "backoff": "seconds Redis is skipped after it failed, doubling while it stays down (default 1)",
    "max_backoff": "the longest skip (default 15)",
    "db": "the database number (unix:// URLs; redis:// URLs give it as the path)",
    "username": "the ACL user (or give it in the URL: redis://user:password@host)",
    "password": "the password (or give it in the URL)",
    "client_name": "the name CLIENT LIST shows",
    "ssl_cert_reqs": "rediss: none, optional or required (default required)",
    "ssl_ca_certs": "rediss: the CA bundle to trust",
    "ssl_certfile": "rediss: the client certificate",
    "ssl_keyfile": "rediss: the client key",
    "ssl_check_hostname": "rediss: check the server's name (default true when certificates are required)",
}
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


@dataclass(frozen=True)
class RedisConfig:
    """One Redis deployment and how to use it."""

    scheme: str
    host: str | None
    port: int | None
    path: str | None
    db: int
    namespace: str = DEFAULT_NAMESPACE
    ttl: float | None = None
    connect_timeout: float = 0.5
    timeout: float = 0.5
    max_connections: int = 50
    backoff: float = 1.0
    max_backoff: float = 15.0
    client_name: str | None = None
    ssl: dict[str, Any] = field(default_factory=dict)
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"RedisConfig({self.display}, namespace={self.namespace!r})"

    @property
    def display(self) -> str:
        """The URL without secrets, for messages: ``redis://user:***@host:6379/0``."""
        credentials = ""
        if self.username or self.password:
            credentials = f"{self.username or ''}{':***' if self.password else ''}@"
        if self.scheme == "unix":
            return f"unix://{credentials}{self.path}?db={self.db}"
        host = f"[{self.host}]" if self.host and ":" in self.host else self.host
        return f"{self.scheme}://{credentials}{host}:{self.port}/{self.db}"

    def connection_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for a redis-py connection pool (the password included)."""
        from redis.asyncio import Connection, SSLConnection, UnixDomainSocketConnection
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        kwargs: dict[str, Any] = {
            "db": self.db,
            "username": self.username,
            "password": self.password,
            "client_name": self.client_name,
            "socket_connect_timeout": self.connect_timeout,
            "socket_timeout": self.timeout,
            # No retries: a failure goes to the circuit breaker at once, which skips Redis for a while.
            "retry": Retry(NoBackoff(), 0),
        }
        if self.scheme == "unix":
            kwargs.update(connection_class=UnixDomainSocketConnection, path=self.path)
        else:
            kwargs.update(
                connection_class=SSLConnection if self.scheme == "rediss" else Connection,
                host=self.host,
                port=self.port,
                **self.ssl,
            )
        return kwargs


def parse_url(url: str) -> RedisConfig:
    """The configuration a Redis URL gives; ``ConfigurationError`` saying what is wrong, never
    quoting the URL (it may hold a password)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(f"invalid Redis URL: {_safe_reason(exc, url)}") from None
    scheme = parts.scheme
    if scheme not in SCHEMES:
        raise ConfigurationError(f"a Redis URL starts with redis://, rediss:// or unix://, not {scheme}://")
    query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = sorted(set(query) - set(OPTIONS))
    if unknown:
        known = "; ".join(f"{name}: {meaning}" for name, meaning in OPTIONS.items())
        raise ConfigurationError(f"unknown option {unknown[0]!r} in the Redis URL (known options: {known})")
    username = unquote(parts.username) if parts.username else query.get("username") or None
    password = unquote(parts.password) if parts.password else query.get("password") or None
    register_secret(password)

    ssl = _ssl_options(query, scheme)
    if scheme == "unix":
        path = unquote(parts.path)
        if not path or parts.hostname:
            raise ConfigurationError("a unix:// Redis URL names the socket's path: unix:///run/redis/redis.sock?db=0")
        host, db = None, _integer(query, "db", 0, minimum=0)
    else:
        path = None
        host = unquote(parts.hostname) if parts.hostname else "localhost"
        port = port or 6379
        db = _database(parts.path, query)
    backoff = _seconds(query, "backoff", 1.0)
    return RedisConfig(
        scheme=scheme,
        host=host,
        port=None if scheme == "unix" else port,
        path=path,
        db=db,
        namespace=_namespace(query.get("namespace", DEFAULT_NAMESPACE)),
        ttl=_seconds(query, "ttl", 0.0) if "ttl" in query else None,
        connect_timeout=_seconds(query, "connect_timeout", 0.5),
        timeout=_seconds(query, "timeout", 0.5),
        max_connections=_integer(query, "max_connections", 50, minimum=1),
        backoff=backoff,
        max_backoff=max(backoff, _seconds(query, "max_backoff", 15.0)),
        client_name=query.get("client_name") or None,
        ssl=ssl,
        username=username,
        password=password,
    )


def _safe_reason(exc: ValueError, url: str) -> str:
    reason = str(exc)
    try:
        secret = urlsplit(url).password
    except ValueError:
        secret = None
    return reason.replace(secret, "***") if secret else reason


def _database(path: str, query: dict[str, str]) -> int:
    text = unquote(path).strip("/")
    if text and "db" in query:
        raise ConfigurationError("the Redis URL gives the database twice: as its path and as ?db=")
    if not text:
        return _integer(query, "db", 0, minimum=0)
    if not text.isdigit():
        raise ConfigurationError(f"the path of a Redis URL is the database number, not {text!r}")
    return int(text)


def _namespace(value: str) -> str:
    if not value or any(ch.isspace() for ch in value):
        raise ConfigurationError(f"the Redis namespace must be a non-empty word without spaces, not {value!r}")
    return value


def _seconds(query: dict[str, str], name: str, default: float) -> float:
    if name not in query:
        return default
    try:
        value = float(query[name])
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ConfigurationError(f"?{name}= in a Redis URL is a number of seconds above 0, not {query[name]!r}")
    return value


def _integer(query: dict[str, str], name: str, default: int, *, minimum: int) -> int:
    if name not in query:
        return default
    text = query[name]
    if not text.isdigit() or int(text) < minimum:
        raise ConfigurationError(f"?{name}= in a Redis URL is a whole number of at least {minimum}, not {text!r}")
    return int(text)


def _ssl_options(query: dict[str, str], scheme: str) -> dict[str, Any]:
    given = {name: value for name, value in query.items() if name.startswith("ssl_")}
    if not given:
        return {"ssl_check_hostname": True} if scheme == "rediss" else {}
    if scheme != "rediss":
        raise ConfigurationError(f"?{sorted(given)[0]}= is for TLS connections: use a rediss:// URL")
    options: dict[str, Any] = {}
    requirement = given.get("ssl_cert_reqs", "required").lower()
    if requirement not in ("none", "optional", "required"):
        raise ConfigurationError(f"?ssl_cert_reqs= is none, optional or required, not {requirement!r}")
    options["ssl_cert_reqs"] = requirement
    for name in ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile"):
        if given.get(name):
            options[name] = given[name]
    check = given.get("ssl_check_hostname", "true" if requirement == "required" else "false").lower()
    if check not in _BOOLEANS:
        raise ConfigurationError(f"?ssl_check_hostname= is true or false, not {check!r}")
    options["ssl_check_hostname"] = _BOOLEANS[check]
    return options
