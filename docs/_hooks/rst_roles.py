"""MkDocs hook: show the reStructuredText roles that some docstrings use (``:class:`~a.b.C```) as
plain code (``C``), and a paragraph's closing ``::`` (RST for "a literal block follows") as ``:``.

mkdocstrings renders docstrings as Markdown, where those roles would print as written.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|data|mod|exc|obj|const):<code>(~?)([^<]*)</code>")


def _plain(match: re.Match[str]) -> str:
    short, target = match.group(1), match.group(2)
    return f"<code>{target.rsplit('.', 1)[-1] if short else target}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    return _ROLE.sub(_plain, html).replace("::</p>", ":</p>")
