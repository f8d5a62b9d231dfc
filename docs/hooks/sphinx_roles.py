"""MkDocs hook: Sphinx cross-reference roles in docstrings become links.

The package's numpydoc docstrings say ``:func:`student_skill_mastery```, as Sphinx would
read them; mkdocstrings renders that as ``:func:<code>student_skill_mastery</code>``.
This hook turns each such role into an optional cross-reference to the public name
(``plc_analysis.<name>``, else ``plc_analysis.batch.<name>``, given to autorefs as the
fallback ``slug``): a link where the name is documented, plain code otherwise (a private
helper, a module), never a build warning.
"""

from __future__ import annotations

import re

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

ROLE = re.compile(r":(?:py:)?(?:func|meth|class|mod|data|attr|exc|obj):<code>(~?)([\w.]+)(?:\(\))?</code>")


def cross_reference(match: re.Match) -> str:
    """An optional autorefs reference for one role (``~`` shows the last part of the name only)."""
    short, target = match.group(1) == "~", match.group(2)
    shown = target.rsplit(".", 1)[-1] if short else target
    if target.startswith("plc_analysis"):
        return f'<autoref identifier="{target}" optional><code>{shown}</code></autoref>'
    return (
        f'<autoref identifier="plc_analysis.{target}" slug="plc_analysis.batch.{target}" optional>'
        f"<code>{shown}</code></autoref>"
    )


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:  # MkDocs hook
    return ROLE.sub(cross_reference, html)
