"""Valid data that used to crash (issue 24 class 7): small districts and empty comparison groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import MINI, write_folder

from plc_analysis import load_dataset, subgroup_gaps
from plc_analysis.sample import MIN_SAMPLE_STUDENTS, generate_sample


def test_a_group_without_subgroup_members_has_no_interval_and_no_crash(tmp_path):
    dataset = load_dataset(write_folder(tmp_path / "d", MINI))
    # group "B" has no ELL student (007 is the only one) and every student there is counted
    units = pd.DataFrame(
        {
            "student_id": ["007", "008", "009", "010"],
            "cohort": ["A", "A", "B", "B"],
            "met": [True, False, True, True],
        }
    )
    gaps = subgroup_gaps(dataset, by="cohort", units=units, outcome="met", subgroups=["ell"], audience="team")
    b = gaps[gaps["cohort"] == "B"]
    assert len(b) and (b["n_in"] == 0).all() and (b["x_rest"] == 2).all()
    assert b["ci_low"].isna().all() and b["ci_high"].isna().all()
    a = gaps[gaps["cohort"] == "A"]
    assert np.isfinite(a["ci_low"].astype(float)).all()


def test_the_smallest_sample_district_gives_its_subgroup_gaps(tmp_path):
    generate_sample(tmp_path / "s", students=MIN_SAMPLE_STUDENTS)
    gaps = subgroup_gaps(load_dataset(tmp_path / "s"), by="school")
    assert len(gaps) and set(gaps["signal"]) <= {
        "lower than the rest",
        "higher than the rest",
        "no clear difference",
        "too few students",
        "fewer than 10",
    }
