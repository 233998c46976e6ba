"""Virtual keys: issued by the admin API, stored hashed, looked up on every request.

A key is ``sk-gw-`` and 32 random bytes; only its SHA-256 is stored, and only its first
characters (``prefix``) are ever shown again. A fast hash is right here, unlike for passwords:
the key has 256 bits of entropy, so there is nothing to guess. ``id`` (the hash's first 16 hex
digits) names the key in the admin API.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import attrs

from .errors import bad_request

KEY_PREFIX = "sk-gw-"
PERIODS = ("hour", "day", "week", "month", "total")


@attrs.frozen
class VirtualKey:
    """What the gateway knows of a key (never the key itself)."""

    hash: str
    name: str = ""
    prefix: str = ""
    models: tuple[str, ...] = ()
    budget: float | None = None
    budget_period: str = "total"
    rpm: int | None = None
    tpm: int | None = None
    created: float = 0.0
    revoked: bool = False
    #: fractions of ``budget`` that alert once each per period; None: the config's defaults
    budget_alerts: tuple[float, ...] | None = None

    @property
    def id(self) -> str:
        return self.hash[:16]

    def allows(self, model: str) -> bool:
        return not self.models or model in self.models

    def to_json(self) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "name": self.name,
            "prefix": self.prefix,
            "models": list(self.models),
            "budget": self.budget,
            "budget_period": self.budget_period,
            "rpm": self.rpm,
            "tpm": self.tpm,
            "created": self.created,
            "revoked": self.revoked,
            "budget_alerts": None if self.budget_alerts is None else list(self.budget_alerts),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VirtualKey:
        return cls(
            hash=data["hash"],
            name=data.get("name", ""),
            prefix=data.get("prefix", ""),
            models=tuple(data.get("models") or ()),
            budget=data.get("budget"),
            budget_period=data.get("budget_period", "total"),
            rpm=data.get("rpm"),
            tpm=data.get("tpm"),
            created=data.get("created", 0.0),
            revoked=bool(data.get("revoked")),
            budget_alerts=None if data.get("budget_alerts") is None else tuple(data["budget_alerts"]),
        )

    def public(self) -> dict[str, Any]:
        """What the admin API shows: everything but the hash."""
        shown = self.to_json()
        del shown["hash"]
        return {"id": self.id, **shown}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key(spec: Any) -> tuple[str, VirtualKey]:
    """A fresh key and its record, from the admin API's JSON body."""
    if not isinstance(spec, Mapping):
        raise bad_request("the body must be a JSON object")
    unknown = sorted(set(spec) - {"name", "models", "budget", "budget_period", "budget_alerts", "rpm", "tpm"})
    if unknown:
        raise bad_request(f"unknown field {unknown[0]!r}", param=unknown[0])
    name = spec.get("name", "")
    models = spec.get("models") or []
    if not isinstance(name, str):
        raise bad_request("name must be a string", param="name")
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
        raise bad_request("models must be a list of model names", param="models")
    budget = spec.get("budget")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float)) or budget < 0):
        raise bad_request("budget must be a number of US dollars, at least 0", param="budget")
    period = spec.get("budget_period", "total")
    if period not in PERIODS:
        raise bad_request(f"budget_period must be one of {', '.join(PERIODS)}", param="budget_period")
    alerts = _alerts(spec.get("budget_alerts"))
    limits = {}
    for field in ("rpm", "tpm"):
        value = spec.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise bad_request(f"{field} must be a whole number of at least 1", param=field)
        limits[field] = value
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = VirtualKey(
        hash_key(key),
        name,
        key[: len(KEY_PREFIX) + 4],
        tuple(models),
        None if budget is None else float(budget),
        period,
        limits["rpm"],
        limits["tpm"],
        time.time(),
        budget_alerts=alerts,
    )
    return key, record


