"""Executed notebook → standalone HTML report, and atomic file writes.

Teacher teams read reports, not code: :func:`notebook_to_html` renders a
notebook with nbconvert's HTML exporter (the ``lab`` template, styles inlined,
with alt text on figures: ``templates/plc_report``) with every code input and
every ``In``/``Out`` prompt hidden.  Outputs, markdown and
error tracebacks stay visible, so a notebook that failed half way still shows
what it managed to compute and, where papermill marked it, the error.

Every file is written atomically (:func:`atomic_write`): the bytes go to a
temporary file in the destination folder, are flushed to disk, and only then
replace the destination with :func:`os.replace`.  A crash or Ctrl-C part way
through leaves the previous file (or no file), never half a report.
"""

from __future__ import annotations

import html
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .bundled import TEMPLATE_DIR

if TYPE_CHECKING:  # nbformat/nbconvert are imported lazily: they take seconds to import
    from nbformat import NotebookNode

__all__ = [
    "TEMP_SUFFIX",
    "atomic_write",
    "write_text_atomic",
    "notebook_to_html",
    "export_html",
    "write_notebook",
    "error_page",
    "remove_stale_temp_files",
]

logger = logging.getLogger(__name__)

#: The opening tags of every output and cell input the template writes (``jp-Rendered… jp-OutputArea-output``,
#: ``jp-Cell-inputWrapper``); outputs' own markup never matches, as the data in it is escaped (``&lt;div``).
_FOCUSABLE_DIV = re.compile(r'<div class="((?:jp-Rendered[^"]*\bjp-OutputArea-output|jp-Cell-inputWrapper)\b[^"]*)"')
#: An embedded image (PNG, JPEG) the template wrote without alt text.
_IMG_WITHOUT_ALT = re.compile(r'(<img src="data:image/[^"]*")(?![^>]*\balt=)')

#: Suffix of the temporary files :func:`atomic_write` creates (and removes).
TEMP_SUFFIX = ".tmp"

_EXPORTER: Any = None


