"""The fast paths agree with the general ones on random datasets, and say at debug level which one ran.

``coded.evidence_frame`` (skill evidence from integer codes and one sort) against
``proficiency.general_skill_evidence`` (pandas joins); the prepared item analysis
of ``dataset_items.item_analysis`` against ``general_item_analysis`` (the public
one-assessment functions, assessment by assessment).
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from pathlib import Path

import pandas as pd
from builders import random_district_files
from conftest import write_folder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plc_analysis import item_analysis, load_dataset, skill_evidence
from plc_analysis.coded import decode, evidence_frame
from plc_analysis.dataset_items import general_item_analysis
from plc_analysis.proficiency import general_skill_evidence

district = st.composite(random_district_files)()


def _load(files: dict[str, str]):
    with tempfile.TemporaryDirectory() as folder:
        return load_dataset(write_folder(Path(folder), files))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(district)
def test_coded_evidence_is_the_general_evidence(files):
    """Bug found this way: double-scored work where an assessment has one item per skill crashed the coded
    path (IndexError in add.reduceat: the run starts were not found again after the extra rows were dropped)."""
    dataset = _load(files)
    fast = evidence_frame(dataset)
    general = general_skill_evidence(dataset)
    if fast is None:  # the coded path steps aside only when there is no evidence at all
        assert general.empty
        return
    pd.testing.assert_frame_equal(decode(fast).reset_index(drop=True), general.reset_index(drop=True))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(district)
def test_prepared_item_analysis_is_the_general_one(files):
    dataset = _load(files)
    fast = item_analysis(dataset)
    general = general_item_analysis(dataset, 0.9, 0.2, 0.2)
    pd.testing.assert_frame_equal(fast, general)


def test_a_debug_line_says_which_path_ran(tmp_path, caplog):
    from conftest import MINI

    dataset = load_dataset(write_folder(tmp_path / "mini", MINI))
    with caplog.at_level(logging.DEBUG, logger="plc_analysis"):
        skill_evidence(dataset)
        item_analysis(dataset)
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any(m.startswith("skill evidence: coded fast path") for m in said), said
    assert any(m.startswith("item analysis: prepared fast path") for m in said), said

    caplog.clear()
    unsorted = dataclasses.replace(dataset, scores=dataset.scores.iloc[::-1])  # index out of order: general path
    with caplog.at_level(logging.DEBUG, logger="plc_analysis"):
        skill_evidence(unsorted)
    assert any(r.getMessage().startswith("skill evidence: general path") for r in caplog.records)
