"""Report tables: the HTML written in one pass reads exactly as pandas' Styler writes the same table."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plc_analysis import report as R
from plc_analysis.tables import NA_TEXT, ReportTable


class _Cells(HTMLParser):
    """Header texts, caption, and each body cell's text and ``id``/``style`` attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headers: list[str] = []
        self.rows: list[list[dict]] = []
        self.caption = ""
        self.styles = ""
        self._in: str | None = None
        self._cell: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("th", "td", "caption", "style"):
            self._in = tag
            self._cell = {"text": "", "id": attrs.get("id"), "style": attrs.get("style") or ""}
        if tag == "tr" and self._in is None:
            self.rows.append([])

    def handle_data(self, data):
        if self._in == "style":
            self.styles += data
        elif self._cell is not None:
            self._cell["text"] += data

    def handle_endtag(self, tag):
        if tag != self._in:
            return
        if tag == "th":
            self.headers.append(self._cell["text"])
        elif tag == "td":
            self.rows[-1].append(self._cell)
        elif tag == "caption":
            self.caption = self._cell["text"]
        self._in, self._cell = None, None


def _declarations(css: str) -> list[tuple[str, str]]:
    pairs = []
    for declaration in css.split(";"):
        if ":" in declaration:
            name, value = declaration.split(":", 1)
            pairs.append((name.strip().lower(), " ".join(value.split())))
    return pairs


def _read(markup: str) -> tuple[list[str], str, list[list[tuple[str, list]]]]:
    """(headers, caption, rows of (text, CSS declarations)) of one table, ours or a Styler's."""
    parser = _Cells()
    parser.feed(markup)
    by_id: dict[str, list] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", parser.styles):
        for selector in selectors.split(","):
            selector = selector.strip()
            if re.fullmatch(r"#T_\w+_row\d+_col\d+", selector):
                by_id.setdefault(selector[1:], []).extend(_declarations(body))
    rows = [
        [(cell["text"], _declarations(cell["style"]) + by_id.get(cell["id"] or "", [])) for cell in row]
        for row in parser.rows
        if row
    ]
    return parser.headers, parser.caption, rows


def _same_as_styler(table: ReportTable) -> None:
    ours, theirs = _read(table.to_html()), _read(table.to_styler().to_html())
    assert ours == theirs


def test_a_report_table_reads_as_its_styler() -> None:
    frame = pd.DataFrame(
        {
            "Skill <b>": ["Fractions & decimals", "<script>x</script>", None, "naïve 'quotes' \"too\""],
            "Share": [0.5, np.nan, 0.95, 0.61],
            "Students": [10, 12, 0, 7],
            "Alpha": [0.81234, np.nan, 1.0, -0.2],
            "Raw": [1.5, 2.0, np.nan, 1e-7],
            "Signal": ["stronger than team", "weaker than team", "too few students", "no clear difference"],
            "Flag": [True, False, True, False],
        }
    )
    table = R.style_table(
        frame, percent=("Share",), decimals={"Alpha": 2}, level=("Share",), signal="Signal", caption="Team <A & B>"
    )
    _same_as_styler(table)
    headers, caption, rows = _read(table.to_html())
    assert headers == list(frame.columns) and caption == "Team <A & B>"
    assert [cell[0] for cell in rows[1]] == [
        "<script>x</script>",
        NA_TEXT,
        "12",
        NA_TEXT,
        "2.000000",
        "weaker than team",
        "False",
    ]
    assert rows[0][1] == ("50%", [("background-color", "#F7D9C4")])  # below the approaching cut
    assert rows[1][1] == (NA_TEXT, [("background-color", "#EEEEEE")])  # no data
    assert rows[3][5] == ("no clear difference", [])  # no tint, no style attribute
    assert "<script>" not in table.to_html()


def test_map_style_columns_and_bars_add_up_per_cell() -> None:
    frame = pd.DataFrame({"Status": ["met", "off track", "odd"], "Share": [0.2, 1.3, np.nan]})
    table = (
        R.style_table(frame, percent=("Share",), level=("Share",))
        .map(lambda v: "background-color:#CDEBDF" if v == "met" else "", subset=["Status"])
        .map(lambda v: "font-weight:600;" if v == "odd" else "", subset=["Status"])
        .bar(["Share"], vmin=0, vmax=1, color="#56B4E9", height=70, width="9em")
    )
    _same_as_styler(table)
    rows = _read(table.to_html())[2]
    assert rows[0][0][1] == [("background-color", "#CDEBDF")] and rows[2][0][1] == [("font-weight", "600")]
    share = dict(rows[1][1][1])  # a share of 130% fills the cell, no more
    assert share["width"] == "9em" and share["background"].startswith("linear-gradient(90deg, #56B4E9 100.0%")
    assert share["background-size"] == "100% 70.0%"
    assert dict(rows[2][1][1]) == {"background-color": "#EEEEEE", "width": "9em"}  # missing: no bar


def test_the_explorer_bar_keeps_its_width_and_background_apart() -> None:
    """Styler.bar(props="width:9em") wrote "width: 9embackground: ...", which browsers drop whole."""
    table = R.proficiency_table(
        pd.DataFrame({"description": ["A"], "n_proficient": [3], "n_assessed": [4], "share_proficient": [0.75]}),
        "caption",
        bars=True,
    )
    cell = _read(table.to_html())[2][0][3]
    assert cell[0] == "75%" and {"width", "background", "background-size"} <= dict(cell[1]).keys()


def test_floats_without_a_format_follow_the_styler_precision_option() -> None:
    table = ReportTable(pd.DataFrame({"x": [1 / 3, 2.0]}))
    with pd.option_context("styler.format.precision", 2):
        assert [row[0][0] for row in _read(table.to_html())[2]] == ["0.33", "2.00"]
        _same_as_styler(table)


