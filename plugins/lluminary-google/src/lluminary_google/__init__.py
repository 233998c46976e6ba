"""Google Gemini for lluminary: ``pip install lluminary-google`` and call ``"google:<model>"``
(or ``"gemini:<model>"``); Vertex AI with ``pip install 'lluminary-google[vertex]'`` and
``"vertex:<model>"``.

The entry points ``google`` and ``gemini`` load :data:`plugin`, one :class:`GeminiProvider`
configured from the environment (``GOOGLE_API_KEY`` / ``GEMINI_API_KEY``); ``vertex`` loads
:data:`vertex_plugin`, one :class:`VertexProvider` (application default credentials,
``GOOGLE_CLOUD_PROJECT``, ``GOOGLE_CLOUD_LOCATION``). Importing this package imports no HTTP
library and no Google library; the first request does.
"""

from .provider import GeminiProvider, VertexProvider

plugin = GeminiProvider()
vertex_plugin = VertexProvider()

__all__ = ["GeminiProvider", "VertexProvider", "plugin", "vertex_plugin"]
__version__ = "0.1.0"
