"""``lluminary agent run``: the CLI command this distribution adds through the ``lluminary_commands``
hook. Importing this module (the entry point) imports nothing heavy."""

from __future__ import annotations

from typing import Any

from lluminary import hookimpl


@hookimpl
def lluminary_commands(cli: Any) -> None:
    from ._cli import agent_group

    cli.add_command(agent_group())
