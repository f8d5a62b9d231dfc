"""The synthetic sample district: contract, determinism and planted effects.

Checks read the generated CSV files with pandas directly (not through the
loader), so they also hold the sample to the canonical-folder contract of
``DESIGN.md``.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plc_analysis.loading import SAMPLE_PATH
from plc_analysis.sample import DEFAULT_HS_STUDENTS, SAMPLE_FILES, generate_sample

REQUIRED = {
    "schools.csv": ["school_id", "name"],
    "teams.csv": ["team_id", "school_id", "name"],
    "teachers.csv": ["teacher_id", "team_id"],
    "sections.csv": ["section_id", "teacher_id", "team_id"],
    "students.csv": ["student_id", "grade"],
    "enrollments.csv": ["student_id", "section_id"],
    "skills.csv": ["skill_id", "description"],
    "assessments.csv": ["assessment_id", "team_id", "title", "kind", "date"],
    "items.csv": ["assessment_id", "item_id", "skill_id", "max_points"],
    "scores.csv": ["student_id", "assessment_id", "item_id", "points"],
    "goals.csv": ["goal_id", "team_id", "statement", "metric", "baseline", "target", "start_date", "due_date"],
    "progress.csv": ["student_id", "section_id", "period_end", "percent"],
    "interventions.csv": ["student_id", "tier", "kind", "start_date"],
}
OPTIONAL = {
    "teams.csv": ["grade", "subject"],
    "teachers.csv": ["name"],
    "sections.csv": ["period", "term"],
    "students.csv": ["first_name", "last_name", "ell", "sped", "frl"],
    "skills.csv": ["team_id", "essential", "proficiency_cut", "standard"],
    "assessments.csv": ["unit", "common_id"],
    "items.csv": ["kind", "key"],
    "scores.csv": ["response", "rater_id"],
    "goals.csv": ["skill_id", "assessment_kind", "subgroup"],
    "interventions.csv": ["skill_id", "end_date", "outcome"],
}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sample") / "a"
    planted = generate_sample(out)
    return out, planted


@pytest.fixture(scope="module")
def folder(generated) -> Path:
    return generated[0]


@pytest.fixture(scope="module")
def planted(generated) -> dict:
    return generated[1]


@pytest.fixture(scope="module")
def t(folder) -> dict[str, pd.DataFrame]:
    """Every table as text (no NA parsing): ids stay strings, blanks stay ''."""
    return {name[:-4]: pd.read_csv(folder / name, dtype=str, keep_default_na=False) for name in SAMPLE_FILES}


@pytest.fixture(scope="module")
def own_teacher(t) -> pd.Series:
    """Each (student, team) placement -> teacher; keyed by 'student|team'."""
    e = t["enrollments"].merge(t["sections"], on="section_id")
    return pd.Series(e["teacher_id"].to_numpy(), index=e["student_id"] + "|" + e["team_id"])


@pytest.fixture(scope="module")
def scores(t, own_teacher) -> pd.DataFrame:
    """Score rows joined to items and assessments, with numeric points and the student's teacher."""
    s = t["scores"].merge(t["items"], on=["assessment_id", "item_id"], how="left", validate="m:1")
    s = s.merge(
        t["assessments"][["assessment_id", "team_id", "kind", "date"]],
        on="assessment_id",
        suffixes=("", "_assessment"),
        how="left",
        validate="m:1",
    )
    s = s.rename(columns={"kind_assessment": "assessment_kind"})
    s["pts"] = pd.to_numeric(s["points"].replace("", np.nan))
    s["maxp"] = pd.to_numeric(s["max_points"])
    s["teacher_id"] = (s["student_id"] + "|" + s["team_id"]).map(own_teacher)
    s["record"] = (s["rater_id"] == "") | (s["rater_id"] == s["teacher_id"])
    return s


@pytest.fixture(scope="module")
def record(scores) -> pd.DataFrame:
    return scores[scores["record"]].copy()


