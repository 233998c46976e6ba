"""What a cost ledger keeps and promises: :class:`CostRecord` and the :class:`CostLedger`
protocol, and the in-memory ledger. Light on imports: the chain's cost step uses it on every
client, while the SQLite ledger (:mod:`lluminary._cost_ledger`) is imported only when opened."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

__all__ = ["CostLedger", "CostRecord", "MemoryCostLedger", "logger"]

logger = logging.getLogger("lluminary.costs")


@attrs.frozen
class CostRecord:
    """One call as the ledger keeps it. ``model`` is ``"provider:model"`` as priced; ``cost_usd``
    is None when the model has no price, 0.0 for a cache hit (``cached``)."""

    time: float
    operation: str
    provider: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float | None = None
    cached: bool = False
    tags: Mapping[str, str] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**attrs.asdict(self), "tags": dict(self.tags)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CostRecord:
        """The record ``data`` (from :meth:`to_dict`) holds; raises ``ValueError`` when it is not one."""
        try:
            tags = data.get("tags") or {}
            if not isinstance(tags, Mapping):
                raise TypeError("tags must be a mapping")
            cost = data.get("cost_usd")
            tokens = [int(data.get(name) or 0) for name in TOKEN_FIELDS]
            return cls(
                float(data["time"]),
                str(data["operation"]),
                str(data["provider"]),
                str(data["model"]),
                tokens[0],
                tokens[1],
                tokens[2],
                tokens[3],
                tokens[4],
                None if cost is None else float(cost),
                bool(data.get("cached")),
                {str(k): str(v) for k, v in tags.items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a cost record: {type(exc).__name__}: {exc}") from None


TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")


@runtime_checkable
class CostLedger(Protocol):
    """Where call costs are recorded and read back from."""

    def record(self, entry: CostRecord) -> None:
        """Keep ``entry``: cheap, never blocking the event loop, never raising (a failed write is
        logged by the ledger)."""

    async def records(self, *, since: float | None = None, until: float | None = None) -> Sequence[CostRecord]:
        """Every record with ``since <= time < until`` (seconds since the epoch), oldest first,
        this process's unwritten ones included."""

    async def flush(self) -> None:
        """Write what was recorded so far."""

    async def close(self) -> None:
        """Flush and let go of connections and threads."""


class MemoryCostLedger:
    """Records in a list of this process (``memory://``): for tests and short scripts."""

    def __init__(self) -> None:
        self.entries: list[CostRecord] = []

    def __repr__(self) -> str:
        return f"<MemoryCostLedger records={len(self.entries)}>"

    def record(self, entry: CostRecord) -> None:
        self.entries.append(entry)

    async def records(self, *, since: float | None = None, until: float | None = None) -> Sequence[CostRecord]:
        return [e for e in self.entries if _within(e.time, since, until)]

    async def flush(self) -> None:
        return None

    async def close(self) -> None:
        return None


def _within(moment: float, since: float | None, until: float | None) -> bool:
    return (since is None or moment >= since) and (until is None or moment < until)
