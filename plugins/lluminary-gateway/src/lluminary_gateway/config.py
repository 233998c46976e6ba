"""The gateway's config file, YAML or TOML, read into frozen values and checked once at start.

Credentials are never in the file: it names environment variables (``api_key_env``,
``master_key_env``), and the values are read here into :class:`lluminary.Secret` s, which no
repr, log line or error shows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from lluminary import ConfigurationError, Secret

#: 4 MiB: room for a long conversation with a few images, far below what would hurt the process.
DEFAULT_MAX_BODY = 4 * 1024 * 1024
STRATEGIES = ("round-robin", "least-busy")


@attrs.frozen
class Deployment:
    """One place a model is served: ``model`` is lluminary's ``provider:model``."""

    model: str
    base_url: str | None = None
    api_key: Secret | None = attrs.field(default=None, repr=False)
    timeout: float | None = None

    def call_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.base_url is not None:
            options["base_url"] = self.base_url
        if self.api_key is not None:
            options["api_key"] = self.api_key
        if self.timeout is not None:
            options["timeout"] = self.timeout
        return options


@attrs.frozen
class Alias:
    """A model name clients use, served by one or more deployments, then by ``fallbacks``
    (other aliases or ``provider:model`` names) when every deployment failed."""

    name: str
    deployments: tuple[Deployment, ...]
    strategy: str = "round-robin"
    fallbacks: tuple[str, ...] = ()