def _skill_pairs(record: pd.DataFrame, skills: pd.DataFrame) -> pd.DataFrame:
    """Per (student, assessment, skill): share of points (blank = 0) and proficient against the cut."""
    g = (
        record.assign(p0=record["pts"].fillna(0.0))
        .groupby(["student_id", "assessment_id", "assessment_kind", "skill_id", "teacher_id"])[["p0", "maxp"]]
        .sum()
        .reset_index()
    )
    cut = pd.to_numeric(skills.set_index("skill_id")["proficiency_cut"])
    g["share"] = g["p0"] / g["maxp"]
    g["proficient"] = g["share"] >= g["skill_id"].map(cut) - 1e-9
    return g


def _qwk(a: np.ndarray, b: np.ndarray) -> float:
    cats = np.unique(np.concatenate([a, b]))
    ia, ib = np.searchsorted(cats, a), np.searchsorted(cats, b)
    k = len(cats)
    obs = np.zeros((k, k))
    np.add.at(obs, (ia, ib), 1.0)
    obs /= obs.sum()
    exp = np.outer(obs.sum(1), obs.sum(0))
    w = np.subtract.outer(np.arange(k), np.arange(k)) ** 2
    return 1.0 - (w * obs).sum() / (w * exp).sum()


# --------------------------------------------------------------------------- determinism and size
def test_same_seed_same_bytes_and_other_seed_differs(folder, tmp_path):
    again = tmp_path / "b"
    generate_sample(again)
    names = list(SAMPLE_FILES) + ["planted.json", "README.md"]
    for name in names:
        assert (folder / name).read_bytes() == (again / name).read_bytes(), name
    other = tmp_path / "c"
    generate_sample(other, seed=7)
    assert (other / "scores.csv").read_bytes() != (folder / "scores.csv").read_bytes()
    assert (other / "students.csv").read_bytes() != (folder / "students.csv").read_bytes()


def test_size_well_under_5_mb(folder):
    total = sum(p.stat().st_size for p in folder.iterdir())
    assert total < 5_000_000
    assert total < 4_000_000  # headroom for the committed sample


def test_returned_truth_is_planted_json(folder, planted):
    assert json.loads((folder / "planted.json").read_text(encoding="utf-8")) == planted
    readme = (folder / "README.md").read_text(encoding="utf-8")
    for key in (
        "strong_teacher",
        "miskeyed_item",
        "weak_skill",
        "rater_disagreement",
        "coverage_gap",
        "tiers",
        "goals",
        "generate_sample",
    ):
        assert key in readme


def test_students_scales_the_high_school(tmp_path):
    small = generate_sample(tmp_path / "small", students=200)
    st = pd.read_csv(tmp_path / "small" / "students.csv", dtype=str)
    assert small["hs_students"] == 200
    assert st["grade"].isin(["9", "10", "11", "12"]).sum() == 200
    with pytest.raises(ValueError):
        generate_sample(tmp_path / "tiny", students=10)


# --------------------------------------------------------------------------- contract
def test_files_and_required_columns(t):
    for name, cols in REQUIRED.items():
        df = t[name[:-4]]
        assert set(cols) <= set(df.columns), name
        assert len(df) > 0, name
        for col in cols:  # required columns are filled, except points (blank = not attempted)
            if (name, col) != ("scores.csv", "points"):
                assert (df[col] != "").all(), (name, col)
    for name, cols in OPTIONAL.items():
        assert set(cols) <= set(t[name[:-4]].columns), name


def test_keys_are_unique(t, scores):
    keys = {
        "schools": ["school_id"],
        "teams": ["team_id"],
        "teachers": ["teacher_id"],
        "sections": ["section_id"],
        "students": ["student_id"],
        "enrollments": ["student_id", "section_id"],
        "skills": ["skill_id"],
        "assessments": ["assessment_id"],
        "items": ["assessment_id", "item_id"],
        "scores": ["student_id", "assessment_id", "item_id", "rater_id"],
        "goals": ["goal_id"],
        "progress": ["student_id", "section_id", "period_end"],
    }
    for name, key in keys.items():
        assert not t[name].duplicated(key).any(), name
    # one row of record per (student, assessment, item)
    rec = scores[scores["record"]]
    assert not rec.duplicated(["student_id", "assessment_id", "item_id"]).any()
    # a student sits in one section per team
    e = t["enrollments"].merge(t["sections"], on="section_id")
    assert not e.duplicated(["student_id", "team_id"]).any()


