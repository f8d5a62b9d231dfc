"""The district overview computed out of core shows what the in-memory overview shows, block for block."""

from __future__ import annotations

import pytest

from plc_analysis import report_scopes as S
from plc_analysis.bundled import SAMPLE_DIR

BLOCKS = [
    S.district_summary,
    S.district_proficiency_table,
    S.goals_overview_table,
    S.tier_counts_table,
    S.equity_table,
    S.coverage_gaps_table,
]


def _html(block: object) -> str:
    return block._repr_html_() if hasattr(block, "_repr_html_") else str(block)  # type: ignore[union-attr]


@pytest.mark.parametrize("audience", ["district", "public"])
def test_every_block_is_the_same(audience):
    in_memory = S.scope_context(str(SAMPLE_DIR), audience=audience, engine="pandas")
    out_of_core = S.scope_context(str(SAMPLE_DIR), audience=audience, engine="duckdb")
    assert in_memory.engine is None and out_of_core.engine is not None
    for block in BLOCKS:
        assert _html(block(out_of_core)) == _html(block(in_memory)), block.__name__
    goals_in, _ = S._goals(in_memory)  # noqa: SLF001 - the data behind the figures too
    goals_out, _ = S._goals(out_of_core)
    assert goals_out.astype(str).equals(goals_in.astype(str))
    out_of_core.engine.close()


def test_blocks_needing_every_row_in_memory_say_so():
    sc = S.scope_context(str(SAMPLE_DIR), audience="district", engine="duckdb")
    with pytest.raises(ValueError, match="school by school"):
        S.effectiveness_table(sc)
    with pytest.raises(ValueError, match="engine must be one of"):
        S.scope_context(str(SAMPLE_DIR), engine="spark")
    sc.engine.close()
