"""Model names to deployments: aliases, load balancing, and the order failures fall back in."""

from __future__ import annotations

import itertools

from .config import Alias, Deployment, GatewayConfig
from .errors import not_found


class Router:
    """Resolves a client's model name. An alias's deployments are tried in the order the
    strategy picks (round-robin: rotate the first; least-busy: fewest calls in flight in this
    process first), then its fallbacks' deployments, each alias once."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self._turns = {name: itertools.count() for name in config.aliases}
        self._busy: dict[int, int] = {}

    def names(self) -> list[str]:
        return list(self.config.aliases)

    def known(self, model: str) -> bool:
        return model in self.config.aliases or (self.config.allow_any_model and ":" in model)

    def plan(self, model: str) -> list[Deployment]:
        """Every deployment to try for ``model``, first choice first; 404 for an unknown name."""
        if not self.known(model):
            raise not_found(f"the model {model!r} does not exist or is not served by this gateway")
        plan: list[Deployment] = []
        seen: set[str] = set()
        self._extend(model, plan, seen)
        return plan

    def _extend(self, model: str, plan: list[Deployment], seen: set[str]) -> None:
        if model in seen:
            return
        seen.add(model)
        alias = self.config.aliases.get(model)
        if alias is None:
            plan.append(Deployment(model))
            return
        plan.extend(self._ordered(alias))
        for fallback in alias.fallbacks:
            self._extend(fallback, plan, seen)

    def _ordered(self, alias: Alias) -> list[Deployment]:
        deployments = list(alias.deployments)
        if len(deployments) == 1:
            return deployments
        if alias.strategy == "least-busy":
            return sorted(deployments, key=lambda d: self._busy.get(id(d), 0))
        start = next(self._turns[alias.name]) % len(deployments)
        return deployments[start:] + deployments[:start]

    def busy(self, deployment: Deployment) -> Busy:
        """Counts ``deployment``'s calls in flight while the block runs (for least-busy)."""
        return Busy(self._busy, id(deployment))


class Busy:
    """``with router.busy(deployment):`` one more call in flight (a class, not a generator:
    it runs on every call)."""

    __slots__ = ("counts", "key")

    def __init__(self, counts: dict[int, int], key: int) -> None:
        self.counts = counts
        self.key = key

    def __enter__(self) -> None:
        self.counts[self.key] = self.counts.get(self.key, 0) + 1

    def __exit__(self, *exc_info: object) -> None:
        self.counts[self.key] -= 1