def test_identifier_formats(t):
    assert t["schools"]["school_id"].str.fullmatch(r"S\d\d").all()
    assert t["teams"]["team_id"].str.startswith("T-").all()
    assert t["teachers"]["teacher_id"].str.fullmatch(r"t\d{3}").all()
    assert t["students"]["student_id"].str.fullmatch(r"st\d{5}").all()
    assert t["teachers"]["name"].str.fullmatch(r"(Ms|Mr)\. [A-Z][a-z]+").all()


def test_referential_integrity(t, scores):
    ids = lambda name, col: set(t[name][col])  # noqa: E731
    assert set(t["teams"]["school_id"]) <= ids("schools", "school_id")
    assert set(t["teachers"]["team_id"]) <= ids("teams", "team_id")
    sec = t["sections"].merge(t["teachers"], on="teacher_id", suffixes=("", "_teacher"))
    assert len(sec) == len(t["sections"])
    assert (sec["team_id"] == sec["team_id_teacher"]).all()
    assert set(t["enrollments"]["student_id"]) <= ids("students", "student_id")
    assert set(t["enrollments"]["section_id"]) <= ids("sections", "section_id")
    team_skills = t["skills"]["team_id"]
    assert set(team_skills[team_skills != ""]) <= ids("teams", "team_id")
    assert set(t["assessments"]["team_id"]) <= ids("teams", "team_id")
    assert set(t["items"]["assessment_id"]) <= ids("assessments", "assessment_id")
    assert set(t["items"]["skill_id"]) <= ids("skills", "skill_id")
    assert set(t["assessments"]["assessment_id"]) <= set(t["items"]["assessment_id"])
    assert scores["maxp"].notna().all()  # every score's (assessment, item) exists
    assert set(t["scores"]["student_id"]) <= ids("students", "student_id")
    # every scored student is enrolled in a section of the assessment's team
    assert scores["teacher_id"].notna().all()
    raters = set(t["scores"]["rater_id"]) - {""}
    assert raters <= ids("teachers", "teacher_id")
    assert set(t["goals"]["team_id"]) <= ids("teams", "team_id")
    goal_skills = set(t["goals"]["skill_id"]) - {""}
    assert goal_skills <= ids("skills", "skill_id")
    assert set(t["progress"]["section_id"]) <= ids("sections", "section_id")
    pe = t["progress"].merge(t["enrollments"], on=["student_id", "section_id"], how="left", indicator=True)
    assert (pe["_merge"] == "both").all()
    assert set(t["interventions"]["student_id"]) <= ids("students", "student_id")
    int_skills = set(t["interventions"]["skill_id"]) - {""}
    assert int_skills <= ids("skills", "skill_id")


