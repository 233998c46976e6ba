"""The Redis cost ledger: every call's cost record, appended to one Redis stream,
``{namespace}:costs``, for ``lluminary costs --ledger redis://...``.

Why a stream, and not per-day aggregates: a report groups by model, provider, operation, day
*or any tag*, chosen when it is read; aggregates would have to guess the groupings when written
(one counter per tag value per day, for every tag a caller ever sends). A stream keeps the
records themselves, appended atomically by any number of processes with one ``XADD``, in the
order Redis received them; its entry ids are Redis's clock in milliseconds, so a time range is
one ``XRANGE`` (read a page at a time), and ``?ttl=`` (seconds) trims records older than that on
each write (``XADD ... MINID ~``), so the stream never grows without bound. A record is about
250 bytes: a million calls take a quarter of a gigabyte until trimmed.

Recording never waits on Redis: records go to a buffer that a task of the caller's event loop
writes in pipelined batches. While Redis is down the buffer keeps up to :data:`MAX_BUFFERED`
records (then drops the oldest, with one warning) and writes them when it is back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lluminary.sdk import CostRecord

from .config import RedisConfig
from .errors import RedisUnavailableError
from .link import Link

if TYPE_CHECKING:
    from redis.asyncio import Redis

LOG = logging.getLogger("lluminary_redis")
#: Records held while Redis cannot be written to.
MAX_BUFFERED = 100_000
#: Records per pipelined write, and per page when reading.
BATCH = 500
#: Seconds of clock difference between this machine and Redis that a time range tolerates.
CLOCK_MARGIN = 300.0


class RedisCostLedger:
    """A ``lluminary.CostLedger`` on a Redis stream: ``redis://host:6379/0?namespace=app&ttl=7776000``."""

    def __init__(self, config: RedisConfig) -> None:
        self.config = config
        self.key = f"{config.namespace}:costs"
        self._link = Link(config, f"Redis cost ledger at {config.display}")
        self._buffer: list[str] = []
        self._writer: asyncio.Task[None] | None = None
        self._dropped = 0

    def __repr__(self) -> str:
        return f"<RedisCostLedger {self.config.display} key={self.key!r}>"

    # ------------------------------------------------------------------ the protocol

    def record(self, entry: CostRecord) -> None:
        buffer = self._buffer
        buffer.append(json.dumps(entry.to_dict(), separators=(",", ":")))
        if len(buffer) > MAX_BUFFERED:
            del buffer[: len(buffer) - MAX_BUFFERED]
            if not self._dropped:
                LOG.warning("%r: Redis is unreachable and the buffer is full; the oldest records are dropped", self)
            self._dropped += 1
        writer = self._writer
        if writer is None or writer.done():
            try:
                self._writer = asyncio.get_running_loop().create_task(self._write_all())
            except RuntimeError:  # no loop here: flush() writes them
                pass

    async def records(self, *, since: float | None = None, until: float | None = None) -> Sequence[CostRecord]:
        await self.flush()
        start = "-" if since is None else str(max(0, int((since - CLOCK_MARGIN) * 1000)))
        end = "+" if until is None else str(int((until + CLOCK_MARGIN) * 1000))
        found: list[CostRecord] = []
        while True:
            page = await self._run(lambda redis, s=start: redis.xrange(self.key, s, end, count=BATCH))
            for _entry_id, fields in page:
                entry = _decode(fields)
                if (
                    entry is not None
                    and (since is None or entry.time >= since)
                    and (until is None or entry.time < until)
                ):
                    found.append(entry)
            if len(page) < BATCH:
                break
            start = "(" + _text(page[-1][0])
        found.sort(key=lambda e: e.time)
        return found

    async def flush(self) -> None:
        writer = self._writer
        if writer is not None and not writer.done() and writer.get_loop() is asyncio.get_running_loop():
            await writer
        if self._buffer:
            await self._write_all()

    async def close(self) -> None:
        try:
            await self.flush()
        finally:
            await self._link.close()

    # ------------------------------------------------------------------ inside

    async def _write_all(self) -> None:
        """Write the buffer in batches; on an outage keep what is left for the next try."""
        while self._buffer:
            batch = self._buffer[:BATCH]
            del self._buffer[:BATCH]
            try:
                await self._run(lambda redis, b=batch: self._append(redis, b))
            except RedisUnavailableError as exc:
                self._buffer[:0] = batch
                if exc.first:
                    LOG.warning("%r: %d cost records wait for Redis: %s", self, len(self._buffer), exc)
                return
            except Exception as exc:  # noqa: BLE001 - a ledger never breaks a call
                LOG.warning("%r: %d cost records lost: %s: %s", self, len(batch), type(exc).__name__, exc)
        self._dropped = 0

    async def _append(self, redis: Redis, batch: list[str]) -> None:
        ttl = self.config.ttl
        oldest = int((time.time() - ttl) * 1000) if ttl else None
        pipe = redis.pipeline(transaction=False)
        for item in batch:
            pipe.xadd(self.key, {"r": item}, minid=oldest, approximate=True)
        await pipe.execute()

    async def _run(self, operation: Any) -> Any:
        return await self._link.run(operation)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _decode(fields: dict[Any, Any]) -> CostRecord | None:
    raw = fields.get(b"r", fields.get("r"))
    try:
        if raw is None:
            raise ValueError("the entry has no 'r' field")
        return CostRecord.from_dict(json.loads(raw))
    except (TypeError, ValueError) as exc:
        LOG.warning("a cost record in Redis could not be read (skipped): %s", exc)
        return None
