{%- if cookiecutter.kind == "openai-compatible" -%}
"""{{ cookiecutter.plugin_name }} for lluminary, through its OpenAI-compatible API.

``pip install lluminary-{{ cookiecutter.prefix }}``, set ``{{ cookiecutter.api_key_env }}``, and call ``"{{ cookiecutter.prefix }}:<model>"``::

    import lluminary

    reply = lluminary.generate("{{ cookiecutter.prefix }}:{{ cookiecutter.model }}", "Say hi")

The entry point ``{{ cookiecutter.prefix }}`` loads :data:`plugin`. ``{{ cookiecutter.__env_prefix }}_BASE_URL`` points it at another
server (a proxy, a staging deployment); a call's own ``base_url=`` and ``api_key=`` win over both
variables.
"""

from __future__ import annotations

from lluminary import ModelInfo
from lluminary_openai import OpenAICompatible

from ._version import __version__

#: The provider prefix (``"{{ cookiecutter.prefix }}:<model>"``), also the entry-point name.
NAME = "{{ cookiecutter.prefix }}"
DEFAULT_BASE_URL = "{{ cookiecutter.base_url }}"
API_KEY_ENV = "{{ cookiecutter.api_key_env }}"

#: The model catalogue. Context windows and prices (US dollars per million tokens) let lluminary
#: compute the cost of each call; None means unknown. Fill them in from the provider's price list.
MODELS = (
    ModelInfo(
        f"{NAME}:{{ cookiecutter.model }}",
        context_window=None,
        input_price=None,
        output_price=None,
    ),
)

#: What the ``{{ cookiecutter.prefix }}`` entry point loads. Where the server differs from OpenAI, pass
#: ``dialect=attrs.evolve(lluminary_openai.COMPATIBLE, ...)`` (see ``lluminary_openai.Dialect``);
#: a server that needs no key takes ``key_required=False``.
plugin = OpenAICompatible(NAME, DEFAULT_BASE_URL, API_KEY_ENV, models=MODELS)

__all__ = ["API_KEY_ENV", "DEFAULT_BASE_URL", "MODELS", "NAME", "__version__", "plugin"]
{%- else -%}
"""{{ cookiecutter.plugin_name }} for lluminary.

``pip install lluminary-{{ cookiecutter.prefix }}``, set ``{{ cookiecutter.api_key_env }}``, and call ``"{{ cookiecutter.prefix }}:<model>"``::

    import lluminary

    reply = lluminary.generate("{{ cookiecutter.prefix }}:{{ cookiecutter.model }}", "Say hi")

The entry point ``{{ cookiecutter.prefix }}`` loads :data:`plugin`, the :class:`{{ cookiecutter.__class_name }}` configured from the
environment (``{{ cookiecutter.api_key_env }}``, ``{{ cookiecutter.__env_prefix }}_BASE_URL``). Importing this package imports no HTTP
library; the first request does.
"""

from __future__ import annotations

from ._version import __version__
from .provider import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    MODELS,
    NAME,
    {{ cookiecutter.__class_name }},
)

#: What the ``{{ cookiecutter.prefix }}`` entry point loads.
plugin = {{ cookiecutter.__class_name }}()

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "MODELS",
    "NAME",
    "{{ cookiecutter.__class_name }}",
    "__version__",
    "plugin",
]
{%- endif %}