def test_values_and_types(t, scores):
    assert t["assessments"]["kind"].isin(["cfa", "unit", "cumulative", "practice", "state", "reassessment"]).all()
    items = t["items"]
    assert items["kind"].isin(["mc", "cr", "rubric"]).all()
    maxp = pd.to_numeric(items["max_points"])
    assert (maxp[items["kind"] == "mc"] == 1).all()
    assert maxp[items["kind"] == "cr"].isin([2, 3]).all()
    assert (maxp[items["kind"] == "rubric"] == 4).all()
    assert items.loc[items["kind"] == "mc", "key"].isin(list("ABCD")).all()
    assert (items.loc[items["kind"] != "mc", "key"] == "").all()
    pts = scores["pts"].dropna()
    assert (pts >= 0).all() and (pts <= scores.loc[pts.index, "maxp"]).all()
    assert (pts == pts.round()).all()
    assert not t["scores"]["points"].str.contains(r"\.").any()  # integers written as integers
    mc = scores["kind"] == "mc"
    attempted = scores["pts"].notna()
    assert scores.loc[mc & attempted, "response"].isin(list("ABCD")).all()
    assert (scores.loc[~mc | ~attempted, "response"] == "").all()
    # a right answer is exactly a response equal to the recorded key
    assert (
        (scores.loc[mc & attempted, "response"] == scores.loc[mc & attempted, "key"])
        == (scores.loc[mc & attempted, "pts"] == 1)
    ).all()
    for col in ("ell", "sped", "frl"):
        assert t["students"][col].isin(["true", "false"]).all()
    assert t["skills"]["essential"].isin(["true", "false"]).all()
    cut = pd.to_numeric(t["skills"]["proficiency_cut"])
    assert cut.between(0.5, 1.0).all() and (cut == 0.8).mean() > 0.6
    assert set(cut) <= {0.7, 0.75, 0.8}
    for name, col in (
        ("assessments", "date"),
        ("goals", "start_date"),
        ("goals", "due_date"),
        ("progress", "period_end"),
        ("interventions", "start_date"),
    ):
        assert t[name][col].str.fullmatch(ISO).all(), (name, col)
    end = t["interventions"]["end_date"]
    assert end[end != ""].str.fullmatch(ISO).all()
    assert (end[end != ""] >= t["interventions"].loc[end != "", "start_date"]).all()
    dates = pd.to_datetime(t["assessments"]["date"])
    assert dates.min() >= pd.Timestamp("2025-08-25") and dates.max() <= pd.Timestamp("2026-03-13")
    assert (dates.dt.day_of_week < 5).all()
    pct = pd.to_numeric(t["progress"]["percent"])
    assert pct.between(0, 100).all()
    assert t["interventions"]["tier"].isin(["1", "2", "3"]).all()
    assert t["students"]["grade"].isin(["K"] + [str(g) for g in range(1, 13)]).all()


def test_district_shape(t, planted):
    teams = t["teams"].set_index("team_id")
    assert set(teams["school_id"]) == {"S01", "S02", "S03"}
    per_team = t["teachers"].groupby("team_id").size()
    assert per_team.between(2, 5).all()
    assert per_team["T-G3"] == 5
    st = t["students"]
    assert (
        st["student_id"].isin(t["enrollments"]["student_id"]) | st["grade"].isin(["K", "1", "2", "4", "5", "12"])
    ).all()
    assert st["grade"].isin(["9", "10", "11", "12"]).sum() == DEFAULT_HS_STUDENTS
    # skills: 6-12 per team, most essential
    items = t["items"].merge(t["assessments"][["assessment_id", "team_id"]], on="assessment_id")
    per = items.groupby("team_id")["skill_id"].nunique()
    assert per.between(6, 12).all()
    assert (t["skills"]["essential"] == "true").mean() > 0.7
    kinds = t["assessments"].groupby("team_id")["kind"].agg(set)
    assert {"cfa", "unit", "reassessment"} <= kinds["T-G3"]
    assert {"cfa", "cumulative", "practice"} <= kinds["T-5M"]
    g3_cfa = items[(items["team_id"] == "T-G3")]
    g3_cfa = (
        g3_cfa[g3_cfa["assessment_id"].isin(t["assessments"].query("kind == 'cfa'")["assessment_id"])]
        .groupby("assessment_id")
        .size()
    )
    assert 6 <= len(g3_cfa) <= 8 and g3_cfa.between(8, 12).all()
    weekly = t["assessments"].query("team_id == 'T-5M' and kind == 'cfa'")
    gaps = pd.to_datetime(weekly["date"]).sort_values().diff().dropna().dt.days
    assert gaps.median() == 7
    assert len(t["progress"]["period_end"].unique()) >= 8
    pe = pd.to_datetime(pd.Series(sorted(t["progress"]["period_end"].unique())))
    assert pe.diff().dropna().dt.days.between(14, 35).all()


def test_missing_data_rates(t, scores, record):
    present = record.groupby(["assessment_id"])["student_id"].nunique()
    a = t["assessments"].set_index("assessment_id")
    e = t["enrollments"].merge(t["sections"], on="section_id")
    roster = e.groupby("team_id")["student_id"].nunique()
    normal = a[~a["kind"].eq("reassessment")].index.drop("BIO-c02", errors="ignore")
    expected = a.loc[normal, "team_id"].map(roster)
    absent = 1 - present[normal].sum() / expected.sum()
    assert 0.02 < absent < 0.06
    na = record["pts"].isna().mean()
    assert 0.01 < na < 0.03
    st = t["students"]
    for col, rate in (("ell", 0.12), ("sped", 0.12), ("frl", 0.45)):
        assert abs((st[col] == "true").mean() - rate) < 0.04, col


