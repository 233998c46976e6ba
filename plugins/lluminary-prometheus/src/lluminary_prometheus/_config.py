"""What the exporter is told: which metadata keys become labels, how many values a label may
take, the histogram buckets. Plain Python, so reading it costs no import of prometheus_client."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from typing import Final, NamedTuple

from lluminary import ConfigurationError

TAG_LABELS_ENV: Final = "LLUMINARY_PROMETHEUS_TAG_LABELS"
MAX_LABEL_VALUES_ENV: Final = "LLUMINARY_PROMETHEUS_MAX_LABEL_VALUES"
DEFAULT_MAX_LABEL_VALUES: Final = 100
#: The value a label takes once it has seen ``max_label_values`` distinct values.
OVERFLOW: Final = "other"

#: Seconds for a whole call: a cache hit or a small embedding at the low end, a long reasoning
#: answer at the high end (each bound about 2-2.5x the one before).
LATENCY_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0)
#: Seconds to the first chunk of a stream: finer below 2 s, where interactive answers start.
TTFC_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 40.0)

#: Labels every metric may already carry: a tag label must not take one of these names.
RESERVED_LABELS: Final = frozenset(
    {"provider", "model", "operation", "status", "type", "error_type", "fallback_model", "backend", "le", "quantile"}
)
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")


class Settings(NamedTuple):
    """The exporter's settings, checked once; equal settings can share one set of metrics."""

    tag_labels: tuple[str, ...] = ()
    max_label_values: int = DEFAULT_MAX_LABEL_VALUES
    latency_buckets: tuple[float, ...] = LATENCY_BUCKETS
    ttfc_buckets: tuple[float, ...] = TTFC_BUCKETS


def resolve(
    tag_labels: Iterable[str] | None,
    max_label_values: int | None,
    latency_buckets: Sequence[float] | None,
    ttfc_buckets: Sequence[float] | None,
) -> Settings:
    """Arguments win; unset ones come from the environment, then the defaults."""
    if tag_labels is None:
        tag_labels = [part.strip() for part in os.environ.get(TAG_LABELS_ENV, "").split(",") if part.strip()]
    elif isinstance(tag_labels, str):
        raise ConfigurationError("tag_labels must be a list of metadata keys, not one string")
    tags = tuple(dict.fromkeys(tag_labels))
    for tag in tags:
        if not isinstance(tag, str) or not _LABEL_NAME.match(tag) or tag.startswith("__"):
            raise ConfigurationError(f"tag label {tag!r} is not a valid Prometheus label name")
        if tag in RESERVED_LABELS:
            raise ConfigurationError(f"tag label {tag!r} clashes with a label of lluminary's metrics")
    if max_label_values is None:
        text = os.environ.get(MAX_LABEL_VALUES_ENV, "").strip()
        try:
            max_label_values = int(text) if text else DEFAULT_MAX_LABEL_VALUES
        except ValueError:
            raise ConfigurationError(f"{MAX_LABEL_VALUES_ENV} must be an integer, got {text!r}") from None
    if isinstance(max_label_values, bool) or not isinstance(max_label_values, int) or max_label_values < 1:
        raise ConfigurationError(f"max_label_values must be a positive integer, got {max_label_values!r}")
    return Settings(
        tags,
        max_label_values,
        _buckets("latency_buckets", latency_buckets, LATENCY_BUCKETS),
        _buckets("ttfc_buckets", ttfc_buckets, TTFC_BUCKETS),
    )


def _buckets(name: str, given: Sequence[float] | None, default: tuple[float, ...]) -> tuple[float, ...]:
    if given is None:
        return default
    try:
        bounds = tuple(float(b) for b in given)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} must be numbers of seconds") from None
    if not bounds or any(b <= 0 for b in bounds) or list(bounds) != sorted(set(bounds)):
        raise ConfigurationError(f"{name} must be positive and strictly increasing, got {list(given)!r}")
    return bounds
