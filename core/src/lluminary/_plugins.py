"""The plugin manager: entry-point discovery, lazy loading, allow/block lists, broken-plugin isolation.

Entry points in the ``lluminary`` group are named after what they serve: a provider prefix
(``openai``), a URL scheme (``redis``) or an exporter (``otel``). Nothing is imported until its
name is needed. A plugin that fails to import is reported, never fatal.

Environment:

* ``LLUMINARY_PLUGINS`` — comma-separated allow-list; only these entry points load (empty: none).
* ``LLUMINARY_DISABLE_PLUGINS`` — comma-separated block-list.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from . import _hookspecs as hookspecs
from ._errors import LluminaryError, PluginError, UnknownProviderError, UnsupportedError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUP = "lluminary"
ALLOW_ENV = "LLUMINARY_PLUGINS"
BLOCK_ENV = "LLUMINARY_DISABLE_PLUGINS"
CAPABILITY_HOOKS = (
    "lluminary_generate",
    "lluminary_stream",
    "lluminary_embed",
    "lluminary_cache",
    "lluminary_store",
    "lluminary_trace",
    "lluminary_count_tokens",
    "lluminary_models",
    "lluminary_model_info",
    "lluminary_commands",
    "lluminary_middleware",
    "lluminary_flush",
    "lluminary_shutdown",
)


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded; everything else keeps working."""


@attrs.frozen
class PluginInfo:
    """What ``lluminary plugins`` shows for one plugin."""

    name: str
    status: str  # "loaded", "available" (not imported yet), "broken", "blocked", "builtin"
    version: str | None = None
    distribution: str | None = None
    hooks: tuple[str, ...] = ()
    error: str | None = None