def test_double_scoring(t, scores):
    rub = scores[(scores["kind"] == "rubric") & scores["record"] & scores["pts"].notna()]
    second = scores[~scores["record"]]
    assert (second["kind"] == "rubric").all()
    for team, rows in rub.groupby("team_id"):
        share = (rows["rater_id"] != "").mean()
        assert 0.10 < share < 0.20, team
    # each second row has a row of record by the student's own teacher, from the same team
    keyed = scores[scores["record"] & (scores["rater_id"] != "")]
    k = ["student_id", "assessment_id", "item_id"]
    m = second.merge(keyed[k + ["rater_id"]], on=k, suffixes=("", "_record"))
    assert len(m) == len(second)
    assert (m["rater_id"] != m["rater_id_record"]).all()
    teacher_team = t["teachers"].set_index("teacher_id")["team_id"]
    assert (m["rater_id"].map(teacher_team) == m["team_id"]).all()
    assert (keyed["rater_id"] == keyed["teacher_id"]).all()


# --------------------------------------------------------------------------- planted effects
def test_strong_teacher(t, record, planted):
    p = planted["strong_teacher"]
    g = _skill_pairs(record[record["assessment_kind"].isin(["cfa", "unit"])], t["skills"])
    on = g[g["skill_id"] == p["skill_id"]]
    mine = on["teacher_id"] == p["teacher_id"]
    assert on.loc[mine, "proficient"].mean() - on.loc[~mine, "proficient"].mean() >= 0.25
    rows = record[(record["skill_id"] == p["skill_id"]) & record["assessment_kind"].isin(["cfa", "unit"])]
    share = rows["pts"].fillna(0) / rows["maxp"]
    is_t = rows["teacher_id"] == p["teacher_id"]
    assert share[is_t].mean() - share[~is_t].mean() >= 0.2
    assert p["effect_logits"] >= 1.5
    assert planted["teacher_skill_effects"]["others_max_abs_logits"] <= 0.2
    # no other teacher x skill cell in the grade-3 team stands out like the planted one
    g3 = g[g["skill_id"].str.startswith("G3-")]
    by = g3.groupby(["skill_id", "teacher_id"])["proficient"].mean().unstack()
    diff = by.sub(by.drop(columns=p["teacher_id"]).mean(axis=1), axis=0)
    top = diff.stack().sort_values(ascending=False)
    assert top.index[0] == (p["skill_id"], p["teacher_id"])


def test_miskeyed_item(t, record, planted):
    p = planted["miskeyed_item"]
    item = t["items"].set_index(["assessment_id", "item_id"]).loc[(p["assessment_id"], p["item_id"])]
    assert item["kind"] == "mc" and item["key"] == p["recorded_key"] != p["true_key"]
    a = record[record["assessment_id"] == p["assessment_id"]]
    rest = a[a["item_id"] != p["item_id"]].assign(p0=lambda x: x["pts"].fillna(0)).groupby("student_id")["p0"].sum()
    it = a[(a["item_id"] == p["item_id"]) & (a["response"] != "")].set_index("student_id")
    top = rest[rest >= rest.quantile(0.75)].index.intersection(it.index)
    choice = it.loc[top, "response"].value_counts()
    assert choice.get(p["true_key"], 0) > choice.get(p["recorded_key"], 0)
    assert choice.idxmax() != p["recorded_key"]
    # negative item-rest correlation (the other G3 items correlate positively)
    r = np.corrcoef(it["pts"], rest.reindex(it.index))[0, 1]
    assert r < 0


