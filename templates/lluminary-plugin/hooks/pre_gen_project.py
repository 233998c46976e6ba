"""Checks the answers before anything is written, so that a bad one fails here with a message
instead of producing a project that does not import or that shadows another plugin."""

from __future__ import annotations

import keyword
import re
import sys

ANSWERS = {
    "plugin_name": r"""{{ cookiecutter.plugin_name }}""",
    "prefix": r"""{{ cookiecutter.prefix }}""",
    "kind": r"""{{ cookiecutter.kind }}""",
    "base_url": r"""{{ cookiecutter.base_url }}""",
    "api_key_env": r"""{{ cookiecutter.api_key_env }}""",
    "model": r"""{{ cookiecutter.model }}""",
    "class name": r"""{{ cookiecutter.__class_name }}""",
    "package": r"""{{ cookiecutter.__package }}""",
}

#: Entry-point names that lluminary's own distributions already use: a second plugin under one of
#: them would shadow the first (or be shadowed), depending on install order.
TAKEN = frozenset(
    {
        "anthropic",
        "bedrock",
        "cohere",
        "deepseek",
        "fireworks",
        "gemini",
        "google",
        "groq",
        "llamacpp",
        "lmstudio",
        "memory",
        "mistral",
        "ollama",
        "openai",
        "openrouter",
        "testing",
        "together",
        "vertex",
        "vllm",
        "xai",
    }
)

RULES = {
    "prefix": (
        re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*"),
        "lower-case letters and digits, words joined by single hyphens, starting with a letter (e.g. acme, acme-eu)",
    ),
    "kind": (re.compile(r"openai-compatible|blank"), "openai-compatible or blank"),
    "base_url": (re.compile(r"https?://[^\s/]+(/\S*)?"), "an http:// or https:// URL"),
    "api_key_env": (
        re.compile(r"[A-Z][A-Z0-9_]*"),
        "an environment variable name in upper case (e.g. ACME_API_KEY)",
    ),
    "model": (re.compile(r"[^\s:][^\s]*"), "a model id without spaces, not starting with a colon"),
}


def problems() -> list[str]:
    found = []
    for name, (pattern, what) in RULES.items():
        if not pattern.fullmatch(ANSWERS[name]):
            found.append(f"{name} = {ANSWERS[name]!r}: expected {what}")
    if ANSWERS["prefix"] in TAKEN:
        found.append(
            f"prefix = {ANSWERS['prefix']!r} is already served by one of lluminary's own plugins; "
            "pick another prefix (e.g. the provider's name with a suffix)"
        )
    for name in ("class name", "package"):
        value = ANSWERS[name]
        if not value.isidentifier() or keyword.iskeyword(value):
            found.append(
                f"{name} {value!r} (derived from plugin_name and prefix) is not a Python identifier: "
                "use letters, digits and spaces in plugin_name"
            )
    return found


def main() -> int:
    found = problems()
    for problem in found:
        print(f"lluminary-plugin: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
