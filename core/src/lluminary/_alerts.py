"""Where a budget alert goes: a WARNING log line, the user's callbacks (sync or async), and an
optional webhook (a JSON POST made on a thread of its own, so no call waits on a slow or dead
endpoint). A failing callback or webhook is logged and never breaks the call that crossed the
threshold. The webhook URL may carry a token (Slack's do), so only its scheme and host are logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ._errors import ConfigurationError

if TYPE_CHECKING:
    from ._budgets import BudgetAlert

__all__ = ["AlertCallback", "Alerts", "logger"]

logger = logging.getLogger("lluminary.budget")

AlertCallback = Callable[["BudgetAlert"], Any]
#: Seconds a webhook POST may take before it is given up (and logged).
DEFAULT_WEBHOOK_TIMEOUT = 5.0


class Alerts:
    """Sends :class:`BudgetAlert` s to the log, ``callbacks`` and ``webhook``."""

    def __init__(
        self,
        callbacks: AlertCallback | Iterable[AlertCallback] = (),
        webhook: str | None = None,
        *,
        webhook_timeout: float = DEFAULT_WEBHOOK_TIMEOUT,
    ) -> None:
        self.callbacks: Sequence[AlertCallback] = (callbacks,) if callable(callbacks) else tuple(callbacks)
        for callback in self.callbacks:
            if not callable(callback):
                raise ConfigurationError(f"on_budget_alert takes callables, not {callback!r}")
        if webhook is not None:
            from urllib.parse import urlsplit

            parts = urlsplit(webhook)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigurationError("budget_webhook must be an http:// or https:// URL with a host")
        self.webhook = webhook
        self.webhook_timeout = webhook_timeout
        self._posts: list[threading.Thread] = []

    def __repr__(self) -> str:
        return f"<Alerts callbacks={len(self.callbacks)} webhook={self.shown_webhook!r}>"

    @property
    def shown_webhook(self) -> str | None:
        if self.webhook is None:
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(self.webhook)
        return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"

    async def send(self, alert: BudgetAlert) -> None:
        import inspect

        logger.warning(
            "budget %s passed %g%% in period %s: $%.6f of $%.6f",
            alert.name,
            alert.threshold * 100,
            alert.period,
            alert.spent_usd,
            alert.limit_usd,
        )
        for callback in self.callbacks:
            try:
                outcome = callback(alert)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception as exc:  # noqa: BLE001 - an alert never breaks the call
                logger.warning("budget alert callback %r failed: %s: %s", callback, type(exc).__name__, exc)
        if self.webhook is not None:
            self._post(alert)

    def _post(self, alert: BudgetAlert) -> None:
        import json

        body = json.dumps(alert.to_dict()).encode()
        thread = threading.Thread(target=self._deliver, args=(body,), name="lluminary-budget-webhook", daemon=True)
        self._posts = [t for t in self._posts if t.is_alive()]
        self._posts.append(thread)
        thread.start()

    def _deliver(self, body: bytes) -> None:
        import urllib.request

        assert self.webhook is not None
        request = urllib.request.Request(
            self.webhook,
            data=body,
            headers={"content-type": "application/json", "user-agent": "lluminary-budget-alerts"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.webhook_timeout) as answer:
                answer.read()
        except Exception as exc:  # noqa: BLE001 - logged, never raised
            reason = getattr(exc, "reason", None) or getattr(exc, "code", None) or exc
            logger.warning("budget webhook to %s failed: %s: %s", self.shown_webhook, type(exc).__name__, reason)

    @property
    def posting(self) -> bool:
        """Whether a webhook POST is under way."""
        return any(thread.is_alive() for thread in self._posts)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the webhook POSTs under way (closing a client does, briefly)."""
        for thread in list(self._posts):
            thread.join(timeout)
