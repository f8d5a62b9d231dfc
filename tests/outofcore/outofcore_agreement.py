"""How the out-of-core tests compare a table from SQL with the pandas path's: counts exactly, fractions to 1e-12."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Columns computed with floating point (sums and means in another order): equal to 1e-12.
FRACTIONS = {"mean_score", "share_proficient", "ci_low", "ci_high", "proficiency_cut", "score", "earned", "possible"}
FRACTIONS |= {"mean_credit"}


def assert_same_table(got: pd.DataFrame, expected: pd.DataFrame, what: str = "") -> None:
    """Same columns in the same order, same rows in the same order, counts and ids identical."""
    assert list(got.columns) == list(expected.columns), what
    assert len(got) == len(expected), f"{what}: {len(got)} rows against {len(expected)}"
    for column in expected.columns:
        a, b = got[column], expected[column]
        if column in FRACTIONS:
            assert np.allclose(a.astype("float64"), b.astype("float64"), rtol=1e-12, atol=1e-12, equal_nan=True), (
                f"{what}: {column} differs"
            )
        else:
            left = a.astype("object").where(a.notna(), None).tolist()
            right = b.astype("object").where(b.notna(), None).tolist()
            assert [str(x) for x in left] == [str(x) for x in right], f"{what}: {column} differs"
