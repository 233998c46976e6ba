"""The documentation site builds with --strict (a broken link or anchor, a page missing from the
nav, a docstring mkdocstrings cannot render: each fails the build), and every provider plugin has
its page in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
MKDOCS = Path(sys.executable).parent / "mkdocs"
#: plugins that are not providers, so have no page under docs/providers/
NOT_PROVIDERS = {
    "lluminary-testing",
    "lluminary-sqlite",
    "lluminary-redis",
    "lluminary-pinecone",
    "lluminary-faiss",
    "lluminary-otel",
    "lluminary-gateway",
    "lluminary-agents",
    "lluminary-prometheus",
}


def _nav_pages() -> set[str]:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)

    def walk(node: object) -> set[str]:
        if isinstance(node, str):
            return {node}
        if isinstance(node, dict):
            return set().union(*(walk(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(walk(v) for v in node))
        return set()

    return walk(config["nav"])


def test_every_provider_has_a_page_in_the_nav() -> None:
    """Troubleshooting: each provider plugin plugins/lluminary-X has docs/providers/X.md, listed
    under "Providers" in mkdocs.yml's nav and linked from the getting-started page."""
    nav = _nav_pages()
    getting_started = (ROOT / "docs" / "getting-started.md").read_text()
    for plugin in sorted((ROOT / "plugins").glob("lluminary-*/pyproject.toml")):
        name = plugin.parent.name
        if name in NOT_PROVIDERS:
            continue
        page = f"providers/{name.removeprefix('lluminary-')}.md"
        assert (ROOT / "docs" / page).is_file(), f"{name} has no {page}"
        assert page in nav, f"{page} is not in mkdocs.yml's nav"
        assert f"({page})" in getting_started, f"getting-started.md does not link {page}"
    assert {"index.md", "getting-started.md", "user-guide.md", "cli.md", "plugin-authors.md", "reference.md"} <= nav


@pytest.mark.integration
def test_docs_build_strict(tmp_path: Path) -> None:
    """Troubleshooting: run `make docs` and read the WARNING lines: a link to a missing page or
    anchor, a page not in the nav, or a docstring griffe cannot parse (fix the docstring)."""
    assert MKDOCS.exists(), "mkdocs is not installed in this venv: `make dev` (requirements-docs.txt)"
    result = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    for page in ("index.html", "getting-started/index.html", "reference/index.html", "providers/openai/index.html"):
        assert (tmp_path / "site" / page).is_file(), page
    reference = (tmp_path / "site" / "reference" / "index.html").read_text()
    assert "lluminary._client.Client" in reference  # mkdocstrings rendered the API
    assert ":class:<code>" not in reference  # the rst_roles hook ran