def _split_env(name: str) -> set[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return {item.strip() for item in value.split(",") if item.strip()}


class PluginManager:
    """Wraps a pluggy manager with lazy, by-name loading of entry points."""

    def __init__(self, *, group: str = GROUP, load_builtins: bool = True) -> None:
        self.group = group
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self._lock = threading.RLock()
        self._entry_points: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, object] = {}
        self._broken: dict[str, str] = {}
        self._instances: dict[type, object] = {}  # class entry point -> its one instance
        self._builtin_names: set[str] = set()
        self._all_loaded = False
        self.generation = 0  # bumped on every (un)registration: caches derived from hooks check it
        if load_builtins:
            from . import _builtins as builtins

            for name, plugin in builtins.plugins():
                self.pm.register(plugin, name=name)
                self._builtin_names.add(name)

    @property
    def hook(self) -> Any:
        return self.pm.hook

    # ---- discovery

    def entry_points(self) -> dict[str, EntryPoint]:
        """Installed entry points by name, honouring the allow and block lists."""
        if self._entry_points is None:
            from importlib.metadata import entry_points

            found = {ep.name: ep for ep in entry_points(group=self.group)}
            self._entry_points = found
        return self._entry_points

    def blocked_by(self, name: str) -> str | None:
        """Why the installed plugin ``name`` is not loaded (``LLUMINARY_PLUGINS=...`` leaves it out,
        or ``LLUMINARY_DISABLE_PLUGINS`` names it), or None when it is not blocked or not installed."""
        if name not in self.entry_points():
            return None
        allow = _split_env(ALLOW_ENV)
        if allow is not None and name not in allow:
            return f"{ALLOW_ENV}={os.environ.get(ALLOW_ENV, '')!r} does not list it"
        block = _split_env(BLOCK_ENV)
        if block and name in block:
            return f"{BLOCK_ENV}={os.environ.get(BLOCK_ENV, '')!r} lists it"
        return None

    def is_allowed(self, name: str) -> bool:
        allow = _split_env(ALLOW_ENV)
        if allow is not None and name not in allow:
            return False
        block = _split_env(BLOCK_ENV)
        return not (block and name in block)

    # ---- loading

    def load(self, name: str) -> object | None:
        """Import and register the entry point ``name`` if it exists and is allowed.

        Returns the plugin object, or None when there is no such plugin, it is blocked, or it is
        broken (a :class:`PluginLoadWarning` says why, once)."""
        plugin = self._loaded.get(name)
        if plugin is not None:
            return plugin
        if name in self._broken:
            return None
        ep = self.entry_points().get(name)
        if ep is None or not self.is_allowed(name):
            return None
        with self._lock:
            if name in self._loaded:
                return self._loaded[name]
            obj: object
            try:
                obj = ep.load()
                if isinstance(obj, type):
                    # Several names may point to one class (OpenAI-compatible prefixes): one instance
                    # serves them all, or a broadcast hook (tracing) would run once per name.
                    cls = obj
                    obj = self._instances.get(cls)
                    if obj is None:
                        obj = self._instances[cls] = cls()
                if self.pm.is_registered(obj):
                    pass  # one object may serve several names (OpenAI-compatible prefixes)
                else:
                    self.pm.register(obj, name=name)
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the kernel
                message = f"{type(exc).__name__}: {exc}"
                self._broken[name] = message
                warnings.warn(
                    f"lluminary plugin {name!r} failed to load and is disabled: {message}",
                    PluginLoadWarning,
                    stacklevel=3,
                )
                return None
            self._loaded[name] = obj
            self.generation += 1
            return obj

    def load_all(self) -> None:
        """Import every allowed plugin (for listings and the CLI, never on the call path)."""
        if self._all_loaded:
            return
        for name in self.entry_points():
            self.load(name)
        self._all_loaded = True

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object directly (applications, tests, OpenAI-compatible servers)."""
        with self._lock:
            if name is None:
                # A Provider's own name reads better in listings than pluggy's numeric id.
                own = getattr(plugin, "name", None)
                if isinstance(own, str) and own and self.pm.get_plugin(own) is None:
                    name = own
            try:
                registered = self.pm.register(plugin, name=name)
            except ValueError as exc:  # pluggy: this object or this name is registered already
                raise PluginError(f"plugin {name or plugin!r} is already registered: {exc}") from None
            if registered is None:
                raise PluginError(f"plugin {name or plugin!r} is blocked or already registered")
            self._loaded[registered] = plugin
            # A registered provider owns its prefixes: the installed plugin of the same name is
            # not loaded behind it (it would answer first, being registered last).
            prefixes = getattr(plugin, "prefixes", None)
            if isinstance(prefixes, tuple):
                for prefix in prefixes:
                    if isinstance(prefix, str):
                        self._loaded.setdefault(prefix, plugin)
            self.generation += 1
            return registered

    def unregister(self, plugin: object | None = None, name: str | None = None) -> None:
        with self._lock:
            if plugin is None and name is not None:
                plugin = self.pm.get_plugin(name)
            if plugin is None or not self.pm.is_registered(plugin):
                return
            self.pm.unregister(plugin)
            for key in [k for k, v in self._loaded.items() if v is plugin]:
                del self._loaded[key]
            self.generation += 1

    def missing(self, name: str, what: str) -> PluginError:
        """The error for a plugin that is needed and not there: broken, blocked or not installed."""
        load_error = self.load_error(name)
        if load_error is not None:
            return PluginError(f"the plugin {name!r} is installed but failed to load: {load_error}")
        blocked = self.blocked_by(name)
        if blocked is not None:
            return PluginError(f"the plugin {name!r} is installed but blocked: {blocked}")
        return PluginError(f"{what} (try `pip install lluminary-{name}`)")

    def unknown(self, provider: str, capability: str) -> LluminaryError:
        """The error for a provider prefix that nothing (or nothing capable) serves."""
        if self.load_error(provider) is not None or self.blocked_by(provider) is not None:
            return self.missing(provider, "")
        prefixes = self.provider_prefixes()
        if provider in prefixes:
            return UnsupportedError(f"provider {provider!r} does not offer {capability}")
        return UnknownProviderError(provider, prefixes)

    def load_error(self, name: str) -> str | None:
        """Why the plugin ``name`` failed to load, or None if it did not fail."""
        return self._broken.get(name)

    def get(self, name: str) -> object | None:
        return self._loaded.get(name) or self.pm.get_plugin(name)

    def plugins(self) -> Iterable[object]:
        return self.pm.get_plugins()

    def has_impls(self, hook_name: str, *, ignore_builtins: bool = True) -> bool:
        """Whether any (non-builtin) plugin implements ``hook_name``."""
        impls = getattr(self.pm.hook, hook_name).get_hookimpls()
        if not ignore_builtins:
            return bool(impls)
        return any(impl.plugin_name not in self._builtin_names for impl in impls)

    def provider_prefixes(self) -> list[str]:
        """Every provider prefix that a loaded plugin serves (imports all plugins)."""
        self.load_all()
        prefixes: set[str] = set()
        for plugin in self.pm.get_plugins():
            served = getattr(plugin, "prefixes", None)
            if served:
                prefixes.update(served)
        return sorted(prefixes)

    # ---- listing

    def infos(self) -> list[PluginInfo]:
        """Every plugin with its status, version and hooks, broken ones with their error."""
        self.load_all()
        rows: list[PluginInfo] = []
        seen: set[str] = set()
        for name, ep in sorted(self.entry_points().items()):
            seen.add(name)
            dist = ep.dist
            dist_name = dist.metadata["Name"] if dist is not None else None
            version = dist.version if dist is not None else None
            if not self.is_allowed(name):
                rows.append(PluginInfo(name, "blocked", version, dist_name))
            elif name in self._broken:
                rows.append(PluginInfo(name, "broken", version, dist_name, error=self._broken[name]))
            else:
                rows.append(PluginInfo(name, "loaded", version, dist_name, self._hooks_of(self._loaded.get(name))))
        for name, plugin in self.pm.list_name_plugin():
            if name in seen or plugin is None:
                continue
            if any(plugin is p for n, p in self._loaded.items() if n in seen):
                continue
            status = "builtin" if name in self._builtin_names else "registered"
            rows.append(PluginInfo(name, status, None, None, self._hooks_of(plugin)))
        return rows

    def _hooks_of(self, plugin: object | None) -> tuple[str, ...]:
        if plugin is None:
            return ()
        return tuple(hc.name for hc in self.pm.get_hookcallers(plugin) or ())


_manager: PluginManager | None = None


def plugin_manager() -> PluginManager:
    """The process-wide plugin manager."""
    global _manager
    if _manager is None:
        _manager = PluginManager()
    return _manager
