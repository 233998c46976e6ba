"""The distribution as users get it: the entry point, the version, the catalogue, and a call
configured only by environment variables."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points, version

import pytest

import lluminary
import {{ cookiecutter.__package }} as package
from lluminary_testing.openai_server import FakeOpenAIServer

NAME = package.NAME
KEY = "sk-test-environment-0123456789"


def test_entry_point_loads_the_plugin() -> None:
    """The ``lluminary`` entry point named after the prefix loads the package's ``plugin``.

    Troubleshooting: check ``[project.entry-points.lluminary]`` in pyproject.toml, and reinstall
    the project after changing it (entry points are installed metadata)."""
    found = [ep for ep in entry_points(group="lluminary") if ep.name == NAME]
    assert len(found) == 1, f"expected one entry point named {NAME!r}, found {found}"
    assert found[0].value == "{{ cookiecutter.__package }}:plugin"
    assert found[0].load() is package.plugin


def test_version_matches_the_distribution() -> None:
    """Troubleshooting: bump ``version`` in pyproject.toml and ``__version__`` together."""
    assert package.__version__ == version("lluminary-{{ cookiecutter.prefix }}")


def test_import_loads_no_http_library() -> None:
    """lluminary imports a plugin when its prefix is first used; importing it must stay cheap.

    Troubleshooting: import lluminary.sdk, not httpx2, at module level: the SDK's transport
    imports httpx2 when the first request is sent."""
    code = "import sys, {{ cookiecutter.__package }}; print(sorted(m for m in ('httpx2', 'httpcore2') if m in sys.modules))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


def test_catalogue() -> None:
    """Troubleshooting: every catalogue id must carry the provider prefix."""
    ids = [info.id for info in package.plugin.models()]
    assert ids
    assert all(model_id.startswith(f"{NAME}:") for model_id in ids)


def test_configured_by_the_environment(
    fake_{{ cookiecutter.__snake }}: FakeOpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With only the key and base-URL variables set, a plain call through the kernel works.

    Troubleshooting: the provider must read both variables at call time, not at import."""
    monkeypatch.setenv(package.API_KEY_ENV, KEY)
    monkeypatch.setenv("{{ cookiecutter.__env_prefix }}_BASE_URL", fake_{{ cookiecutter.__snake }}.base_url)
    client = lluminary.Client(cache=False, exporters=[])
    reply = client.generate(f"{NAME}:{{ cookiecutter.model }}", "Hello from the environment")
    assert reply.text == "Hello from the environment"
    assert reply.provider == NAME
    assert fake_{{ cookiecutter.__snake }}.last_request.headers["authorization"] == f"Bearer {KEY}"
