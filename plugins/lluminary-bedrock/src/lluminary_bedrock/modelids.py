"""Bedrock model identifiers: foundation-model ids, inference profiles and ARNs.

A call may name a model as ``anthropic.claude-haiku-4-5-20251001-v1:0`` (in-region), through a
cross-region inference profile (``us.``, ``eu.``, ``apac.``, ``global.`` ... prefixes), or by ARN
(``arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic...``). :func:`base_model`
strips all of that so the plugin can tell which family a model belongs to.
"""

from __future__ import annotations

#: Cross-region inference profile prefixes (geography, or ``global``).
PROFILE_PREFIXES = ("global", "us", "us-gov", "eu", "apac", "jp", "au", "ca")


def base_model(model_id: str) -> str:
    """``arn:...:inference-profile/us.anthropic.claude-x-v1:0`` → ``anthropic.claude-x-v1:0``."""
    name = model_id.rsplit("/", 1)[-1] if model_id.startswith("arn:") else model_id
    prefix, dot, rest = name.partition(".")
    if dot and prefix in PROFILE_PREFIXES and "." in rest:
        return rest
    return name


def profile_prefix(model_id: str) -> str | None:
    """The inference-profile prefix of ``model_id`` (``"us"``, ``"global"``), or None."""
    name = model_id.rsplit("/", 1)[-1] if model_id.startswith("arn:") else model_id
    prefix, dot, rest = name.partition(".")
    return prefix if dot and prefix in PROFILE_PREFIXES and "." in rest else None


def vendor(model_id: str) -> str:
    """The model's vendor: ``anthropic``, ``amazon``, ``meta``, ``mistral``, ``cohere`` ..."""
    return base_model(model_id).partition(".")[0]


def is_claude(model_id: str) -> bool:
    return base_model(model_id).startswith("anthropic.claude")
