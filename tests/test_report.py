"""Report building blocks outside a notebook: escaping, figures, comparisons."""

from __future__ import annotations

import pandas as pd

from plc_analysis import report as R


def test_table_cells_headers_and_caption_are_escaped():
    frame = pd.DataFrame({"Skill <b>": ["<script>alert(1)</script> & co"], "Share": [0.5]})
    markup = R.style_table(frame, percent=("Share",), caption="Team <A & B>").to_html()
    assert "<script>" not in markup and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in markup
    assert "Skill &lt;b&gt;" in markup
    assert "Team &lt;A &amp; B&gt;" in markup
    assert "50%" in markup  # formatting still applies to escaped tables
