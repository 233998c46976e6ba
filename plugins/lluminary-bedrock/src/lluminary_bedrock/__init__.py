"""lluminary-bedrock: Amazon Bedrock (Converse / ConverseStream) for lluminary.

``lluminary.generate("bedrock:us.anthropic.claude-haiku-4-5-20251001-v1:0", "Hi")`` — credentials
from botocore's chain (or a Bedrock API key), the region from ``AWS_REGION``. See
``docs/providers/bedrock.md``.
"""

from .provider import BedrockProvider

#: The instance the ``lluminary`` entry point ``bedrock`` loads.
plugin = BedrockProvider()

__all__ = ["BedrockProvider", "plugin"]
__version__ = "0.1.0"