def _alerts(value: Any) -> tuple[float, ...] | None:
    """A key's alert thresholds: None (the config's), or fractions of its budget above 0."""
    if value is None:
        return None
    from lluminary import ConfigurationError
    from lluminary.sdk import alert_thresholds

    if not isinstance(value, list):
        raise bad_request(
            "budget_alerts must be a list of fractions of the budget, e.g. [0.5, 0.8, 1.0]", param="budget_alerts"
        )
    try:
        return alert_thresholds(value)
    except ConfigurationError as exc:
        raise bad_request(f"budget_alerts: {exc}", param="budget_alerts") from None


class KeyStore(Protocol):
    """Where key records live; every gateway process that shares it sees the same keys."""

    async def put(self, key: VirtualKey) -> None: ...

    async def get(self, key_hash: str) -> VirtualKey | None: ...

    async def all(self) -> Sequence[VirtualKey]: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


class MemoryKeys:
    """Keys in this process (tests, a single process that may forget its keys)."""

    def __init__(self) -> None:
        self._keys: dict[str, VirtualKey] = {}

    async def put(self, key: VirtualKey) -> None:
        self._keys[key.hash] = key

    async def get(self, key_hash: str) -> VirtualKey | None:
        return self._keys.get(key_hash)

    async def all(self) -> Sequence[VirtualKey]:
        return list(self._keys.values())

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None


class SQLiteKeys:
    """Keys in a SQLite file, for one gateway process (its counters stay in memory)."""

    def __init__(self, path: str) -> None:
        import sqlite3

        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("CREATE TABLE IF NOT EXISTS gateway_keys (hash TEXT PRIMARY KEY, record TEXT NOT NULL)")
        self._lock = asyncio.Lock()

    async def put(self, key: VirtualKey) -> None:
        from lluminary.sdk import dumps_str

        async with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO gateway_keys (hash, record) VALUES (?, ?)", (key.hash, dumps_str(key.to_json()))
            )

    async def get(self, key_hash: str) -> VirtualKey | None:
        from lluminary.sdk import loads

        row = self._db.execute("SELECT record FROM gateway_keys WHERE hash = ?", (key_hash,)).fetchone()
        return None if row is None else VirtualKey.from_json(loads(row[0]))

    async def all(self) -> Sequence[VirtualKey]:
        from lluminary.sdk import loads

        return [VirtualKey.from_json(loads(row[0])) for row in self._db.execute("SELECT record FROM gateway_keys")]

    async def ping(self) -> None:
        self._db.execute("SELECT 1")

    async def close(self) -> None:
        self._db.close()


class RedisKeys:
    """Keys in one Redis hash, ``lluminary:gateway:keys`` (field: the key's SHA-256)."""

    HASH = "lluminary:gateway:keys"

    def __init__(self, url: str) -> None:
        import redis.asyncio

        self._redis = redis.asyncio.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    async def put(self, key: VirtualKey) -> None:
        from lluminary.sdk import dumps

        await self._redis.hset(self.HASH, key.hash, dumps(key.to_json()))

    async def get(self, key_hash: str) -> VirtualKey | None:
        from lluminary.sdk import loads

        raw = await self._redis.hget(self.HASH, key_hash)
        return None if raw is None else VirtualKey.from_json(loads(raw))

    async def all(self) -> Sequence[VirtualKey]:
        from lluminary.sdk import loads

        found = await self._redis.hgetall(self.HASH)
        return [VirtualKey.from_json(loads(raw)) for raw in found.values()]

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


def open_keys(url: str) -> KeyStore:
    """The key store for a ``keys:`` URL."""
    if url.startswith("sqlite://"):
        import os.path

        # sqlite:///var/lib/gateway/keys.db is the absolute path /var/lib/gateway/keys.db
        return SQLiteKeys(os.path.expanduser(url[len("sqlite://") :].replace("/~", "~", 1)))
    if url.startswith("memory://"):
        return MemoryKeys()
    return RedisKeys(url)
