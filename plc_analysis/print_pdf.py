"""Print-ready PDFs of the HTML reports, printed by the system's headless Chromium.

Why Chromium (driven by Playwright) rather than WeasyPrint: the reports are
nbconvert's JupyterLab pages, whose CSS (flex layouts, custom properties,
``:not()`` scoping of the tables) Chromium lays out exactly as the reader's
browser shows them, while WeasyPrint implements its own subset of CSS (no
JavaScript, partial flexbox) and would need a second stylesheet kept in step
with the template and its own system libraries (Pango).  Chromium is already
what the browser tests use; it repeats a table's ``<thead>`` on every page it
spans, keeps the SVG figures as vectors, and its header/footer templates give
the running header and page numbers.  Nothing is ever downloaded: the browser
is the system's (``PLC_CHROMIUM``, else ``chromium`` / ``chromium-browser`` /
``google-chrome`` on the PATH), and one browser prints a whole batch.

Print layout (:data:`PRINT_CSS`): each section (a level-2 heading) starts a new
page, rows are never cut, a table's header row repeats on every page,
figures are not split, wide tables shrink to the page width, and every page
has a running header (report, period, audience, date) and "page n of N".
"""

from __future__ import annotations

import html
import os
import shutil
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

from .export import atomic_write

__all__ = [
    "CHROMIUM_ARGS",
    "PRINT_CSS",
    "PdfUnavailable",
    "ReportPrinter",
    "find_chromium",
    "running_header",
]

#: Flags of the headless browser: no sandbox (containers), no GPU, nothing fetched in the background.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

#: The print stylesheet added to every report before it is printed.
PRINT_CSS = """
@page { size: Letter; }
html, body { background: #fff !important; }
body { font-size: 10.5px; }
/* the lab template's flex rows and scrolling output boxes become plain blocks that can break across pages */
.jp-Notebook, .jp-Cell, .jp-Cell-outputWrapper, .jp-OutputArea, .jp-OutputArea-child, .jp-OutputArea-output,
.jp-RenderedHTMLCommon, .jp-RenderedHTML, .jp-RenderedSVG, .jp-RenderedImage, main {
  display: block !important; overflow: visible !important; max-height: none !important; }
.jp-OutputPrompt, .jp-InputPrompt, .jp-Collapser { display: none !important; }
.jp-Cell { padding: 0 !important; }
.plc-section-start { break-before: page; }
h1, h2, h3, caption { break-after: avoid; }
table { break-inside: auto; width: auto; max-width: 100%; }
thead { display: table-header-group; }
tfoot { display: table-footer-group; }
tr, th, td { break-inside: avoid; }
img, svg { break-inside: avoid; max-width: 100% !important; height: auto !important; }
.jp-RenderedSVG, .jp-RenderedImage { break-inside: avoid; }
"""

#: Marks the notebook cell of every section heading but the first, so each section of a report starts a page.
_MARK_SECTIONS = """() => {
  const heads = Array.from(document.querySelectorAll('.jp-Cell h2'));
  heads.slice(1).forEach(h => (h.closest('.jp-Cell') || h).classList.add('plc-section-start'));
  return heads.length;
}"""

#: Shrinks a table wider than the page to its width (text stays text, so it stays sharp).
_FIT_WIDE_TABLES = """(pageWidth) => {
  document.querySelectorAll('table').forEach(t => {
    const w = t.scrollWidth;
    if (w > pageWidth) { t.style.zoom = (pageWidth / w).toFixed(3); }
  });
}"""

_MARGIN = {"top": "18mm", "bottom": "14mm", "left": "11mm", "right": "11mm"}
#: Printable width of a Letter page between those margins, in CSS pixels (8.5in - 22mm at 96 px/in).
_PRINTABLE_WIDTH = int(8.5 * 96 - 22 / 25.4 * 96)


class PdfUnavailable(RuntimeError):
    """No browser to print with: Playwright or Chromium is missing, or the browser would not start."""


