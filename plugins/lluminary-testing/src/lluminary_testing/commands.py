"""CLI commands this distribution adds to ``lluminary`` through the ``lluminary_commands`` hook."""

from __future__ import annotations

import sys
from typing import Any

from lluminary import hookimpl


def demo_command() -> None:
    """Run the offline end-to-end demo: a streamed chat, a tool-call round trip, embeddings, a
    cache hit, and the session's cost, against local simulations of the OpenAI and Anthropic APIs
    on loopback."""
    import click

    from . import demo

    try:
        demo.run(sys.stdout)
    except demo.MissingPlugins as exc:
        raise click.ClickException(str(exc)) from None


@hookimpl
def lluminary_commands(cli: Any) -> None:
    import click

    cli.add_command(click.command(name="demo")(demo_command))
