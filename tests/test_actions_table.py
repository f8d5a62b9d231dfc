"""actions.csv: the team's decisions, validated like every other table."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import MINI, write_folder

from plc_analysis import PLCDataError, load_dataset
from plc_analysis.validation import split_ids

HEADER = (
    "action_id,team_id,skill_id,kind,start_date,assessment_id,teacher_id,student_ids,"
    "reassess_assessment_id,reassess_by,note\n"
)


def folder_with(tmp_path, actions: str):
    return write_folder(tmp_path / "d", {**MINI, "actions.csv": actions})


def test_valid_actions_load_typed(tmp_path):
    d = load_dataset(
        folder_with(
            tmp_path,
            HEADER + "a1,T3,K1,small_group,2025-09-17,A1,t1, 007 ;008;;007,,2025-10-01,reteach with manipulatives\n"
            "a2,T3,K1,WHOLE_CLASS,2025-09-17,,,,,,\n",
        )
    )
    assert d.actions["action_id"].tolist() == ["a1", "a2"]
    assert d.actions["kind"].astype(str).tolist() == ["small_group", "whole_class"]
    assert d.actions["start_date"].dtype == "datetime64[ns]"
    assert split_ids(d.actions["student_ids"].iloc[0]) == ["007", "008"]
    assert split_ids(d.actions["student_ids"].iloc[1]) == []
    assert d.actions["teacher_id"].isna().iloc[1]  # a missing optional field never costs a row


def test_only_required_columns_is_enough(tmp_path):
    d = load_dataset(folder_with(tmp_path, "action_id,team_id,skill_id,kind,start_date\na1,T3,K1,other,2025-09-20\n"))
    assert len(d.actions) == 1 and d.actions["reassess_by"].isna().all()


def test_every_problem_named_at_once(tmp_path):
    folder = folder_with(
        tmp_path,
        HEADER + "a1,T3,K1,whole class,2025-09-17,,,,,,\n"
        "a2,T3,K1,other,17/09/2025,,,,,,\n"
        "a3,T3,K1,enrichment,2025-09-17,A1,t9,007;999; 998,,2025-09-01,\n"
        "a4,T3,K1,other,2025-09-17,,,,,,\n"
        "a5,T3,K9,other,2025-09-17,,,,,,\n"
        "a6,T3,K1,other,2025-09-17,,,,A7,,\n"
        "a4,T3,K1,other,2025-09-18,,,,,,\n",
    )
    with pytest.raises(PLCDataError) as info:
        load_dataset(folder)
    problems = info.value.problems
    found = {(int(r.line), r.column, r.value, r.reason) for r in problems.itertuples()}
    assert (2, "kind", "whole class", "not one of: whole_class, small_group, enrichment, other") in found
    assert (3, "start_date", "17/09/2025", "not a date in ISO 8601 form (YYYY-MM-DD)") in found
    assert (6, "skill_id", "K9", "skill_id 'K9' is not in skills.csv") in found
    assert (4, "teacher_id", "T3 / t9", "team_id / teacher_id 'T3 / t9' is not in teachers.csv") in found
    assert (4, "student_ids", "007;999; 998", "not in students.csv: '999', '998'") in found
    assert (7, "reassess_assessment_id", "A7", "reassess_assessment_id 'A7' is not in assessments.csv") in found
    assert (4, "reassess_by", "2025-09-01", "reassess_by is before start_date") in found
    assert any(
        line == 8 and column == "action_id" and "duplicate key" in reason and "line 5" in reason
        for line, column, _, reason in found
    )
    assert set(problems["file"]) == {"actions.csv"}
    d = load_dataset(folder, errors="quarantine")
    assert len(d.actions) + len(d.rejected) == 7  # loaded + rejected = input


def test_assessment_of_another_team_is_refused(tmp_path):
    files = {
        **MINI,
        "teams.csv": MINI["teams.csv"] + "T4,S1,Grade 4 ELA,4,ELA\n",
        "assessments.csv": MINI["assessments.csv"] + "B1,T4,Other CFA,cfa,2025-09-20,1\n",
        "actions.csv": HEADER + "a1,T3,K1,small_group,2025-09-17,B1,,,B1,,\n",
    }
    with pytest.raises(PLCDataError) as info:
        load_dataset(write_folder(tmp_path / "d", files))
    reasons = info.value.problems.set_index("column")["reason"]
    expected = "assessment 'B1' belongs to team 'T4', not to this action's team 'T3'"
    assert reasons["assessment_id"] == expected and reasons["reassess_assessment_id"] == expected


def test_filter_keeps_the_team_s_actions_started_by_the_end(tmp_path):
    d = load_dataset(
        folder_with(tmp_path, HEADER + "a1,T3,K1,small_group,2025-09-17,,,,,,\na2,T3,K1,other,2025-10-17,,,,,,\n")
    )
    assert d.filter(team_id="T3").actions["action_id"].tolist() == ["a1", "a2"]
    assert d.filter(team_id="T3", end="2025-10-01").actions["action_id"].tolist() == ["a1"]
    assert d.filter(team_id=[]).actions.empty


def test_write_round_trips_actions(tmp_path):
    d = load_dataset(folder_with(tmp_path, HEADER + "a1,T3,K1,small_group,2025-09-17,A1,t1,007;008,,,\n"))
    again = load_dataset(d.write(tmp_path / "out"))
    pd.testing.assert_frame_equal(again.actions, d.actions)
