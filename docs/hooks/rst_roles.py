"""mkdocs hook: show Sphinx cross-reference roles in docstrings as code.

The package's numpy-style docstrings use Sphinx roles (``:func:`name```), so
they read well in ``help()`` and any Sphinx build.  mkdocstrings renders the
docstrings as Markdown, where a role would show as ``:func:`` followed by the
name; this turns it into just the name, as code (``~a.b.c`` shows ``c``, as
in Sphinx).
"""

from __future__ import annotations

import re

ROLE = re.compile(
    r":(?:func|meth|class|mod|attr|data|obj|exc):<code>(~?)([^<]+)</code>"
)


def short_name(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    name = target.rsplit(".", 1)[-1] if tilde else target
    return f"<code>{name}</code>"


def on_page_content(html: str, **_: object) -> str:
    """Replace every rendered role with the plain name in code."""
    return ROLE.sub(short_name, html)
