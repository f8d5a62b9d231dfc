"""Report building blocks outside a notebook: escaping, figures, comparisons."""

from __future__ import annotations

import pandas as pd
import pytest

from plc_analysis import report as R


def test_table_cells_headers_and_caption_are_escaped():
    frame = pd.DataFrame({"Skill <b>": ["<script>alert(1)</script> & co"], "Share": [0.5]})
    markup = R.style_table(frame, percent=("Share",), caption="Team <A & B>").to_html()
    assert "<script>" not in markup and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in markup
    assert "Skill &lt;b&gt;" in markup
    assert "Team &lt;A &amp; B&gt;" in markup
    assert "50%" in markup  # formatting still applies to escaped tables


def test_report_figure_is_svg_with_text_alt_text_and_closed():
    import matplotlib.pyplot as plt

    from plc_analysis import report_figure

    fig, axes = plt.subplots(1, 2, layout="constrained")
    axes[0].set_title("Share proficient", loc="left")
    axes[1].set_title("By teacher")
    axes[0].set_xlabel("Fractions & decimals <3")
    shown = report_figure(fig)
    assert not plt.fignum_exists(fig.number)  # closed: the inline backend will not show it a second time
    svg, metadata = shown._repr_svg_()
    assert metadata == {"alt": "Share proficient; By teacher"}
    assert svg.lstrip().startswith("<?xml") and "Fractions &amp; decimals &lt;3" in svg  # text kept as text
    assert shown.to_svg() is svg  # drawn once
    assert report_figure(plt.figure(), alt="Empty").alt == "Empty"
    assert report_figure(plt.figure()).alt == "Figure" and report_figure(None) is None
    import matplotlib

    assert matplotlib.rcParams["svg.fonttype"] == "path"  # the SVG settings are not left behind


@pytest.mark.parametrize("layout", [None, "constrained"])
def test_report_figure_keeps_long_labels_and_titles_whole(layout):
    import matplotlib.pyplot as plt

    from plc_analysis import report_figure

    fig, ax = plt.subplots(figsize=(5, 3), layout=layout)
    ax.set_yticks([0, 1], ["a long label, cut off without cropping", "b"])
    ax.set_title("Grade 6 Mathematics, House Blue and House Green: students proficient by skill", loc="left")
    wide = report_figure(fig).to_svg()
    width = float(wide.split('width="', 1)[1].split("pt", 1)[0])
    assert width > 5 * 72  # the picture grew to hold the label and the title instead of cutting them


def test_one_axes_figures_are_laid_out_with_one_measurement_where_constrained_layout_puts_them():
    import io

    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from matplotlib.patches import Patch

    from plc_analysis import report_figure
    from plc_analysis.figure_output import SVG_RC, _laid_out_in_one_pass

    def figure(legend_below: bool):
        fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
        ax.barh([0, 1, 2], [0.2, 0.5, 0.9])
        ax.set_yticks([0, 1, 2], ["Make inferences using evidence from the text ★", "Spell words", "Compare texts"])
        ax.set_xlabel("Students proficient (bar), 95% interval (line)")
        ax.set_title("Grade 3 Language Arts: students proficient by skill", loc="left")
        handles = [Patch(color="C0", label="below"), Patch(color="C1", label="proficient")]
        if legend_below:
            ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncols=2)
        else:
            ax.legend(handles=handles, loc="lower right")
        return fig

    def size(svg: str) -> tuple[float, ...]:
        return tuple(float(svg.split(f'{side}="', 1)[1].split("pt", 1)[0]) for side in ("width", "height"))

    for legend_below, points in ((False, 0.5), (True, 2.5)):
        reference, buffer = figure(legend_below), io.StringIO()
        with matplotlib.rc_context(SVG_RC):
            reference.savefig(buffer, format="svg", bbox_inches="tight")  # constrained layout, then the crop
        fast = figure(legend_below)
        svg = report_figure(fast).to_svg()
        placed, expected = fast.axes[0].get_position(), reference.axes[0].get_position()
        for got, want, inches in zip(placed.extents, expected.extents, (6, 4, 6, 4)):
            assert abs(got - want) * inches * 72 < points, (legend_below, placed, expected)
        # the same crop (the legend below the axes whole, with the room it was given)
        assert all(abs(a - b) < max(1, points) for a, b in zip(size(svg), size(buffer.getvalue()))), legend_below
        assert isinstance(fast.get_layout_engine(), ConstrainedLayoutEngine)  # the figure keeps its layout
        plt.close(reference)
    # left to matplotlib: several axes, a figure title, no layout engine
    two, _ = plt.subplots(1, 2, layout="constrained")
    titled = figure(False)
    titled.suptitle("Team report")
    plain, _ = plt.subplots()
    assert [_laid_out_in_one_pass(f) for f in (two, titled, plain)] == [None, None, None]
    plt.close("all")


def test_a_one_axes_figure_is_drawn_once_for_its_svg(monkeypatch):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    from plc_analysis import report_figure

    draws = []
    drawn = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, renderer: (draws.append(self), drawn(self, renderer))[1])
    fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
    ax.barh([0, 1], [0.3, 0.8])
    ax.set_yticks([0, 1], ["Make inferences using evidence from the text", "Spell words"])
    ax.set_title("Grade 3 Language Arts: students proficient by skill", loc="left")
    svg = report_figure(fig).to_svg()
    assert "Make inferences using evidence from the text" in svg
    assert len(draws) == 1  # laid out from one measurement, then drawn once: no pass with output switched off
    assert isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)  # and the figure keeps its layout