def find_chromium() -> str | None:
    """The system's Chromium: ``$PLC_CHROMIUM``, else the first of chromium, chromium-browser, google-chrome."""
    configured = os.environ.get("PLC_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def running_header(title: str, period: str = "", audience: str = "", printed: date | None = None) -> str:
    """The text of every page's running header: report · period · audience · date printed.

    Parameters
    ----------
    title : str
        The report (team and school, "District overview" ...).
    period : str
        The reporting period, if any.
    audience : str
        Who the report is for.
    printed : date, optional
        Default today.

    Returns
    -------
    str
    """
    parts = [title, period, f"audience: {audience}" if audience else "", f"{printed or date.today():%d %b %Y}"]
    return " · ".join(p for p in parts if p)


class ReportPrinter:
    """One headless browser that prints report pages to PDF; use as a context manager.

    Parameters
    ----------
    executable : str, optional
        The browser (default :func:`find_chromium`).
    timeout : float
        Seconds allowed to load and print one page.

    Raises
    ------
    PdfUnavailable
        On entering: Playwright is not installed, no Chromium is found, or it does not start.
    """

    def __init__(self, executable: str | None = None, *, timeout: float = 120.0) -> None:
        self.executable = executable or find_chromium()
        self.timeout_ms = timeout * 1000
        self._playwright: Any = None
        self._browser: Any = None

    def __enter__(self) -> ReportPrinter:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            raise PdfUnavailable(
                "printing PDFs needs Playwright for Python (pip install playwright; no browser download needed)"
            ) from exc
        if self.executable is None:
            raise PdfUnavailable(
                "printing PDFs needs Chromium (apt-get install chromium, or set PLC_CHROMIUM to its path)"
            )
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=self.executable, args=list(CHROMIUM_ARGS), headless=True
            )
        except Exception as exc:
            self._playwright.stop()
            raise PdfUnavailable(f"Chromium ({self.executable}) did not start: {str(exc).splitlines()[0]}") from exc
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            if self._playwright is not None:
                self._playwright.stop()
            self._browser = self._playwright = None

    def print(self, html_path: str | Path, pdf_path: str | Path, header: str) -> Path:
        """Print one report page to ``pdf_path`` (written atomically), with ``header`` on every page.

        Only the page's own file and inline data are loaded: any other
        request (a CDN script of the template) is refused, so printing needs
        no network and leaks nothing.

        Returns
        -------
        Path
            ``pdf_path``.
        """
        if self._browser is None:
            raise RuntimeError("use ReportPrinter as a context manager")
        page = self._browser.new_page()
        try:
            page.set_default_timeout(self.timeout_ms)
            page.route("**/*", _local_only)
            page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
            page.emulate_media(media="print")
            page.add_style_tag(content=PRINT_CSS)
            page.evaluate(_MARK_SECTIONS)
            page.evaluate(_FIT_WIDE_TABLES, _PRINTABLE_WIDTH)
            pdf = page.pdf(
                format="Letter",
                print_background=True,
                display_header_footer=True,
                header_template=_header_template(header),
                footer_template=_FOOTER,
                margin=_MARGIN,
            )
        finally:
            page.close()
        with atomic_write(pdf_path, "wb") as handle:
            handle.write(pdf)
        return Path(pdf_path)


def _local_only(route: Any) -> None:
    url = route.request.url
    (route.continue_ if url.startswith(("file:", "data:", "blob:")) else route.abort)()


_TEMPLATE_STYLE = "font-family:Helvetica,Arial,sans-serif;font-size:8px;color:#444;width:100%;margin:0 11mm;"
_FOOTER = (
    f'<div style="{_TEMPLATE_STYLE}text-align:right">page <span class="pageNumber"></span> of '
    '<span class="totalPages"></span></div>'
)


def _header_template(text: str) -> str:
    return f'<div style="{_TEMPLATE_STYLE}border-bottom:0.5px solid #999;padding-bottom:2px">{html.escape(text)}</div>'
