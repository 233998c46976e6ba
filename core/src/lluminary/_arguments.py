"""One check per call argument: each returns the value in its stored form or raises a
:class:`RequestValidationError` naming the argument, before any I/O."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, get_args
from urllib.parse import urlsplit

from ._errors import RequestValidationError, register_secret
from ._types import (
    EmbedInputType,
    ReasoningConfig,
    ReasoningEffort,
    Secret,
)

_EFFORTS: tuple[str, ...] = get_args(ReasoningEffort)
_INPUT_TYPES: tuple[str, ...] = get_args(EmbedInputType)


def _kind(value: object) -> str:
    return type(value).__name__


def check_model(model: object) -> str:
    if not isinstance(model, str):
        raise RequestValidationError(
            f"model must be a 'provider:model' string (e.g. 'openai:gpt-4o'), got {_kind(model)}"
        )
    provider, sep, name = model.partition(":")
    if not sep or not provider or not name:
        raise RequestValidationError(f"model must look like 'provider:model' (e.g. 'openai:gpt-4o'), got {model!r}")
    return model


def _text(name: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise RequestValidationError(f"{name} must be a string, got {_kind(value)}")
    return value


def _real(
    name: str, value: object, *, low: float | None = None, high: float | None = None, positive: bool = False
) -> float | None:
    """A finite int or float (not a bool) within the bounds; JSON has no NaN or infinity."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestValidationError(f"{name} must be a number, got {_kind(value)}")
    if not math.isfinite(value):
        raise RequestValidationError(f"{name} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise RequestValidationError(f"{name} must be greater than 0, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise RequestValidationError(f"{name} must be {bounds}, got {value!r}")
    return value


def _integer(name: str, value: object, *, minimum: int | None = None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestValidationError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise RequestValidationError(f"{name} must be at least {minimum}, got {value!r}")
    return value


def _timeout(value: object) -> float | None:
    return _real("timeout", value, positive=True)


def _stop(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (bytes, bytearray)) or not isinstance(value, Sequence):
        raise RequestValidationError(f"stop must be a string or a list of strings, got {_kind(value)}")
    if not all(isinstance(s, str) for s in value):
        raise RequestValidationError(f"stop must hold only strings, got {list(value)!r}")
    return tuple(value)


def _options(value: object) -> Mapping[str, Mapping[str, Any]]:
    """``{provider name: {field: value}}``: each provider's pass-through fields under its name."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RequestValidationError(
            f"options must map a provider name to its options (e.g. {{'openai': {{'logprobs': True}}}}), "
            f"got {_kind(value)}"
        )
    for provider, fields in value.items():
        if not isinstance(provider, str):
            raise RequestValidationError(f"options must be keyed by provider name, got the key {provider!r}")
        if not isinstance(fields, Mapping):
            raise RequestValidationError(
                f"options[{provider!r}] must be a mapping of that provider's fields "
                f"(e.g. {{{provider!r}: {{'logprobs': True}}}}), got {_kind(fields)}"
            )
    return value


def _metadata(value: object) -> Mapping[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RequestValidationError(f"metadata must be a mapping of strings to strings, got {_kind(value)}")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise RequestValidationError(
                f"metadata must map strings to strings, got {_kind(key)} -> {_kind(item)} for the key {key!r}"
            )
    return value


def _base_url(value: object) -> str | None:
    """An ``http://`` or ``https://`` URL with a host. A bare ``host:port`` (no ``://``) is read as
    ``http://host:port`` for the check and passed on as given: providers that read it the way their
    own tools do (Ollama's ``OLLAMA_HOST`` form) keep doing so."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestValidationError(f"base_url must be a string, got {_kind(value)}")
    candidate = value if "://" in value else f"http://{value}"
    try:
        parts = urlsplit(candidate)
        good = (
            parts.scheme.lower() in ("http", "https")
            and bool(parts.hostname)
            and not any(c.isspace() for c in value)
            and (parts.port is None or parts.port > 0)
        )
    except ValueError:  # a port that is no number, a broken IPv6 address
        good = False
    if not good:
        raise RequestValidationError(f"base_url must be an http:// or https:// URL with a host, got {value!r}")
    return value


def _reasoning(value: object) -> ReasoningConfig | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = ReasoningConfig(effort=value)  # type: ignore[arg-type]  # checked just below
    if not isinstance(value, ReasoningConfig):
        raise RequestValidationError(
            f"reasoning must be an effort ({', '.join(map(repr, _EFFORTS))}) or a ReasoningConfig, got {_kind(value)}"
        )
    if value.effort is not None and value.effort not in _EFFORTS:
        raise RequestValidationError(
            f"reasoning effort must be one of {', '.join(map(repr, _EFFORTS))}, got {value.effort!r}"
        )
    _integer("reasoning budget_tokens", value.budget_tokens)
    return value


def _input_type(value: object) -> EmbedInputType | None:
    if value is not None and value not in _INPUT_TYPES:
        raise RequestValidationError(f"input_type must be one of {', '.join(map(repr, _INPUT_TYPES))}, got {value!r}")
    return value  # type: ignore[return-value]  # one of the literals, checked above


def _secret(api_key: object) -> Secret | None:
    """Wrap a per-call key and register it, so that redaction knows it even when the key has no
    recognisable shape. The error never shows the value."""
    if api_key is None:
        return None
    if isinstance(api_key, str):
        secret = Secret(api_key)
    elif isinstance(api_key, Secret):
        secret = api_key
    else:
        raise RequestValidationError(f"api_key must be a string or a lluminary.Secret, got {_kind(api_key)}")
    register_secret(secret.get())
    return secret


# --------------------------------------------------------------------------- messages