@attrs.frozen
class GatewayConfig:
    aliases: Mapping[str, Alias] = attrs.field(factory=dict)
    #: whether ``provider:model`` names that are not aliases are served too
    allow_any_model: bool = True
    providers: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, repr=False)
    prices: Mapping[str, Mapping[str, float]] = attrs.field(factory=dict)
    cache: str | None = None
    exporters: tuple[str, ...] = ()
    #: where virtual keys live: ``redis://...``, ``sqlite:///path``, ``memory://``; None: no keys
    keys: str | None = None
    master_key: Secret | None = attrs.field(default=None, repr=False)
    max_body_bytes: int = DEFAULT_MAX_BODY
    retries: int = 2
    deadline: float | None = 600.0
    #: when the counter store is down: let calls through uncounted (True) or answer 503 (False)
    fail_open: bool = False
    #: fractions of a key's budget that alert once each per period (a key may set its own)
    budget_alerts: tuple[float, ...] = (0.5, 0.8, 1.0)
    #: where budget alerts are POSTed as JSON besides the log (its path may hold a token)
    budget_webhook: str | None = attrs.field(default=None, repr=False)
    budget_webhook_timeout: float = 5.0
    host: str = "127.0.0.1"
    port: int = 4000
    workers: int = 1

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments of the gateway's :class:`lluminary.Client`."""
        from lluminary import RetryPolicy

        return {
            "cache": self.cache or False,
            "exporters": list(self.exporters),
            "providers": {name: dict(settings) for name, settings in self.providers.items()},
            "prices": {model: dict(price) for model, price in self.prices.items()},
            "retries": RetryPolicy(max_attempts=max(1, self.retries)),
            "deadline": self.deadline,
            "allow_unpriced": True,
        }


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> GatewayConfig:
    """Read ``path`` (``.yaml``/``.yml`` or ``.toml``) and check it; ``ConfigurationError`` names
    what is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read the gateway config {str(path)!r}: {exc.strerror}") from None
    if path.suffix in (".yaml", ".yml"):
        import yaml  # type: ignore[import-untyped, unused-ignore]

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigurationError(f"{path.name} is not valid YAML: {exc}") from None
    elif path.suffix == ".toml":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{path.name} is not valid TOML: {exc}") from None
    else:
        raise ConfigurationError(f"the gateway config must be .yaml, .yml or .toml, not {path.name!r}")
    return parse_config(data or {}, os.environ if environ is None else environ)


_TOP_KEYS = {
    "models",
    "allow_any_model",
    "providers",
    "prices",
    "cache",
    "exporters",
    "keys",
    "master_key_env",
    "max_body_bytes",
    "retries",
    "deadline",
    "fail_open",
    "budget_alerts",
    "budget_webhook",
    "budget_webhook_timeout",
    "host",
    "port",
    "workers",
}


def parse_config(data: Any, environ: Mapping[str, str]) -> GatewayConfig:
    """The config from its parsed document (a mapping)."""
    if not isinstance(data, Mapping):
        raise ConfigurationError("the gateway config must be a mapping at the top")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigurationError(
            f"unknown key {unknown[0]!r} in the gateway config (known: {', '.join(sorted(_TOP_KEYS))})"
        )
    aliases = {name: _alias(name, spec, environ) for name, spec in _mapping(data, "models").items()}
    for alias in aliases.values():
        for fallback in alias.fallbacks:
            if fallback not in aliases and ":" not in fallback:
                raise ConfigurationError(
                    f"models.{alias.name}.fallbacks: {fallback!r} is neither an alias nor provider:model"
                )
    master_env = _optional(data, "master_key_env", str)
    master: Secret | None = None
    if master_env is not None:
        value = environ.get(master_env)
        if not value:
            raise ConfigurationError(f"master_key_env names {master_env}, which is not set")
        master = _secret(value)
    keys = _optional(data, "keys", str)
    if keys is not None and not keys.startswith(("redis://", "rediss://", "unix://", "sqlite://", "memory://")):
        raise ConfigurationError("keys must be a redis://, rediss://, unix://, sqlite:/// or memory:// URL")
    if keys is not None and master is None:
        raise ConfigurationError("virtual keys need a master key for the admin API: set master_key_env")
    exporters = data.get("exporters", [])
    if (
        not isinstance(exporters, Sequence)
        or isinstance(exporters, str)
        or not all(isinstance(e, str) for e in exporters)
    ):
        raise ConfigurationError("exporters must be a list of exporter names")
    return GatewayConfig(
        aliases=aliases,
        allow_any_model=_optional(data, "allow_any_model", bool, True),
        providers={name: _provider(name, spec, environ) for name, spec in _mapping(data, "providers").items()},
        prices={model: _price(model, spec) for model, spec in _mapping(data, "prices").items()},
        cache=_optional(data, "cache", str),
        exporters=tuple(exporters),
        keys=keys,
        master_key=master,
        max_body_bytes=_positive(data, "max_body_bytes", DEFAULT_MAX_BODY),
        retries=_positive(data, "retries", 2),
        deadline=_optional(data, "deadline", (int, float), 600.0),
        fail_open=_optional(data, "fail_open", bool, False),
        budget_alerts=_thresholds(data.get("budget_alerts", [0.5, 0.8, 1.0])),
        budget_webhook=_webhook(data),
        budget_webhook_timeout=_seconds(data, "budget_webhook_timeout", 5.0),
        host=_optional(data, "host", str, "127.0.0.1"),
        port=_positive(data, "port", 4000),
        workers=_positive(data, "workers", 1),
    )


def _thresholds(value: Any) -> tuple[float, ...]:
    from lluminary.sdk import alert_thresholds

    if not isinstance(value, list):
        raise ConfigurationError("budget_alerts must be a list of fractions of a key's budget, e.g. [0.5, 0.8, 1.0]")
    try:
        return alert_thresholds(value)
    except ConfigurationError as exc:
        raise ConfigurationError(f"budget_alerts: {exc}") from None


def _webhook(data: Mapping[str, Any]) -> str | None:
    url: str | None = _optional(data, "budget_webhook", str)
    if url is not None:
        from lluminary.sdk import Alerts

        Alerts(webhook=url)  # checks it: an http(s) URL with a host
    return url


def _seconds(data: Mapping[str, Any], key: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 300:
        raise ConfigurationError(f"{key} must be a number of seconds above 0 and at most 300, not {value!r}")
    return float(value)


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{key} must be a mapping")
    return value


def _optional(data: Mapping[str, Any], key: str, kind: Any, default: Any = None) -> Any:
    value = data.get(key, default)
    if value is not None and (not isinstance(value, kind) or (kind is not bool and isinstance(value, bool))):
        raise ConfigurationError(f"{key} has the wrong type: {type(value).__name__}")
    return value


def _positive(data: Mapping[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{key} must be a whole number of at least 1, not {value!r}")
    return value


def _secret_from(where: str, spec: Mapping[str, Any], environ: Mapping[str, str]) -> Secret | None:
    if "api_key" in spec:
        raise ConfigurationError(f"{where}: put keys in the environment and name the variable with api_key_env")
    name = spec.get("api_key_env")
    if name is None:
        return None
    value = environ.get(str(name))
    if not value:
        raise ConfigurationError(f"{where}.api_key_env names {name}, which is not set")
    return _secret(value)


def _secret(value: str) -> Secret:
    """``value`` as a :class:`Secret` that every redacted message scrubs too."""
    from lluminary.sdk import register_secret

    register_secret(value)
    return Secret(value)


def _deployment(where: str, spec: Any, environ: Mapping[str, str]) -> Deployment:
    if isinstance(spec, str):
        spec = {"model": spec}
    if not isinstance(spec, Mapping) or not isinstance(spec.get("model"), str) or ":" not in spec["model"]:
        raise ConfigurationError(f"{where}: a deployment needs model: provider:model")
    unknown = sorted(set(spec) - {"model", "base_url", "api_key", "api_key_env", "timeout"})
    if unknown:
        raise ConfigurationError(f"{where}: unknown key {unknown[0]!r}")
    timeout = spec.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ConfigurationError(f"{where}.timeout must be a number of seconds above 0")
    return Deployment(spec["model"], spec.get("base_url"), _secret_from(where, spec, environ), timeout)


def _alias(name: str, spec: Any, environ: Mapping[str, str]) -> Alias:
    where = f"models.{name}"
    if isinstance(spec, (str, list)):
        spec = {"deployments": spec if isinstance(spec, list) else [spec]}
    if not isinstance(spec, Mapping):
        raise ConfigurationError(f"{where} must be a provider:model, a list of deployments, or a mapping")
    unknown = sorted(set(spec) - {"deployments", "strategy", "fallbacks"})
    if unknown:
        raise ConfigurationError(f"{where}: unknown key {unknown[0]!r}")
    raw = spec.get("deployments")
    if isinstance(raw, (str, Mapping)):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise ConfigurationError(f"{where}.deployments must list at least one deployment")
    strategy = spec.get("strategy", "round-robin")
    if strategy not in STRATEGIES:
        raise ConfigurationError(f"{where}.strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    fallbacks = spec.get("fallbacks", [])
    if isinstance(fallbacks, str):
        fallbacks = [fallbacks]
    if not isinstance(fallbacks, list) or not all(isinstance(f, str) for f in fallbacks):
        raise ConfigurationError(f"{where}.fallbacks must be a list of model names")
    deployments = tuple(_deployment(f"{where}.deployments[{i}]", d, environ) for i, d in enumerate(raw))
    return Alias(name, deployments, strategy, tuple(fallbacks))


def _provider(name: str, spec: Any, environ: Mapping[str, str]) -> Mapping[str, Any]:
    where = f"providers.{name}"
    if not isinstance(spec, Mapping):
        raise ConfigurationError(f"{where} must be a mapping of provider settings")
    settings = {key: value for key, value in spec.items() if key != "api_key_env"}
    secret = _secret_from(where, spec, environ)
    if secret is not None:
        settings["api_key"] = secret
    return settings


def _price(model: str, spec: Any) -> Mapping[str, float]:
    if not isinstance(spec, Mapping) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in spec.values()
    ):
        raise ConfigurationError(f"prices.{model} must map input/output/... to US dollars per million tokens")
    return {key: float(value) for key, value in spec.items()}
