"""What a ``pinecone://index-name?...`` URL says, checked when the store is opened, so a typo fails
at once rather than on the first call.

The API key never comes from the URL (URLs end up in logs and config dumps): it is read from
``PINECONE_API_KEY`` (or the variable ``api_key_env=`` names), or given to
:class:`~lluminary_pinecone.PineconeStore` in code. It is registered with the kernel's redactor and
kept out of every ``repr``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from lluminary.sdk import ConfigurationError, Metric, register_secret

SCHEME = "pinecone"
API_KEY_ENV = "PINECONE_API_KEY"

#: Pinecone's metric names -> the kernel's.
PINECONE_METRICS: Mapping[str, Metric] = {"cosine": "cosine", "dotproduct": "dot", "euclidean": "l2"}
#: What ``?metric=`` accepts (the kernel's names and Pinecone's) -> the kernel's.
METRIC_NAMES: Mapping[str, Metric] = {"cosine": "cosine", "dot": "dot", "l2": "l2", **PINECONE_METRICS}

#: Query options -> what they mean (for the error that lists them).
OPTIONS = {
    "host": "the index's data-plane host (default: looked up with describe_index on the control plane)",
    "namespace": "the namespace calls use when they give none (default: Pinecone's default namespace)",
    "metric": "the index's metric, checked on first use: cosine, dot (dotproduct) or l2 (euclidean)",
    "text_key": "the metadata field that holds record texts (default lluminary_text)",
    "timeout": "seconds one HTTP attempt may take (default 30)",
    "retries": "attempts per request on 429, 5xx and transport errors, the first included (default 3)",
    "retry_delay": "seconds before the first retry, doubling (default 0.5); Retry-After wins",
    "api_key_env": f"the environment variable holding the API key (default {API_KEY_ENV})",
    "controller_host": "the control-plane host used to look the index host up (default api.pinecone.io)",
}
DEFAULT_TEXT_KEY = "lluminary_text"
_INDEX_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,43}[a-z0-9])?$")


@dataclass(frozen=True)
class PineconeConfig:
    """One Pinecone index and how to use it. ``metric`` is None when the URL does not say: the
    index's own metric is then adopted on first use."""

    index: str
    host: str | None = None
    namespace: str = ""
    metric: Metric | None = None
    text_key: str = DEFAULT_TEXT_KEY
    timeout: float = 30.0
    retries: int = 3
    retry_delay: float = 0.5
    controller_host: str | None = None
    api_key: str = field(default="", repr=False)

    def __repr__(self) -> str:
        return f"PineconeConfig(index={self.index!r}, host={self.host!r}, namespace={self.namespace!r})"


def parse_url(url: str, *, api_key: str | None = None, environ: Mapping[str, str] | None = None) -> PineconeConfig:
    """The configuration ``url`` gives, with the API key from ``api_key`` or the environment;
    :class:`ConfigurationError` saying what is wrong."""
    environ = os.environ if environ is None else environ
    parts = urlsplit(url)
    if parts.scheme != SCHEME:
        raise ConfigurationError(f"a Pinecone store URL starts with {SCHEME}://, got {url!r}")
    index = parts.netloc
    if parts.path not in ("", "/") or not _INDEX_NAME.match(index):
        raise ConfigurationError(
            f"{url!r}: give the index name as pinecone://index-name (lowercase letters, digits and "
            "hyphens, at most 45 characters)"
        )
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise ConfigurationError(f"{url!r}: the query string is not name=value pairs") from None
    if "api_key" in query:
        raise ConfigurationError(
            "a Pinecone API key does not belong in a store URL (URLs end up in logs): set "
            f"{API_KEY_ENV}, or name another variable with api_key_env=",
            env_var=API_KEY_ENV,
        )
    unknown = sorted(set(query) - set(OPTIONS))
    if unknown:
        known = "; ".join(f"{name}: {meaning}" for name, meaning in OPTIONS.items())
        raise ConfigurationError(f"{url!r}: unknown option(s) {', '.join(map(repr, unknown))} (known: {known})")
    one = {name: values[-1] for name, values in query.items()}
    key_env = one.get("api_key_env") or API_KEY_ENV
    key = api_key if api_key is not None else environ.get(key_env, "")
    if not key.strip():
        raise ConfigurationError(
            f"no Pinecone API key: set {key_env} (or pass api_key= to PineconeStore)", env_var=key_env
        )
    register_secret(key)
    return PineconeConfig(
        index=index,
        host=one.get("host") or None,
        namespace=one.get("namespace", ""),
        metric=_metric(one.get("metric")),
        text_key=one.get("text_key") or DEFAULT_TEXT_KEY,
        timeout=_positive(one, "timeout", 30.0),
        retries=_attempts(one.get("retries")),
        retry_delay=_positive(one, "retry_delay", 0.5, zero=True),
        controller_host=one.get("controller_host") or None,
        api_key=key,
    )


def _metric(value: str | None) -> Metric | None:
    if value is None or value == "":
        return None
    metric = METRIC_NAMES.get(value)
    if metric is None:
        raise ConfigurationError(f"metric= takes {', '.join(METRIC_NAMES)}, got {value!r}")
    return metric


def _positive(options: Mapping[str, str], name: str, default: float, *, zero: bool = False) -> float:
    raw = options.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        raise ConfigurationError(
            f"{name}= takes a {'non-negative' if zero else 'positive'} number of seconds, got {raw!r}"
        )
    return value


def _attempts(raw: str | None) -> int:
    if raw is None or raw == "":
        return 3
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigurationError(f"retries= takes the number of attempts (1 or more, the first included), got {raw!r}")
    return int(raw)