def test_the_same_table_gives_the_same_bytes() -> None:
    frame = pd.DataFrame({"Skill": ["a", "b"], "Share": [0.1, 0.9]})
    first = R.style_table(frame, percent=("Share",), level=("Share",)).to_html()
    assert R.style_table(frame.copy(), percent=("Share",), level=("Share",)).to_html() == first
    assert re.search(r'id="', first) is None  # no random ids: pages can be compared run to run


def test_repr_names_the_shape_and_caption() -> None:
    table = ReportTable(pd.DataFrame({"a": [1, 2]}), caption="Who")
    assert repr(table) == "ReportTable(2 rows × 1 columns, caption='Who')"


def test_empty_table_has_headers_and_no_rows() -> None:
    headers, _, rows = _read(ReportTable(pd.DataFrame({"A": [], "B": []})).to_html())
    assert headers == ["A", "B"] and rows == []


def test_bad_specifications_name_the_column() -> None:
    frame = pd.DataFrame({"Share": [0.5, 0.6]})
    with pytest.raises(KeyError, match="Shares"):
        ReportTable(frame, formats={"Shares": str})
    with pytest.raises(KeyError, match="Missing"):
        ReportTable(frame).map(lambda v: "", subset=["Missing"])
    with pytest.raises(ValueError, match="one header row"):
        ReportTable(pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "b"), ("a", "c")])))
    with pytest.raises(ValueError, match="'Share': a cell style gave 1 values for 2 cells"):
        ReportTable(frame).style_columns(lambda column: ["color:red"], ["Share"]).to_html()


_texts = st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("ab <>&'\"é–-1.%")), max_size=8))
_floats = st.one_of(st.just(np.nan), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.integers(0, 6), data=st.data())
def test_any_table_reads_as_its_styler(rows: int, data: st.DataObject) -> None:
    frame = pd.DataFrame(
        {
            "text": data.draw(st.lists(_texts, min_size=rows, max_size=rows)),
            "share": data.draw(st.lists(_floats, min_size=rows, max_size=rows)),
            "count": data.draw(st.lists(st.integers(-(10**6), 10**6), min_size=rows, max_size=rows)),
            "plain": data.draw(st.lists(_floats, min_size=rows, max_size=rows)),
            "signal": data.draw(
                st.lists(
                    st.sampled_from(["stronger than team", "weaker than team", "other"]), min_size=rows, max_size=rows
                )
            ),
        }
    )
    places = data.draw(st.integers(0, 4))
    table = R.style_table(
        frame,
        percent=("share",),
        decimals={"plain": places} if data.draw(st.booleans()) else None,
        level=("share",),
        signal="signal",
        caption=data.draw(_texts),
    )
    if data.draw(st.booleans()):
        table = table.bar(["plain"], vmin=-10.0, vmax=10.0)
    _same_as_styler(table)
    assert html.unescape(table.to_html()).count("<tr>") == rows + 1


def _specificity(selector: str) -> tuple[int, int, int]:
    """(ids, classes and pseudo-classes, elements) of a simple CSS selector; ``:not(x)`` counts as ``x``."""
    selector = re.sub(
        r":[\w-]+\(([^()]*)\)", lambda m: " " + m.group(1) if m.group(0).startswith(":not(") else ":pc", selector
    )
    ids = len(re.findall(r"#[\w-]+", selector))
    classes = len(re.findall(r"\.[\w-]+|\[[^\]]*\]|(?<!:):[\w-]+", selector))
    elements = len(re.findall(r"(?:^|[\s>+~])([a-zA-Z][\w-]*)", selector))
    return ids, classes, elements


def test_specificity_is_counted_as_css_counts_it() -> None:  # hand-worked from the CSS Selectors spec
    assert _specificity("td") == (0, 0, 1)
    assert _specificity(".jp-RenderedHTMLCommon td") == (0, 1, 1)
    assert _specificity(":not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td") == (0, 2, 1)
    assert _specificity("table.plc-table:not(#plc-table-scope) th") == (1, 1, 2)
    assert _specificity(".a tbody tr:nth-child(odd)") == (0, 2, 2)


def test_table_look_outweighs_the_notebook_theme_in_the_exported_page() -> None:
    """Cells stay left-aligned: JupyterLab's theme right-aligns td/th with a (0,2,1) selector."""
    import nbformat

    from plc_analysis.export import notebook_to_html

    table = R.style_table(pd.DataFrame({"Skill": ["a"], "Share": [0.5]}), percent=("Share",))
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "t",
                outputs=[
                    nbformat.v4.new_output(
                        "execute_result", {"text/html": table.to_html(), "text/plain": repr(table)}, execution_count=1
                    )
                ],
            )
        ]
    )
    page = notebook_to_html(nb)
    strongest: dict[str, tuple] = {}
    ours: dict[str, tuple] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", re.sub(r"/\*.*?\*/", "", page, flags=re.S)):
        if "text-align" not in body:
            continue
        for selector in selectors.split(","):
            selector = selector.strip()
            last = selector.split()[-1] if selector.split() else ""
            for cell in ("td", "th"):
                if last == cell or last.startswith((cell + ":", cell + ".")):
                    target = ours if "plc-table" in selector else strongest
                    target[cell] = max(target.get(cell, (0, 0, 0)), _specificity(selector))
    assert strongest["td"] >= (0, 2, 1)  # the theme's rule is there, so the comparison means something
    assert ours["td"] > strongest["td"] and ours["th"] > strongest.get("th", (0, 0, 0))