def test_a_foreign_peer_counts_file_is_named_in_the_error(tmp_path):
    from plc_analysis.loading import SAMPLE_PATH, load_dataset

    folder = load_dataset(SAMPLE_PATH).filter(team_id="T-6MB").write(tmp_path / "extract", fmt="parquet")
    pd.DataFrame({"team_id": ["T-6MB"], "n": [3]}).to_parquet(folder / "peer_counts.parquet")
    with pytest.raises(ValueError, match=r"peer_counts.parquet: not peer counts \(missing columns common_id, title"):
        R.team_context(str(folder), "T-6MB")


def test_svg_renderers_share_text_and_font_sizes_without_changing_the_figure():
    import io

    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_svg import RendererSVG
    from matplotlib.font_manager import FontProperties

    from plc_analysis.figure_output import SVG_RC, shared_svg_measurements

    plain = vars(RendererSVG)["get_text_width_height_descent"]
    had_heights = hasattr(RendererSVG, "_get_font_height_metrics")

    def draw() -> str:
        fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
        ax.set_yticks([0, 1, 2], ["Make inferences and draw conclusions", "Divide fractions ★", r"$x^2$ math"])
        ax.set_title("Grade 6 Math - House Blue:\nstudents proficient by skill", loc="left", fontsize=13)
        ax.text(0.5, 0.5, "two lines\nof note", fontfamily="serif", linespacing=1.6)
        ax.set_xlabel("Share proficient", fontweight="bold")
        buffer = io.StringIO()
        with matplotlib.rc_context(SVG_RC):
            fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
        plt.close(fig)
        return buffer.getvalue()

    alone = draw()  # matplotlib's own measurements
    with shared_svg_measurements():
        shared = RendererSVG.get_text_width_height_descent
        assert shared._plc_shared and shared.__wrapped__ is plain
        assert had_heights or RendererSVG._get_font_height_metrics._plc_shared
        with shared_svg_measurements():  # nested: the same installation
            assert RendererSVG.get_text_width_height_descent is shared
            assert draw() == alone  # byte for byte, filling the tables
        assert draw() == alone  # and answered from them
        renderer = RendererSVG(100, 100, io.StringIO())
        for text, prop in [
            ("Divide fractions", FontProperties(size=9)),
            ("Divide fractions", FontProperties(size=12)),
            ("Divide fractions", FontProperties(size=9, weight="bold")),
            ("lp", FontProperties()),
        ]:
            assert shared(renderer, text, prop, False) == plain(renderer, text, prop, False)
        sizes = {shared(renderer, "Divide fractions", FontProperties(size=s), False) for s in (8, 9, 12)}
        assert len(sizes) == 3  # the font size is part of the key
    # matplotlib as it was: the sharing lasts only while report figures are written
    assert vars(RendererSVG)["get_text_width_height_descent"] is plain
    assert hasattr(RendererSVG, "_get_font_height_metrics") == had_heights


def _team_blocks():
    """Every block the team report notebook calls with the context alone."""
    return [
        R.skills_table,
        R.item_comparison_table,
        R.team_comparison_table,
        R.talking_points_table,
        R.item_flags_table,
        R.reliability_table,
        R.calibration_table_view,
        R.mastery_table,
        R.fig_proficiency,
        R.fig_teacher_comparison,
        R.fig_item_map,
        R.team_proficiency_table,
        R.teacher_skill_table,
        R.support_groups_table,
        R.support_students_table,
        R.enrichment_note,
        lambda ctx: R.section(ctx, "Question 1"),
    ]


@pytest.mark.parametrize("block", _team_blocks())
def test_a_team_without_scores_in_the_period_gets_nothing_from_each_block(block):
    """Declared ``... | None``: the summary says once that there is no data, the blocks show nothing."""
    ctx = R.team_context(start="2099-01-01")
    assert not ctx.has_data
    assert block(ctx) is None
    assert R.principal_summary(ctx) == [f"No assessments for {ctx.team_name} in this period ({ctx.period})."]


def test_a_bad_mastery_rule_is_refused_when_the_report_starts():
    with pytest.raises(ValueError, match="rule must be one of most_recent, highest, .* not 'latest'"):
        R.team_context(rule="latest")


def test_report_figure_of_a_subfigure_shows_the_whole_figure():
    import matplotlib.pyplot as plt

    from plc_analysis import report_figure

    fig = plt.figure()
    left, right = fig.subfigures(1, 2)
    left.subplots().set_title("Left")
    right.subplots().set_title("Right")
    shown = report_figure(right.axes[0].figure)
    assert shown is not None and shown.figure is fig and shown.alt == "Left; Right"
    assert not plt.fignum_exists(fig.number)


def test_a_bad_mastery_rule_is_refused_when_a_scope_report_starts():
    from plc_analysis.report_scopes import scope_context

    with pytest.raises(ValueError, match="rule must be one of most_recent, .* not 'Highest'"):
        scope_context(rule="Highest")