def test_weak_skill(t, record, planted):
    p = planted["weak_skill"]
    g = _skill_pairs(record[record["assessment_kind"].isin(["cfa", "unit"])], t["skills"])
    skills = t["skills"].set_index("skill_id")
    g3 = g[g["skill_id"].map(skills["team_id"]) == p["team_id"]]
    share = g3.groupby("skill_id")["proficient"].mean()
    ess = [s for s in share.index if skills.loc[s, "essential"] == "true" and s != p["skill_id"]]
    assert skills.loc[p["skill_id"], "essential"] == "true"
    assert share[p["skill_id"]] < share[ess].min() - 0.1
    assert share[p["skill_id"]] < share[ess].median() - 0.25
    # weak for every teacher, not one
    per_t = g3[g3["skill_id"] == p["skill_id"]].groupby("teacher_id")["proficient"].mean()
    assert (per_t < share[ess].median()).all()


def test_rater_disagreement(t, scores, planted):
    p = planted["rater_disagreement"]
    second = scores[~scores["record"]]
    k = ["student_id", "assessment_id", "item_id"]
    first = scores[scores["record"] & (scores["rater_id"] != "")]
    pairs = first.merge(second, on=k, suffixes=("_1", "_2"))
    kappas = {}
    for (r1, r2), rows in pairs.groupby(["rater_id_1", "rater_id_2"]):
        kappas[(r1, r2)] = (_qwk(rows["pts_1"].to_numpy(), rows["pts_2"].to_numpy()), len(rows))
    bad = tuple(p["pair"])
    assert kappas[bad][0] < 0.6 and kappas[bad][1] >= 30
    assert abs(kappas[bad][0] - p["quadratic_kappa"]) < 1e-3
    others = [v for key, v in kappas.items() if key != bad and v[1] >= 20]
    assert len(others) >= 8
    assert all(v[0] > 0.8 for v in others)


def test_subgroup_gaps_and_small_cell(t, record, planted):
    st = t["students"].set_index("student_id")
    rows = record[record["assessment_kind"] != "reassessment"]
    share = rows["pts"].fillna(0) / rows["maxp"]
    gaps = planted["subgroup_gaps"]["gaps"]
    for g in ("ell", "sped", "frl"):
        member = rows["student_id"].map(st[g]) == "true"
        diff = share[member].mean() - share[~member].mean()
        assert diff < -0.03, g
        assert abs(diff - gaps[g]["difference"]) < 1e-3
        assert gaps[g]["logits"] < 0
    cell = planted["small_subgroup_cell"]
    e = t["enrollments"].merge(t["sections"], on="section_id")
    team_students = e.loc[e["team_id"] == cell["team_id"], "student_id"].unique()
    n = int((st.loc[team_students, cell["subgroup"]] == "true").sum())
    assert n == cell["n_students"] and 0 < n < 10


def test_coverage_gap(t, scores, planted):
    p = planted["coverage_gap"]
    items = t["items"]
    skills = t["skills"].set_index("skill_id")
    assert skills.loc[p["skill_id"], "essential"] == "true"
    assert skills.loc[p["skill_id"], "team_id"] == p["team_id"]
    assert set(items.loc[items["skill_id"] == p["skill_id"], "assessment_id"]) == {p["assessment_id"]}
    a = scores[scores["assessment_id"] == p["assessment_id"]]
    assert (a["teacher_id"] != p["teacher_id"]).all()
    sec = t["sections"]
    colleagues = set(sec.loc[(sec["team_id"] == p["team_id"]) & (sec["teacher_id"] != p["teacher_id"]), "teacher_id"])
    assert set(a["teacher_id"]) == colleagues
    assert set(sec.loc[sec["teacher_id"] == p["teacher_id"], "section_id"]) == set(p["sections"])
    # the teacher's students do sit the team's other assessments
    other = scores[(scores["team_id"] == p["team_id"]) & (scores["assessment_id"] != p["assessment_id"])]
    assert (other["teacher_id"] == p["teacher_id"]).any()


