"""``lluminary serve --config gateway.yaml [--host --port --workers]``: the gateway on uvicorn."""

from __future__ import annotations

import os

import click

#: seconds in-flight requests (streams included) get to finish after SIGTERM
GRACEFUL_SECONDS = 30


@click.command("serve")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The gateway config, .yaml or .toml.",
)
@click.option("--host", default=None, help="Address to listen on (default: the config's host, else 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to listen on (default: the config's port, else 4000).")
@click.option(
    "--workers", default=None, type=click.IntRange(min=1), help="Worker processes (default: the config's, else 1)."
)
@click.option(
    "--log-level", default="info", type=click.Choice(["debug", "info", "warning", "error"]), show_default=True
)
def serve_command(config_path: str, host: str | None, port: int | None, workers: int | None, log_level: str) -> None:
    """Serve an OpenAI- and Anthropic-compatible API over every installed provider.

    Access logs are JSON lines on stderr (no prompt content, no keys). SIGTERM stops accepting
    connections and lets requests in flight, streams included, finish.
    """
    import logging

    import uvicorn

    from .config import load_config

    config = load_config(config_path)  # checked here, so a bad file fails before any worker starts
    os.environ["LLUMINARY_GATEWAY_CONFIG"] = os.path.abspath(config_path)
    logging.basicConfig(level=log_level.upper(), format="%(message)s")
    count = workers or config.workers
    if count > 1 and config.keys is not None and config.keys.startswith(("memory://", "sqlite://")):
        from lluminary import ConfigurationError

        raise ConfigurationError(
            f"{count} workers would each count limits alone: keep keys in Redis (keys: redis://...)"
        )
    uvicorn.run(
        "lluminary_gateway.app:app_from_environment",
        factory=True,
        host=host or config.host,
        port=port or config.port,
        workers=count if count > 1 else None,
        access_log=False,
        log_level=log_level,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        server_header=False,
        lifespan="on",
    )
