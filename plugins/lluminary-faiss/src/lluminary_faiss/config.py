"""The build options in force for a store directory: those stored by its first write, else those
its URL gives, else the defaults — and the check that a URL does not contradict them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lluminary.sdk import ConfigurationError, Metric

from .native import Space
from .options import DEFAULT_EF_CONSTRUCTION, DEFAULT_M, Durability, FaissOptions, IndexKind

#: Options fixed by the first write, with the settings key each is stored under.
BUILD_OPTIONS = ("index", "metric", "m", "ef_construction", "dim")


@dataclass
class Config:
    """What a store directory is built with. ``dim`` is None until the first upsert (or ``dim=``);
    ``stored``: whether the settings are in SQLite yet (they are written with the first records)."""

    directory: str
    index: IndexKind
    metric: Metric
    m: int
    ef_construction: int
    dim: int | None
    threads: int | None
    stored: bool
    durability: Durability = "call"

    @property
    def space(self) -> Space:
        """What FAISS computes: inner products for cosine (on unit vectors) and dot, else L2."""
        return "l2" if self.metric == "l2" else "ip"

    @classmethod
    def resolve(cls, options: FaissOptions, stored: dict[str, Any]) -> Config:
        """The settings ``stored`` in the directory, completed by ``options`` and the defaults; an
        option that contradicts a stored setting is a ConfigurationError naming it."""
        given = {name: getattr(options, name) for name in BUILD_OPTIONS}
        for name, value in given.items():
            if value is not None and stored.get(name) is not None and stored[name] != value:
                raise _conflict(options, name, value, stored[name], "was built with")

        def pick(name: str) -> Any:
            return stored[name] if stored.get(name) is not None else given[name]

        index: IndexKind = pick("index") or "flat"
        if index == "flat":
            for name in ("m", "ef_construction"):
                if given[name] is not None:
                    raise ConfigurationError(
                        f"store URL {options.url()!r}: the option {name!r} applies to index=hnsw only, "
                        f"and the store at {options.directory} is a flat index"
                    )
        return cls(
            directory=options.directory,
            index=index,
            metric=pick("metric") or "cosine",
            m=pick("m") or DEFAULT_M,
            ef_construction=pick("ef_construction") or DEFAULT_EF_CONSTRUCTION,
            dim=pick("dim"),
            threads=options.threads,
            stored=bool(stored.get("index")),
            durability=options.durability,
        )

    def check(self, options: FaissOptions) -> None:
        """Raise ConfigurationError if ``options`` (another open of this directory in this
        process) ask for something else than this store is."""
        for name in (*BUILD_OPTIONS, "threads"):
            value = getattr(options, name)
            if name in ("m", "ef_construction") and self.index == "flat":
                mine: Any = None
            else:
                mine = getattr(self, name)
            if value is not None and value != mine:
                raise _conflict(options, name, value, mine, "is open in this process with")
        if options.durability != self.durability:  # always compared: leaving it out asks for "call"
            raise ConfigurationError(
                f"store URL {options.url()!r}: durability={options.durability} but the store at {options.directory} "
                f"is open in this process with durability={self.durability} (its handles share one store: "
                "give them the same durability)"
            )

    def settings(self) -> dict[str, Any]:
        """What the first write stores."""
        values: dict[str, Any] = {"index": self.index, "metric": self.metric, "dim": self.dim}
        if self.index == "hnsw":
            values.update(m=self.m, ef_construction=self.ef_construction)
        return values


def _conflict(options: FaissOptions, name: str, value: Any, actual: Any, how: str) -> ConfigurationError:
    return ConfigurationError(
        f"store URL {options.url()!r}: {name}={value} but the store at {options.directory} {how} "
        f"{name}={actual} (leave {name} out of the URL, or use another directory)"
    )
