"""Figures as report outputs: shown once, as SVG with text kept as text, with alt text for screen readers.

A report cell returns a :class:`ReportFigure` instead of a matplotlib figure.
Jupyter shows it through ``_repr_svg_``, whatever the notebook's inline-backend
settings, and the HTML export gives the image its ``alt`` text (the figure's
titles) from the output's metadata.

The figure is saved with ``bbox_inches="tight"``: constrained layout fits
labels and legends between the axes and the figure's edge, but not a title
longer than the figure is wide (a long team name), which only cropping to
the drawn extent keeps whole.  The SVG keeps text as ``<text>``
(``svg.fonttype = "none"``), which is faster to write than glyph outlines,
smaller, sharp at any zoom and searchable in the page; the settings apply
while the figure is written, not to the session.

Measuring text is most of the time it takes to draw a report figure, and
matplotlib measures each label again for every renderer: the layout pass,
the cropping pass and the final drawing each use a new one.  In SVG a
text's size depends only on the string and its font (glyph outlines at a
fixed scale, never the renderer or its resolution), so while a report figure
is written (:func:`shared_svg_measurements`) every SVG renderer shares one
table of them, and one of the font heights ``Text`` reads for every label;
the figures are unchanged, byte for byte (tested), and matplotlib is left
as it was once the figure is written.

A figure of one axes under constrained layout (every report figure) is laid
out with fewer measurements (:func:`_laid_out_in_one_pass`).  Constrained layout
measures the axes' decorations twice, and ``bbox_inches="tight"`` then draws
the whole figure without output and measures it again for the crop, before
the drawing that is kept: three measurements and two drawings.  Measuring
the decorations once, placing the axes, and measuring the crop takes two
measurements and one drawing, about a fifth less time for a report's four
figures.  The axes land where constrained layout puts them, except that a
legend anchored outside the axes may leave a point or two more room (the
second measurement would follow it as the axes shrink); the crop keeps
every label, title and legend whole either way (tested).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.figure import Figure, SubFigure
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.transforms import Bbox

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = ["ReportFigure", "report_figure", "figure_alt_text", "shared_svg_measurements"]

#: SVG settings used while a report figure is written (not set globally).
SVG_RC: dict[RcKeyType, Any] = {"svg.fonttype": "none", "svg.hashsalt": "plc"}
#: Text sizes (and font heights) kept for SVG renderers; a table is emptied when it holds this many.
TEXT_METRICS_LIMIT = 50_000


class _SharedTable:
    """Answers kept for every renderer of the process (thread-safe; emptied at :data:`TEXT_METRICS_LIMIT`)."""

    def __init__(self) -> None:
        self._answers: dict[Any, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        """The answer kept for ``key``, else ``compute()`` (then kept)."""
        found = self._answers.get(key)
        if found is None:
            found = compute()
            with self._lock:
                if len(self._answers) >= TEXT_METRICS_LIMIT:
                    self._answers.clear()
                self._answers[key] = found
        return found


_TEXT_SIZES = _SharedTable()
_FONT_HEIGHTS = _SharedTable()


def _shared_text_size(original: Callable[..., tuple]) -> Callable[..., tuple]:
    """``RendererSVG.get_text_width_height_descent`` answering plain text from one table for every renderer.

    ``original`` asks a ``TextToPath`` for the string's extent in its font; the
    answer depends only on the string and the font properties (size included).
    Mathtext and TeX go through ``original`` as before.
    """

    def get_text_width_height_descent(self: RendererSVG, s: str, prop: Any, ismath: Any) -> tuple:
        if ismath:
            return original(self, s, prop, ismath)
        # FontProperties is mutable: key on a snapshot
        return _TEXT_SIZES.get((s, prop.copy()), lambda: original(self, s, prop, ismath))

    # marks on the function object (mypy knows no attributes of functions): ours, and what it wraps
    get_text_width_height_descent._plc_shared = True  # type: ignore[attr-defined]
    get_text_width_height_descent.__wrapped__ = original  # type: ignore[attr-defined]
    get_text_width_height_descent.__doc__ = original.__doc__
    return get_text_width_height_descent


def _font_height_metrics(prop: FontProperties, dpi: float = 72.0) -> tuple[Any, Any, Any]:
    """Ascent, descent and line gap of ``prop``'s font at ``dpi``, as matplotlib's ``Text`` measures them.

    The font's own typographic metrics (``OS/2``, else ``hhea``), scaled to
    the font size; ``(None, None, None)`` when the font has neither table
    (then ``Text`` measures the string ``"lp"`` instead).
    """
    font = get_font(fontManager._find_fonts_by_props(prop))
    head, os2, hhea = font.get_sfnt_table("head"), font.get_sfnt_table("OS/2"), font.get_sfnt_table("hhea")
    if os2 is not None:
        ascent, descent, gap = os2["sTypoAscender"], os2["sTypoDescender"], os2["sTypoLineGap"]
    elif hhea is not None:
        ascent, descent, gap = hhea["ascent"], hhea["descent"], hhea["lineGap"]
    else:
        return None, None, None
    if head is None:  # no units per em to scale by: let Text measure
        return None, None, None
    scale = 1 / head["unitsPerEm"] * prop.get_size_in_points() * dpi / 72
    return ascent * scale, -descent * scale, gap * scale


def _shared_font_height_metrics(self: RendererSVG, prop: FontProperties) -> tuple[Any, Any, Any]:
    """A font's ascent, descent and line gap from one table for every SVG renderer.

    For each label it lays out, matplotlib's ``Text`` looks the font up and reads
    its metric tables, unless the renderer answers through
    ``_get_font_height_metrics`` (as the PDF and PostScript renderers do).  The
    answer depends only on the font properties and the resolution, and an SVG is
    always drawn at 72 dpi.
    """
    key = prop.copy()  # FontProperties is mutable: key on a snapshot
    return _FONT_HEIGHTS.get(key, lambda: _font_height_metrics(key, dpi=72.0))  # print_svg draws at 72 dpi


# a mark on the function object saying it is ours (mypy knows no attributes of functions)
_shared_font_height_metrics._plc_shared = True  # type: ignore[attr-defined]

_sharing_lock = threading.Lock()
_sharing_depth = 0
_sharing_undo: list[Callable[[], None]] = []


def _install_sharing() -> None:
    """Give ``RendererSVG`` the shared measurements; remember how to take them back."""
    name = "get_text_width_height_descent"
    own = vars(RendererSVG).get(name)  # None: inherited from RendererBase
    # replacing the method on the class is the point: every SVG renderer, ours or matplotlib's, shares the table
    RendererSVG.get_text_width_height_descent = _shared_text_size(getattr(RendererSVG, name))  # type: ignore[method-assign]
    _sharing_undo.append(lambda: setattr(RendererSVG, name, own) if own is not None else delattr(RendererSVG, name))
    if not hasattr(RendererSVG, "_get_font_height_metrics"):  # where matplotlib has its own, it is kept
        # a method matplotlib's Text asks for when a renderer has it (RendererSVG does not declare it)
        RendererSVG._get_font_height_metrics = _shared_font_height_metrics  # type: ignore[attr-defined]
        _sharing_undo.append(lambda: delattr(RendererSVG, "_get_font_height_metrics"))


@contextmanager
def shared_svg_measurements() -> Iterator[None]:
    """While inside, SVG renderers share one table of text sizes and font heights; matplotlib is untouched outside.

    A report figure's SVG is drawn by several renderers (the layout pass, the
    crop, the drawing kept) and each measures every label again; in SVG a text's
    size depends only on the string and its font, so the measurements are kept
    in tables (:data:`TEXT_METRICS_LIMIT`) that last for the process.  The
    figures are the same, byte for byte.  Nested and concurrent uses share one
    installation; the last to leave restores ``RendererSVG`` as it found it.
    Importing this module changes nothing in matplotlib.

    Yields
    ------
    None
    """
    global _sharing_depth
    with _sharing_lock:
        if _sharing_depth == 0:
            _install_sharing()
        _sharing_depth += 1
    try:
        yield
    finally:
        with _sharing_lock:
            _sharing_depth -= 1
            if _sharing_depth == 0:
                while _sharing_undo:
                    _sharing_undo.pop()()


def _laid_out_in_one_pass(figure: Figure) -> Bbox | None:
    """Place a one-axes constrained-layout figure's axes from one measurement; return the area to save.

    The axes' decorations (tick labels, axis labels, the title's height,
    legends outside the axes) are measured at the SVG's 72 dpi, and the axes
    placed so that they fit inside the figure with the layout's padding, as
    constrained layout places them.  The figure's layout engine is then
    turned off (the caller puts it back after saving) and its tight bounding
    box measured, padded like ``bbox_inches="tight"``, so that a title wider
    than the figure stays whole.

    Returns
    -------
    Bbox or None
        The area to save, in inches; None, with nothing changed, for any other
        figure (no constrained layout, several axes, figure-level titles,
        legends or artists, an axes locator) or when the decorations leave
        the axes no room.
    """
    engine = figure.get_layout_engine()
    if (
        not isinstance(engine, ConstrainedLayoutEngine)
        or len(figure.axes) != 1
        or figure.subfigs
        or figure.legends
        or figure.texts
        or figure.artists
        or figure.lines
        or figure.patches
        or figure.images
        or any(getattr(figure, name, None) is not None for name in ("_suptitle", "_supxlabel", "_supylabel"))
    ):
        return None
    ax = figure.axes[0]
    if ax.get_axes_locator() is not None or not ax.get_in_layout():
        return None
    pads = engine.get()
    dpi = figure.dpi
    figure.dpi = 72  # as print_svg draws
    try:
        width, height = figure.get_size_inches()
        renderer = RendererSVG(width * 72, height * 72, io.StringIO(), image_dpi=72)
        tight = ax.get_tightbbox(renderer, for_layout_only=True)
        if tight is None:  # nothing of the axes is drawn
            return None
        decorated = tight.transformed(figure.transFigure.inverted())
        position = ax.get_position(original=True)
        w_pad, h_pad = pads["w_pad"] / width, pads["h_pad"] / height
        x0, y0 = position.x0 - decorated.x0 + w_pad, position.y0 - decorated.y0 + h_pad
        x1, y1 = 1 - (decorated.x1 - position.x1) - w_pad, 1 - (decorated.y1 - position.y1) - h_pad
        if x1 <= x0 or y1 <= y0:
            return None
        with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
            # no engine at all: with "none" (a placeholder engine) savefig draws the whole figure
            # once more, with output disabled, before drawing it for real
            figure.set_layout_engine(None)
        ax.set_position((x0, y0, x1 - x0, y1 - y0))
        return figure.get_tightbbox(renderer).padded(matplotlib.rcParams["savefig.pad_inches"])
    finally:
        figure.dpi = dpi


def figure_alt_text(figure: Figure) -> str:
    """Alt text for a figure: its suptitle and axes titles, or ``"Figure"`` when it has none."""
    titles = [figure.get_suptitle()]
    for ax in figure.axes:
        if ax.get_visible():
            titles.extend(t for t in (ax.get_title(loc) for loc in ("left", "center", "right")) if t)
    return "; ".join(" ".join(t.split()) for t in titles if t.strip()) or "Figure"  # wrapped titles on one line


class ReportFigure:
    """A closed matplotlib figure shown once as SVG, with alt text.

    Parameters
    ----------
    figure : Figure
        The figure (already closed in pyplot, so the inline backend does not show it too).
    alt : str, optional
        Alt text; default: the figure's titles (:func:`figure_alt_text`).

    Attributes
    ----------
    figure : Figure
        The matplotlib figure, to save in another format or adjust.
    alt : str
        The alt text.
    """

    def __init__(self, figure: Figure, alt: str | None = None, guide: str | None = None) -> None:
        self.figure = figure
        self.alt = alt if alt is not None else figure_alt_text(figure)
        #: "How to read this": one plain sentence shown under the figure (None: the figure alone)
        self.guide = guide
        self._svg: str | None = None

    def to_svg(self) -> str:
        """The figure as an SVG document (drawn on the first call only)."""
        if self._svg is None:
            buffer = io.StringIO()
            engine = self.figure.get_layout_engine()
            with matplotlib.rc_context(SVG_RC), shared_svg_measurements():
                crop = _laid_out_in_one_pass(self.figure)
                try:
                    self.figure.savefig(buffer, format="svg", bbox_inches="tight" if crop is None else crop)
                finally:
                    if crop is not None:  # the figure keeps its layout, to be saved in other formats
                        self.figure.set_layout_engine(engine)
            self._svg = buffer.getvalue()
        return self._svg

    def _repr_svg_(self) -> tuple[str, dict[str, str]]:
        return self.to_svg(), {"alt": self.alt}

    def _repr_html_(self) -> str | None:
        """With a guide: the SVG as an image, then the sentence; without one, no HTML (the SVG is shown)."""
        if not self.guide:
            return None
        import base64
        import html

        data = base64.b64encode(self.to_svg().encode("utf-8")).decode("ascii")
        return (
            f'<figure style="margin:0"><img src="data:image/svg+xml;base64,{data}" alt="{html.escape(self.alt)}">'
            '<figcaption style="color:#444;font-size:90%;margin:2px 0 12px 0"><em>How to read this:</em> '
            f"{html.escape(self.guide)}</figcaption></figure>"
        )

    def with_guide(self, text: str) -> ReportFigure:
        """This figure with ``text`` as its "how to read this" sentence (returns self)."""
        self.guide = text
        return self

    def __repr__(self) -> str:
        return f"<ReportFigure: {self.alt}>"


def report_figure(figure: Figure | SubFigure | None, alt: str | None = None) -> ReportFigure | None:
    """Close ``figure`` in pyplot and wrap it as a :class:`ReportFigure` (None stays None).

    Parameters
    ----------
    figure : Figure, SubFigure or None
        A figure made with pyplot (or without it), e.g. ``ax.figure``; for a
        subfigure, the whole figure it belongs to.
    alt : str, optional
        Alt text; default: the figure's titles.

    Returns
    -------
    ReportFigure or None
    """
    if figure is None:
        return None
    if isinstance(figure, SubFigure):
        figure = figure.figure
    import matplotlib.pyplot as plt

    plt.close(figure)
    return ReportFigure(figure, alt)
