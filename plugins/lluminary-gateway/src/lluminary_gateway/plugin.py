"""The hook: ``lluminary serve``. Cheap to import: the command's module loads on first use."""

from __future__ import annotations

from typing import Any

from lluminary.sdk import hookimpl


class GatewayPlugin:
    """Adds ``lluminary serve`` to the ``lluminary`` command group."""

    @hookimpl
    def lluminary_commands(self, cli: Any) -> None:
        from .cli import serve_command

        cli.add_command(serve_command)
