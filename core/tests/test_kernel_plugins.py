"""The plugin manager, against a real installed-looking distribution.

Each test writes a ``fakeplug-1.0.dist-info`` with an ``entry_points.txt`` into ``tmp_path`` and puts
it on ``sys.path``, so ``importlib.metadata`` discovers it exactly as it would a pip-installed plugin.
Module names are unique per test, so no import is ever shared between tests.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest

import lluminary
from lluminary import Client, PluginError, UnknownProviderError
from lluminary._plugins import PluginLoadWarning, PluginManager
from lluminary._scripted import ScriptedProvider
from lluminary._types import TraceEvent


@attrs.frozen
class FakeDist:
    """Names of the modules of one fake distribution."""

    main: str
    module_plugin: str
    broken: str

    def module(self) -> ModuleType:
        return importlib.import_module(self.main)


MAIN_MODULE = """
import lluminary
from lluminary._provider import Provider
from lluminary._scripted import ScriptedProvider

# One provider object serving two prefixes, published under both entry-point names.
plugin = ScriptedProvider("fake", prefixes=["fake", "fakealias"])


class CountingProvider(Provider):
    name = "fakecls"
    instances = 0

    def __init__(self):
        super().__init__()
        type(self).instances += 1

    async def generate(self, request):
        from lluminary._types import ChatResponse, Message
        return ChatResponse(Message.assistant("from a class entry point"))


class Exporter:
    instances = 0
    events = []

    def __init__(self):
        type(self).instances += 1

    @lluminary.hookimpl
    def lluminary_trace(self, event):
        Exporter.events.append(event)
"""

MODULE_PLUGIN = """
import lluminary
from lluminary._types import ModelInfo


@lluminary.hookimpl
def lluminary_models():
    return [ModelInfo("modplug:small", context_window=4096, input_price=0.5)]
