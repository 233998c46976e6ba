"""Where the Ollama server is: ``OLLAMA_HOST`` read the way Ollama reads it, and the optional key.

:data:`SPEC` tells the kernel's SDK where the settings come from: the call, the calling client's
``providers={"ollama": {...}}``, the provider object, then ``OLLAMA_HOST`` and ``OLLAMA_API_KEY``.
"""

from __future__ import annotations

import ipaddress

from lluminary.sdk import SettingsSpec

NAME = "ollama"
HOST_ENV = "OLLAMA_HOST"
API_KEY_ENV = "OLLAMA_API_KEY"
DEFAULT_PORT = 11434
DEFAULT_HOST = f"http://127.0.0.1:{DEFAULT_PORT}"
USER_AGENT = "lluminary-ollama/0.1.0"


def parse_host(value: str | None) -> str:
    """A base URL from an ``OLLAMA_HOST``-style value, as Ollama's ``envconfig.Host`` reads it:

    * empty → ``http://127.0.0.1:11434``; ``ollama.com`` → ``https://ollama.com:443``;
    * no scheme → ``http`` and port 11434 when none is given (``host``, ``host:port``, ``:port``);
    * ``http://host`` → port 80 and ``https://host`` → port 443 when none is given;
    * a path after the host is kept.

    An unspecified listen address (``0.0.0.0``, ``::``) means "this machine" and is reached through
    loopback.
    """
    text = (value or "").strip().strip("\"'")
    scheme, sep, rest = text.partition("://")
    default_port = DEFAULT_PORT
    if not sep:
        scheme, rest = "http", text
        if text == "ollama.com":
            scheme, rest = "https", "ollama.com:443"
    elif scheme == "http":
        default_port = 80
    elif scheme == "https":
        default_port = 443
    hostport, slash, path = rest.partition("/")
    host, port = _split_host_port(hostport)
    if port is None or not 0 <= port <= 65535:
        port = default_port
    if not host:
        host = "127.0.0.1"
    host = _reachable(host)
    if ":" in host:
        host = f"[{host}]"
    base = f"{scheme}://{host}:{port}"
    return base + ("/" + path.rstrip("/") if slash and path.strip("/") else "")


def _split_host_port(hostport: str) -> tuple[str, int | None]:
    if hostport.startswith("["):  # [v6]:port or [v6]
        inner, _, tail = hostport[1:].partition("]")
        return inner, _port(tail[1:]) if tail.startswith(":") else None
    if hostport.count(":") == 1:
        host, _, port = hostport.partition(":")
        return host, _port(port)
    return hostport, None  # a bare host, or a bare IPv6 address


def _port(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _reachable(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.is_unspecified:
        return "::1" if address.version == 6 else "127.0.0.1"
    return str(address)


def normalise_base_url(url: str) -> str:
    """A configured base URL or an ``OLLAMA_HOST`` value, read as Ollama reads the variable (see
    :func:`parse_host`); a URL with credentials in it is taken as it is. ``/api`` and ``/v1``
    suffixes are dropped (the native paths are added per call)."""
    text = url.strip().strip("\"'")
    base = text if "@" in text.partition("://")[2].partition("/")[0] else parse_host(text)
    base = base.rstrip("/")
    for suffix in ("/api", "/v1"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base


SPEC = SettingsSpec(
    provider="Ollama",
    default_base_url=DEFAULT_HOST,
    api_key_env=(API_KEY_ENV,),  # only Ollama's cloud wants one
    base_url_env=(HOST_ENV,),
    key_required=False,
    normalize_base_url=normalise_base_url,
)