def _escalate(progress: pd.DataFrame) -> tuple[set[str], set[str], list[tuple]]:
    """Re-derive the Stevenson escalation from progress.csv alone."""
    low = progress.assign(p=pd.to_numeric(progress["percent"])).groupby(["student_id", "period_end"])["p"].min()
    low = low.unstack()
    dates = list(low.columns)
    reached3, exited, episodes = set(), set(), []
    for s, row in low.iterrows():
        tier, check = 0, None
        for i, d in enumerate(dates):
            v = row[d]
            below = v < 70
            if tier and i == check:
                if not below:
                    episodes.append((s, tier, "exited"))
                    exited.add(s)
                    tier, check = 0, None
                    continue
                if tier < 3:
                    episodes.append((s, tier, "escalated"))
                    tier += 1
                check = i + 2
                if tier == 3:
                    reached3.add(s)
            elif not tier and below:
                tier, check = 1, i + 2
        if tier:
            episodes.append((s, tier, ""))
    return reached3, exited, episodes


def test_tier_escalation(t, planted):
    p = planted["tiers"]
    reached3, exited, episodes = _escalate(t["progress"])
    assert reached3 == set(p["reached_tier_3"]) and len(reached3) >= 5
    assert exited == set(p["exited"]) and len(exited) >= 10
    iv = t["interventions"]
    steps = iv[iv["kind"] != "reteach"]
    got = sorted(zip(steps["student_id"], steps["tier"].astype(int), steps["outcome"]))
    assert got == sorted(episodes)
    assert set(p["exited_by_tier"]["1"]) and set(p["exited_by_tier"]["2"])
    # every tier-3 student was below 70 at three reports six weeks apart
    hs = set(
        t["enrollments"]
        .merge(t["sections"], on="section_id")
        .query("team_id in ['T-ALG1','T-ENG9','T-BIO','T-USH']")["student_id"]
    )
    assert set(p["reached_tier_3"]) <= hs


def _goal_current(t, record, goal) -> tuple[float, str]:
    if goal["metric"] == "failure_rate":
        secs = t["sections"].loc[t["sections"]["team_id"] == goal["team_id"], "section_id"]
        pr = t["progress"][t["progress"]["section_id"].isin(secs)]
        last = pr[pr["period_end"] == pr["period_end"].max()]
        return float((pd.to_numeric(last["percent"]) < 60).mean()), last["period_end"].iloc[0]
    a = t["assessments"]
    cand = a[(a["team_id"] == goal["team_id"]) & (a["kind"] == goal["assessment_kind"])]
    if goal["skill_id"]:
        cand = cand[
            cand["assessment_id"].isin(t["items"].loc[t["items"]["skill_id"] == goal["skill_id"], "assessment_id"])
        ]
    latest = cand.sort_values(["date", "assessment_id"]).iloc[-1]
    rows = record[record["assessment_id"] == latest["assessment_id"]]
    if goal["subgroup"]:
        st = t["students"].set_index("student_id")[goal["subgroup"]]
        rows = rows[rows["student_id"].map(st) == "true"]
    if goal["skill_id"]:
        rows = rows[rows["skill_id"] == goal["skill_id"]]
        cut = float(t["skills"].set_index("skill_id").loc[goal["skill_id"], "proficiency_cut"])
    else:
        cut = 0.7
    per = rows.assign(p0=rows["pts"].fillna(0)).groupby("student_id")[["p0", "maxp"]].sum()
    return float((per["p0"] / per["maxp"] >= cut - 1e-9).mean()), latest["date"]


def test_goals_have_the_planted_statuses(t, record, planted):
    goals = t["goals"].set_index("goal_id")
    truth = {g["goal_id"]: g for g in planted["goals"]}
    assert set(goals.index) == set(truth)
    statuses = []
    for gid, g in goals.iterrows():
        goal = dict(g, goal_id=gid)
        current, as_of = _goal_current(t, record, goal)
        assert abs(current - truth[gid]["current"]) < 1e-3, gid
        base, target = float(g["baseline"]), float(g["target"])
        start, due, when = (date.fromisoformat(x) for x in (g["start_date"], g["due_date"], as_of))
        up = target >= base
        if (current >= target) if up else (current <= target):
            status = "met"
        else:
            proj = current + (current - base) / (when - start).days * (due - when).days
            status = "on track" if ((proj >= target) if up else (proj <= target)) else "off track"
        assert status == truth[gid]["expected_status"] == truth[gid]["intended_status"], gid
        for line in truth[gid].get("by_passing_line", {}).values():
            assert line["status"] == status
        statuses.append(status)
    assert {"met", "on track", "off track"} <= set(statuses)
    assert goals.loc["G-02", "metric"] == "failure_rate"
    assert (goals["subgroup"] != "").any()
    assert (pd.to_numeric(goals["baseline"]).between(0, 1)).all()