"""

BROKEN_MODULE = """
raise RuntimeError("boom: libfoo.so not found")
"""


ALL_NAMES = {"fake", "fakealias", "fakecls", "exporter-a", "exporter-b", "modplug", "broken"}


@pytest.fixture
def fakeplug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeDist:
    tag = uuid.uuid4().hex[:10]
    dist = FakeDist(f"fakeplug_{tag}", f"fakeplug_{tag}_models", f"fakeplug_{tag}_broken")
    (tmp_path / f"{dist.main}.py").write_text(MAIN_MODULE)
    (tmp_path / f"{dist.module_plugin}.py").write_text(MODULE_PLUGIN)
    (tmp_path / f"{dist.broken}.py").write_text(BROKEN_MODULE)
    info = tmp_path / "fakeplug-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeplug\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(f"""\
            [lluminary]
            fake = {dist.main}:plugin
            fakealias = {dist.main}:plugin
            fakecls = {dist.main}:CountingProvider
            exporter-a = {dist.main}:Exporter
            exporter-b = {dist.main}:Exporter
            modplug = {dist.module_plugin}
            broken = {dist.broken}

            [console_scripts]
            not-ours = {dist.main}:plugin
            """))
    monkeypatch.syspath_prepend(str(tmp_path))
    # The plugins really installed in this environment must not change what these tests see.
    monkeypatch.setenv("LLUMINARY_PLUGINS", ",".join(sorted(ALL_NAMES)))
    for name in (dist.main, dist.module_plugin, dist.broken):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return dist


def load_quietly(pm: PluginManager) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pm.load_all()
    return caught


# --------------------------------------------------------------------------- discovery and lazy loading


def test_entry_points_are_discovered_without_importing_anything(fakeplug: FakeDist) -> None:
    pm = PluginManager()
    assert set(pm.entry_points()) >= ALL_NAMES
    assert "not-ours" not in pm.entry_points()
    for module in (fakeplug.main, fakeplug.module_plugin, fakeplug.broken):
        assert module not in sys.modules


def test_a_plugin_is_loaded_by_name_on_first_use(fakeplug: FakeDist, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLUMINARY_PLUGINS")  # no allow-list at all: everything installed may load
    pm = PluginManager()
    plugin = pm.load("fake")
    assert isinstance(plugin, ScriptedProvider)
    assert plugin is fakeplug.module().plugin
    assert pm.get("fake") is plugin
    assert pm.load("fake") is plugin
    # Only the module that was asked for: the others stay unimported.
    assert fakeplug.module_plugin not in sys.modules
    assert fakeplug.broken not in sys.modules
    assert pm.load("no-such-plugin") is None


def test_the_client_loads_a_provider_the_first_time_its_prefix_is_used(
    fakeplug: FakeDist, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LLUMINARY_PLUGINS")
    pm = PluginManager()
    client = Client(plugins=pm)
    assert fakeplug.main not in sys.modules
    assert client.generate("fake:model", "hello there").text == "hello there"
    assert fakeplug.main in sys.modules
    assert fakeplug.broken not in sys.modules
    assert client.generate("fakealias:model", "again").text == "again"
    assert [r.model for r in fakeplug.module().plugin.requests] == ["fake:model", "fakealias:model"]


def test_load_all_imports_every_plugin(fakeplug: FakeDist) -> None:
    pm = PluginManager()
    caught = load_quietly(pm)
    assert [w.category for w in caught] == [PluginLoadWarning]
    assert fakeplug.main in sys.modules
    assert fakeplug.module_plugin in sys.modules
    assert {m.id for m in Client(plugins=pm).models()} == {"modplug:small"}


def test_infos_report_version_hooks_and_status(fakeplug: FakeDist) -> None:
    pm = PluginManager()
    registered = ScriptedProvider("inline")
    pm.register(registered, name="inline-provider")
    with pytest.warns(PluginLoadWarning):
        infos = {info.name: info for info in pm.infos()}
    fake = infos["fake"]
    assert fake.status == "loaded"
    assert fake.version == "1.0"
    assert fake.distribution == "fakeplug"
    assert set(fake.hooks) == {
        "lluminary_generate",
        "lluminary_stream",
        "lluminary_embed",
        "lluminary_count_tokens",
        "lluminary_models",
        "lluminary_model_info",
    }
    assert fake.error is None
    assert infos["modplug"].hooks == ("lluminary_models",)
    assert infos["exporter-a"].hooks == ("lluminary_trace",)
    broken = infos["broken"]
    assert broken.status == "broken"
    assert broken.version == "1.0"
    assert broken.error == "RuntimeError: boom: libfoo.so not found"
    assert broken.hooks == ()
    assert infos["lluminary.memory_cache"].status == "builtin"
    assert infos["lluminary.memory_cache"].hooks == ("lluminary_cache",)
    assert infos["lluminary.noop_trace"].status == "builtin"
    assert infos["inline-provider"].status == "registered"
    assert "lluminary_generate" in infos["inline-provider"].hooks
    # Entry points come first, sorted; each plugin object is listed once.
    names = [info.name for info in pm.infos()]
    assert len(names) == len(set(names))


# --------------------------------------------------------------------------- broken plugins


def test_a_broken_plugin_warns_once_and_everything_else_works(fakeplug: FakeDist) -> None:
    pm = PluginManager()
    with pytest.warns(PluginLoadWarning, match=r"'broken' failed to load.*RuntimeError: boom"):
        assert pm.load("broken") is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pm.load("broken") is None  # reported once, not on every call
        pm.load_all()
    assert pm.load_error("broken") == "RuntimeError: boom: libfoo.so not found"
    assert pm.load_error("fake") is None
    client = Client(plugins=pm)
    assert client.generate("fake:m", "still works").text == "still works"
    assert client.generate("fakecls:m", "x").text == "from a class entry point"


def test_a_call_to_a_broken_provider_says_why_it_is_broken(fakeplug: FakeDist) -> None:
    client = Client(plugins=PluginManager())
    with pytest.warns(PluginLoadWarning), pytest.raises(PluginError, match="failed to load: RuntimeError: boom"):
        client.generate("broken:m", "Hi")


def test_a_broken_exporter_or_cache_plugin_says_why(fakeplug: FakeDist) -> None:
    pm = PluginManager()
    with pytest.warns(PluginLoadWarning), pytest.raises(PluginError, match="'broken' is installed but failed to load"):
        Client(plugins=pm, exporters=["broken"])
    pm.register(ScriptedProvider("scripted"))
    client = Client(plugins=pm, cache="broken://somewhere")
    with pytest.raises(PluginError, match="failed to load: RuntimeError: boom"):
        client.generate("scripted:m", "Hi")


def test_a_plugin_whose_object_is_missing_is_broken(
    fakeplug: FakeDist, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry_points = tmp_path / "fakeplug-1.0.dist-info" / "entry_points.txt"
    entry_points.write_text(entry_points.read_text() + f"\n[lluminary]\nghost = {fakeplug.main}:does_not_exist\n")
    monkeypatch.setenv("LLUMINARY_PLUGINS", "ghost")
    pm = PluginManager()
    with pytest.warns(PluginLoadWarning, match="ghost.*AttributeError"):
        assert pm.load("ghost") is None


# --------------------------------------------------------------------------- allow and block lists


def test_allow_list_loads_only_the_listed_plugins(fakeplug: FakeDist, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLUMINARY_PLUGINS", "fake, modplug")
    pm = PluginManager()
    assert load_quietly(pm) == []  # "broken" is not on the list, so it is never imported
    assert pm.load("fakecls") is None
    assert pm.load("fake") is not None
    assert fakeplug.broken not in sys.modules
    statuses = {info.name: info.status for info in pm.infos()}
    assert statuses["fake"] == statuses["modplug"] == "loaded"
    assert statuses["fakecls"] == statuses["broken"] == statuses["exporter-a"] == "blocked"
    with pytest.raises(PluginError, match="'fakecls' is installed but blocked: LLUMINARY_PLUGINS"):
        Client(plugins=pm).generate("fakecls:m", "Hi")


def test_an_empty_allow_list_loads_nothing(fakeplug: FakeDist, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLUMINARY_PLUGINS", "")
    pm = PluginManager()
    pm.load_all()
    assert fakeplug.main not in sys.modules
    assert all(info.status in ("blocked", "builtin") for info in pm.infos())


def test_block_list_keeps_plugins_out(fakeplug: FakeDist, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLUMINARY_DISABLE_PLUGINS", "broken,fakecls")
    pm = PluginManager()
    assert load_quietly(pm) == []
    assert fakeplug.broken not in sys.modules
    assert pm.load("fakecls") is None
    assert fakeplug.module().CountingProvider.instances == 0
    statuses = {info.name: info.status for info in pm.infos()}
    assert statuses["broken"] == statuses["fakecls"] == "blocked"
    assert statuses["fake"] == "loaded"


def test_block_list_wins_over_allow_list(fakeplug: FakeDist, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLUMINARY_PLUGINS", "fake,fakecls")
    monkeypatch.setenv("LLUMINARY_DISABLE_PLUGINS", "fake")
    pm = PluginManager()
    assert pm.load("fake") is None
    assert pm.load("fakecls") is not None


# --------------------------------------------------------------------------- objects, classes, modules


def test_an_entry_point_that_is_a_class_is_instantiated(fakeplug: FakeDist) -> None:
    pm = PluginManager()
    plugin = pm.load("fakecls")
    module = fakeplug.module()
    assert isinstance(plugin, module.CountingProvider)
    assert module.CountingProvider.instances == 1
    assert pm.load("fakecls") is plugin
    assert module.CountingProvider.instances == 1


def test_an_entry_point_that_is_a_module_is_registered(fakeplug: FakeDist) -> None:
    pm = PluginManager()
    plugin = pm.load("modplug")
    assert isinstance(plugin, ModuleType)
    assert plugin.__name__ == fakeplug.module_plugin


def test_two_names_for_one_object_register_it_once(fakeplug: FakeDist) -> None:
    pm = PluginManager()
    first = pm.load("fake")
    second = pm.load("fakealias")
    assert first is second
    assert sum(1 for p in pm.plugins() if p is first) == 1
    impls = [impl for impl in pm.hook.lluminary_generate.get_hookimpls() if impl.plugin is first]
    assert len(impls) == 1


def test_two_names_for_one_class_make_one_instance(fakeplug: FakeDist) -> None:
    pm = PluginManager()
    first = pm.load("exporter-a")
    second = pm.load("exporter-b")
    exporter = fakeplug.module().Exporter
    assert first is second
    assert exporter.instances == 1
    client = Client(plugins=pm)
    client.generate("fake:m", "Hi")
    kinds = [e.kind for e in exporter.events if isinstance(e, TraceEvent)]
    assert kinds == ["start", "end"]  # each event once, not once per entry-point name


# --------------------------------------------------------------------------- register / unregister


class TraceCounter:
    def __init__(self) -> None:
        self.count = 0

    @lluminary.hookimpl
    def lluminary_trace(self, event: Any) -> None:
        self.count += 1


def test_register_and_unregister() -> None:
    pm = PluginManager()
    client = Client(plugins=pm)
    provider = ScriptedProvider("mine")
    generation = pm.generation
    assert pm.register(provider, name="my-provider") == "my-provider"
    assert pm.generation > generation
    assert pm.get("my-provider") is provider
    assert client.generate("mine:m", "hi").text == "hi"
    pm.unregister(name="my-provider")
    assert pm.get("my-provider") is None
    with pytest.raises(UnknownProviderError):
        client.generate("mine:m", "hi")
    pm.unregister(name="my-provider")  # a second time is a no-op
    pm.unregister(provider)


def test_unregister_by_object() -> None:
    pm = PluginManager()
    counter = TraceCounter()
    name = pm.register(counter)
    assert pm.has_impls("lluminary_trace")
    pm.unregister(counter)
    assert pm.get(name) is None
    assert not pm.has_impls("lluminary_trace")
    assert pm.has_impls("lluminary_trace", ignore_builtins=False)  # the builtin no-op is still there


def test_registering_twice_is_a_plugin_error() -> None:
    pm = PluginManager()
    provider = ScriptedProvider("twice")
    pm.register(provider, name="twice")
    with pytest.raises(PluginError, match="already registered"):
        pm.register(provider, name="again")
    with pytest.raises(PluginError, match="already registered"):
        pm.register(ScriptedProvider("other"), name="twice")


def test_builtins_can_be_left_out() -> None:
    pm = PluginManager(load_builtins=False)
    assert not pm.has_impls("lluminary_trace", ignore_builtins=False)
    pm.register(ScriptedProvider("scripted"))
    with pytest.raises(PluginError, match="no cache backend serves 'memory://'"):
        Client(plugins=pm, cache="memory://").generate("scripted:m", "Hi")


def test_a_registered_provider_keeps_the_installed_plugin_of_its_prefix_unloaded(fakeplug: FakeDist) -> None:
    """Registering a provider for prefix P means "use this for P": the entry point named P must not
    load behind it, or, registered last, it would answer first."""
    pm = PluginManager()
    mine = ScriptedProvider("fake", prefixes=["fake"])
    pm.register(mine, name="my-fake")
    assert pm.load("fake") is mine
    assert fakeplug.main not in sys.modules
    reply = Client(plugins=pm).generate("fake:m", "hello")
    assert reply.text == "hello"
    assert mine.requests
    pm.unregister(mine)
    loaded = pm.load("fake")
    assert loaded is not None
    assert loaded is not mine
    assert fakeplug.main in sys.modules


async def test_a_blocked_plugin_is_reported_as_blocked_not_missing(
    fakeplug: FakeDist, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lluminary import Client, PluginError

    monkeypatch.setenv("LLUMINARY_PLUGINS", "modplug")
    client = Client(plugins=PluginManager())
    with pytest.raises(PluginError, match=r"'fake' is installed but blocked: LLUMINARY_PLUGINS='modplug' does not"):
        await client.agenerate("fake:m", "hi")
    monkeypatch.delenv("LLUMINARY_PLUGINS")
    monkeypatch.setenv("LLUMINARY_DISABLE_PLUGINS", "fake,broken")
    client = Client(plugins=PluginManager())
    with pytest.raises(PluginError, match=r"blocked: LLUMINARY_DISABLE_PLUGINS='fake,broken' lists it"):
        await client.agenerate("fake:m", "hi")
    with pytest.raises(PluginError, match="blocked"):
        Client(plugins=PluginManager(), exporters=["fake"])