@contextmanager
def atomic_write(path: str | Path, mode: str = "w", *, encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary file that replaces ``path`` only if the block succeeds.

    Parameters
    ----------
    path : str or Path
        Destination file; its folder must exist.
    mode : {"w", "wb"}
        Text or binary.
    encoding : str or None
        Text encoding (ignored for ``"wb"``).

    Yields
    ------
    file object
        Write to it; on normal exit it is flushed, fsynced and moved over
        ``path`` with :func:`os.replace`.  On any exception (including
        ``KeyboardInterrupt``) the temporary file is deleted and ``path`` is
        left as it was.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', not {mode!r}")
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    tmp = Path(tmp_name)
    try:
        opened: IO = os.fdopen(fd, "wb") if mode == "wb" else os.fdopen(fd, "w", encoding=encoding, newline="")
        with opened as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600 files; give the report the permissions a normal file would get.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    Parameters
    ----------
    path : str or Path
        Destination file.
    text : str
        Content.

    Returns
    -------
    Path
        ``path``.
    """
    with atomic_write(path, "w") as handle:
        handle.write(text)
    return Path(path)


def remove_stale_temp_files(folder: str | Path) -> int:
    """Delete temporary files an interrupted run left behind under ``folder``.

    Only files named like :func:`atomic_write`'s temporaries
    (``.<name>.<random>.tmp``) are removed.

    Parameters
    ----------
    folder : str or Path
        Output folder to clean (searched recursively).

    Returns
    -------
    int
        Number of files removed.
    """
    removed = 0
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    for tmp in folder.rglob(f".*{TEMP_SUFFIX}"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed


def _accessible(page: str) -> str:
    """Outputs and cells focusable (``tabindex="0"``: wide tables scroll by keyboard); alt text on every image."""
    page = _FOCUSABLE_DIV.sub(r'<div class="\1" tabindex="0"', page)
    return _IMG_WITHOUT_ALT.sub(r'\1 alt="Figure"', page)


def html_exporter() -> Any:
    """One HTML exporter per process (building its template environment costs ~0.3 s)."""
    global _EXPORTER
    if _EXPORTER is None:
        from nbconvert import HTMLExporter
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

        class ReportExporter(HTMLExporter):
            """nbconvert's HTMLExporter without its BeautifulSoup pass.

            ``HTMLExporter.from_notebook_node`` re-parses the finished page with
            BeautifulSoup only to add alt text to images and ``tabindex`` to
            outputs: 0.4–0.6 s a report, more than rendering the page (0.03 s).
            The template gives figures their alt text and :func:`_accessible`
            does the rest on the template's own tags.  The filters registered
            here are those ``HTMLExporter.from_notebook_node`` registers.
            """

            # returns the page as text, as TemplateExporter does (nbconvert's Exporter declares a NotebookNode,
            # and nbconvert's own TemplateExporter and HTMLExporter ignore the same error)
            def from_notebook_node(  # type: ignore[override]
                self, nb: Any, resources: dict | None = None, **kw: Any
            ) -> tuple[str, dict]:
                language = nb.metadata.get("language_info", {})
                lexer = language.get("pygments_lexer", language.get("name"))
                self.register_filter(
                    "highlight_code",
                    self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)),
                )
                resources = self._init_resources(resources)
                self.register_filter(
                    "filter_data_type",
                    WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources),
                )
                page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
                return _accessible(page), resources

        _EXPORTER = ReportExporter(
            extra_template_basedirs=[str(TEMPLATE_DIR)],
            template_name="plc_report",
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            optimistic_validation=True,  # validate once after the preprocessors, not after each of twelve
        )
    return _EXPORTER


def notebook_to_html(nb: NotebookNode | str | Path, *, title: str | None = None) -> str:
    """Render a notebook as a standalone HTML page with the code hidden.

    Parameters
    ----------
    nb : NotebookNode or str or Path
        An (executed) notebook, or the path of an ``.ipynb`` file.
    title : str, optional
        The page ``<title>``; default: the notebook's ``metadata.title`` or
        file name.

    Returns
    -------
    str
        The HTML document (CSS inlined; code inputs and prompts removed;
        outputs, markdown and error tracebacks kept).
    """
    import nbformat

    name = Path(nb).stem if isinstance(nb, (str, Path)) else "report"
    notebook: NotebookNode = nbformat.read(str(nb), as_version=4) if isinstance(nb, (str, Path)) else nb
    metadata_title = notebook.get("metadata", {}).get("title")
    resources = {"metadata": {"name": title or metadata_title or name}}
    body, _ = html_exporter().from_notebook_node(notebook, resources=resources)
    return body


def export_html(nb: NotebookNode | str | Path, path: str | Path, *, title: str | None = None) -> Path:
    """Render ``nb`` with :func:`notebook_to_html` and write it atomically.

    The HTML is rendered completely in memory before anything is written, so
    an exporter failure leaves ``path`` untouched.

    Parameters
    ----------
    nb : NotebookNode or str or Path
        The notebook or its path.
    path : str or Path
        Destination ``.html`` file.
    title : str, optional
        Page title.

    Returns
    -------
    Path
        ``path``.
    """
    return write_text_atomic(path, notebook_to_html(nb, title=title))


def write_notebook(nb: NotebookNode, path: str | Path) -> Path:
    """Write a notebook as ``.ipynb`` atomically.

    Parameters
    ----------
    nb : NotebookNode
        The notebook.
    path : str or Path
        Destination file.

    Returns
    -------
    Path
        ``path``.
    """
    import nbformat

    return write_text_atomic(path, nbformat.writes(nb))


def error_page(title: str, error_name: str, error_value: str, *, detail: str = "") -> str:
    """A minimal standalone HTML page saying a report could not be produced.

    Used when there is no notebook to render at all (the kernel could not
    start, the exporter itself failed).

    Parameters
    ----------
    title : str
        Page title (e.g. the team's name).
    error_name, error_value : str
        The exception's class name and message.
    detail : str
        Optional extra text (e.g. a traceback), shown preformatted.

    Returns
    -------
    str
        The HTML document.
    """
    esc = html.escape
    extra = f"<pre>{esc(detail)}</pre>" if detail else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto;
       max-width: 50rem; padding: 0 1rem; color: #1f2328; line-height: 1.5; }}
.error {{ border-left: 4px solid #b42318; background: #fef3f2; padding: .75rem 1rem; }}
pre {{ white-space: pre-wrap; background: #f6f8fa; padding: .75rem; overflow-x: auto; }}
</style></head>
<body><h1>{esc(title)}</h1>
<p class="error"><strong>This report could not be produced.</strong><br>
<code>{esc(error_name)}: {esc(error_value)}</code></p>
{extra}</body></html>
"""