def test_reassessments(t, record, planted):
    a = t["assessments"].set_index("assessment_id")
    re_ids = a.index[a["kind"] == "reassessment"]
    # every reassessment after a reteach, and the one of the team's recorded actions (tested with them)
    assert len(re_ids) == len(planted["reassessments"]) + 1 >= 6
    assert planted["actions"]["reassessment_id"] in re_ids
    g = _skill_pairs(record, t["skills"])
    for r in planted["reassessments"]:
        rid, src = r["assessment_id"], r["source_assessment_id"]
        items = t["items"][t["items"]["assessment_id"] == rid]
        assert set(items["skill_id"]) == set(r["skill_ids"])
        gap = (date.fromisoformat(a.loc[rid, "date"]) - date.fromisoformat(a.loc[src, "date"])).days
        assert 7 <= gap <= 16
        below = g[(g["assessment_id"] == src) & g["skill_id"].isin(r["skill_ids"]) & ~g["proficient"]]
        sat = set(record.loc[record["assessment_id"] == rid, "student_id"])
        assert sat <= set(below["student_id"])
        assert len(sat) >= 0.9 * below["student_id"].nunique()
        before = below.groupby("student_id")["share"].mean()
        after = g[g["assessment_id"] == rid].groupby("student_id")["share"].mean()
        common = after.index.intersection(before.index)
        assert (after[common] > before[common]).mean() > 0.5, rid
    iv = t["interventions"]
    reteach = iv[iv["kind"] == "reteach"]
    assert (reteach["skill_id"] != "").all() and reteach["outcome"].isin(["met", "not met", "not reassessed"]).all()


def test_common_assessments(t, planted):
    a = t["assessments"]
    shared = a[a["common_id"] != ""]
    assert set(shared["team_id"]) == set(planted["common_assessments"]["teams"])
    items = t["items"].merge(a[["assessment_id", "team_id", "common_id"]], on="assessment_id")
    items = items[items["common_id"] != ""]
    for cid, rows in items.groupby("common_id"):
        by_team = {tm: sorted(zip(r["item_id"], r["skill_id"], r["key"])) for tm, r in rows.groupby("team_id")}
        assert len(by_team) == 2, cid
        first, second = by_team.values()
        assert first == second, cid
        assert rows["assessment_id"].nunique() == 2
    team_skills = t["skills"].set_index("skill_id")["team_id"]
    assert (items["skill_id"].map(team_skills) == "").all()  # shared skills belong to no single team


def test_loads_with_plc_loader(folder):
    plc = pytest.importorskip("plc_analysis")
    load = getattr(plc, "load_dataset", None)
    if load is None:
        pytest.skip("plc_analysis.load_dataset is not available yet")
    ds = load(folder)
    assert len(ds.scores) > 0


@pytest.mark.slow
def test_full_stevenson_size(tmp_path):
    """Full size keeps the planted truths; its speed target is in benchmarks/bench_sample.py."""
    truth = generate_sample(tmp_path / "big", students=4000)
    st = pd.read_csv(tmp_path / "big" / "students.csv", dtype=str)
    assert st["grade"].isin(["9", "10", "11", "12"]).sum() == 4000
    assert truth["goals"][1]["expected_status"] == "on track"


def test_committed_sample_is_current(folder):
    """The shipped sample (plc_analysis/data/sample) is exactly what the generator writes today."""
    for name in list(SAMPLE_FILES) + ["planted.json", "README.md"]:
        assert (SAMPLE_PATH / name).read_bytes() == (folder / name).read_bytes(), (
            f"{SAMPLE_PATH / name} is stale: run `make sample` (plc sample --out plc_analysis/data/sample)"
        )
