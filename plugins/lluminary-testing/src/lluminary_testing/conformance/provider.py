"""The provider conformance suite."""

from __future__ import annotations

from ._chat import ChatTests
from ._content import ContentTests
from ._embeddings import EmbeddingTests
from ._failures import FailureTests
from ._guard import GuardTests
from ._tools import ToolTests


class ProviderConformance(ChatTests, ToolTests, ContentTests, FailureTests, EmbeddingTests, GuardTests):
    """Every behaviour a lluminary provider plugin owes its users, checked against the provider's
    wire-faithful fake server through the real :class:`lluminary.Client`.

    Subclass it in a test module (the subclass name must start with ``Test``), set the class
    attributes and implement the ``wire_*`` hooks::

        class TestAcmeConformance(ProviderConformance):
            provider = "acme"
            model = "acme:acme-large"
            server_fixture = "fake_acme"
            api_key_env = "ACME_API_KEY"
            supports_images = False          # skipped, with the reason in the report

            def wire_system(self, body):
                return body.get("system")
            ...

    Capability flags skip what a provider cannot do. A standard test that cannot pass is
    overridden with ``@pytest.mark.xfail(reason=...)``; deleting one, or replacing it without
    that mark, fails ``test_no_standard_test_removed``.
    """

    standard_suite = True
