"""``import lluminary`` is cheap: no plugin, no HTTP library, no converter, no CLI.

Checked in a fresh interpreter, since this test process has long imported all of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

HEAVY = ("httpx2", "httpx", "httpcore", "cattrs", "click", "anyio", "h11", "h2")


def modules_after(code: str, *, env: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Run ``code`` in a fresh interpreter; it fills ``snapshots`` (name -> sorted sys.modules)."""
    program = textwrap.dedent("""
        import json, sys
        snapshots = {}
        def snap(name):
            snapshots[name] = sorted(sys.modules)
        """)
    program += textwrap.dedent(code) + "\nprint(json.dumps(snapshots))\n"
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    snapshots: dict[str, list[str]] = json.loads(result.stdout.strip().splitlines()[-1])
    return snapshots


def heavy_in(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0].startswith(HEAVY)]


def plugins_in(modules: list[str]) -> list[str]:
    return [m for m in modules if m.startswith("lluminary_")]


def test_import_lluminary_loads_no_plugin_and_no_http_library() -> None:
    snaps = modules_after("""
        import lluminary
        snap("import")
        assert lluminary.Message.user("hi").text == "hi"
        snap("types")
        """)
    after_import = snaps["import"]
    assert heavy_in(after_import) == []
    assert plugins_in(after_import) == []
    assert [m for m in after_import if m.startswith("lluminary.")] == []  # every submodule is lazy
    assert "pluggy" not in after_import
    # Touching a type loads the types, not the converter or the network stack.
    after_types = snaps["types"]
    assert "lluminary._types" in after_types
    assert heavy_in(after_types) == []
    assert plugins_in(after_types) == []


def test_creating_a_client_and_calling_it_imports_no_unused_plugin(tmp_path: Path) -> None:
    """With a plugin installed, a call to another provider imports neither it nor httpx2."""
    (tmp_path / "lazyplug_mod.py").write_text("raise RuntimeError('imported although nobody asked for it')\n")
    info = tmp_path / "lazyplug-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lazyplug\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[lluminary]\nlazyplug = lazyplug_mod:plugin\n")
    snaps = modules_after(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import lluminary
        from lluminary._scripted import ScriptedProvider
        from lluminary._plugins import PluginManager
        pm = PluginManager()
        assert "lazyplug" in pm.entry_points()
        pm.register(ScriptedProvider("scripted"))
        client = lluminary.Client(plugins=pm)
        assert client.generate("scripted:m", "hello").text == "hello"
        assert client.stream("scripted:m", "hi").response().text == "hi"
        snap("calls")
        """)
    after_calls = snaps["calls"]
    assert "lazyplug_mod" not in after_calls
    assert [m for m in heavy_in(after_calls) if m.startswith(("httpx", "httpcore"))] == []
    assert plugins_in(after_calls) == []


def test_every_public_name_resolves() -> None:
    snaps = modules_after("""
        import lluminary
        missing = [name for name in lluminary.__all__ if getattr(lluminary, name, None) is None]
        assert not missing, missing
        assert set(lluminary.__all__) <= set(dir(lluminary))
        try:
            lluminary.NoSuchThing
        except AttributeError as exc:
            assert "NoSuchThing" in str(exc)
        else:
            raise AssertionError("expected AttributeError")
        snap("all")
        """)
    assert plugins_in(snaps["all"]) == []
    assert [m for m in heavy_in(snaps["all"]) if m.startswith(("httpx", "httpcore"))] == []
