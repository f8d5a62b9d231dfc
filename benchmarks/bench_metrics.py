"""Metrics at scale: load + proficiency + comparison + support at 1M and 10M score rows.

Run from the repository root::

    .venv/bin/python benchmarks/bench_metrics.py                 # 1M and 10M rows
    .venv/bin/python benchmarks/bench_metrics.py --quick         # 100k and 1M (smoke run)
    .venv/bin/python benchmarks/bench_metrics.py --sizes 1e6,1e7 --repeat 2 --csv

For each size a synthetic canonical district is generated (vectorised numpy,
written as Parquet, optionally CSV, into ``benchmarks/.cache/``; reused when
present).  Then, each in a fresh subprocess so that peak memory is its own:

* **pandas** — ``plc.load_dataset(folder)``, ``proficiency_by_skill``,
  ``compare_to_team`` and ``students_needing_support`` end to end on one
  dataset (as a report does), timed step by step; peak RSS of the process;
  then the *core aggregation* (share proficient per team × skill × teacher,
  ``compare_to_team(by="skill")`` on the loaded tables with a cold join cache);
* **DuckDB** — the same core aggregation in SQL straight over the Parquet
  files (scan included), as a reference; the two answers must agree.

Targets (issue 6, "Scale and speed"): 10M rows end to end in under 30 s and
under 6 GB peak memory; time growing no worse than linearly (10M/1M time
ratio ≤ 10 × 1.1 for noise); the pandas core aggregation within 3× of DuckDB.

This is a script, not a test: it prints figures and exits 0 whatever they are.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from core_aggregation import core_difference, duckdb_core, pandas_core  # noqa: E402
from measure import peak_rss_gb, result_line, spawn, verdict  # noqa: E402
from synthetic import LETTERS, ids, score_table  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache"
#: Bump when the generator changes, so cached districts are rebuilt.
GENERATOR_VERSION = 2

TARGET_SECONDS = 30.0  # 10M rows end to end
TARGET_PEAK_GB = 6.0  # 10M rows end to end
TARGET_DUCKDB_RATIO = 3.0  # pandas core aggregation / DuckDB
LINEAR_SLACK = 1.1  # growth ratio allowed above the size ratio (noise)
CORE_RUNS = 2  # core aggregation timed this many times per process, best kept (both engines)
STEPS = ("load", "proficiency_by_skill", "compare_to_team", "students_needing_support")


# --------------------------------------------------------------------------- #
# Synthetic district
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Layout:
    """Shape of the synthetic district; every team has the same blueprint."""

    students_per_team: int = 500
    teachers_per_team: int = 4
    sections_per_teacher: int = 2
    skills_per_team: int = 12
    essential_per_team: int = 8
    assessments_per_team: int = 10
    items_per_assessment: int = 20
    teams_per_school: int = 10
    absent_rate: float = 0.03  # student × assessment with no rows at all
    not_attempted_rate: float = 0.01  # blank points
    double_scored_rate: float = 0.002  # rubric rows scored again by a colleague (calibration)

    @property
    def items_per_team(self) -> int:
        return self.assessments_per_team * self.items_per_assessment


def students_for(rows: int, layout: Layout = Layout()) -> int:
    """Number of students giving about ``rows`` score rows."""
    per_student = layout.items_per_team * (1 - layout.absent_rate)
    return max(layout.students_per_team // 10, int(round(rows / per_student)))


def _small_tables(n_students: int, layout: Layout, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Schools, teams, teachers, sections, students, enrollments, skills, assessments, items."""
    n_teams = max(1, math.ceil(n_students / layout.students_per_team))
    n_schools = max(1, math.ceil(n_teams / layout.teams_per_school))
    team_ids = ids("T", n_teams, 4)
    tables: dict[str, pd.DataFrame] = {}
    tables["schools"] = pd.DataFrame(
        {"school_id": ids("S", n_schools, 3), "name": [f"School {i}" for i in range(n_schools)]}
    )
    tables["teams"] = pd.DataFrame(
        {
            "team_id": team_ids,
            "school_id": tables["schools"]["school_id"].to_numpy()[np.arange(n_teams) // layout.teams_per_school],
            "name": [f"Team {i}" for i in range(n_teams)],
            "grade": [str(3 + i % 6) for i in range(n_teams)],
            "subject": np.where(np.arange(n_teams) % 2 == 0, "math", "ela"),
        }
    )
    n_teachers = n_teams * layout.teachers_per_team
    teacher_team = np.arange(n_teachers) // layout.teachers_per_team
    tables["teachers"] = pd.DataFrame(
        {
            "teacher_id": ids("t", n_teachers, 5),
            "team_id": team_ids[teacher_team],
            "name": [f"Teacher {i}" for i in range(n_teachers)],
        }
    )
    n_sections = n_teachers * layout.sections_per_teacher
    section_teacher = np.arange(n_sections) // layout.sections_per_teacher
    tables["sections"] = pd.DataFrame(
        {
            "section_id": ids("sec", n_sections, 5),
            "teacher_id": tables["teachers"]["teacher_id"].to_numpy()[section_teacher],
            "team_id": team_ids[teacher_team[section_teacher]],
            "period": (np.arange(n_sections) % 7 + 1).astype(str),
            "term": "2025-26",
        }
    )
    student_team = np.minimum(np.arange(n_students) // layout.students_per_team, n_teams - 1)
    sections_per_team = layout.teachers_per_team * layout.sections_per_teacher
    student_section = student_team * sections_per_team + rng.integers(0, sections_per_team, n_students)
    first = np.array(["Ana", "Ben", "Cy", "Di", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo"], dtype=object)
    last = np.array(["Diaz", "Eto", "Fox", "Gao", "Hall", "Ito", "Jones", "Khan", "Lee", "Moss"], dtype=object)
    tables["students"] = pd.DataFrame(
        {
            "student_id": ids("st", n_students, 7),
            "grade": tables["teams"]["grade"].to_numpy()[student_team],
            "first_name": first[rng.integers(0, 10, n_students)],
            "last_name": last[rng.integers(0, 10, n_students)],
            "ell": rng.random(n_students) < 0.15,
            "sped": rng.random(n_students) < 0.12,
            "frl": rng.random(n_students) < 0.4,
        }
    )
    tables["enrollments"] = pd.DataFrame(
        {
            "student_id": tables["students"]["student_id"],
            "section_id": tables["sections"]["section_id"].to_numpy()[student_section],
        }
    )
    k = layout.skills_per_team
    skill_team = np.repeat(np.arange(n_teams), k)
    local = np.tile(np.arange(k), n_teams)
    tables["skills"] = pd.DataFrame(
        {
            "skill_id": [f"{team_ids[t]}-k{j:02d}" for t, j in zip(skill_team, local)],
            "description": [f"Skill {j} of team {t}" for t, j in zip(skill_team, local)],
            "team_id": team_ids[skill_team],
            "essential": local < layout.essential_per_team,
            "proficiency_cut": rng.choice([0.7, 0.75, 0.8], size=n_teams * k),
            "standard": [f"STD.{j}" for j in local],
        }
    )
    a = layout.assessments_per_team
    assessment_team = np.repeat(np.arange(n_teams), a)
    a_local = np.tile(np.arange(a), n_teams)
    kinds = np.where(a_local == a - 1, "cumulative", np.where(a_local == a - 2, "unit", "cfa"))
    tables["assessments"] = pd.DataFrame(
        {
            "assessment_id": [f"{team_ids[t]}-a{j:02d}" for t, j in zip(assessment_team, a_local)],
            "team_id": team_ids[assessment_team],
            "title": [f"CFA {j + 1}" for j in a_local],
            "kind": kinds,
            "date": pd.Timestamp("2025-09-08") + pd.to_timedelta(14 * a_local, unit="D"),
            "unit": [f"Unit {j // 3 + 1}" for j in a_local],
        }
    )
    per = layout.items_per_assessment
    item_assessment = np.repeat(np.arange(n_teams * a), per)
    i_local = np.tile(np.arange(per), n_teams * a)
    item_kind_code = np.where(i_local % 5 < 3, 0, np.where(i_local % 5 == 3, 1, 2))  # mc, cr, rubric
    item_skill_local = (a_local[item_assessment] * 2 + i_local % 3) % k
    item_skill = assessment_team[item_assessment] * k + item_skill_local
    keys = np.array(list("ABCD"), dtype=object)[rng.integers(0, 4, len(i_local))]
    tables["items"] = pd.DataFrame(
        {
            "assessment_id": tables["assessments"]["assessment_id"].to_numpy()[item_assessment],
            "item_id": [
                f"{aid}-{j:02d}"
                for aid, j in zip(tables["assessments"]["assessment_id"].to_numpy()[item_assessment], i_local)
            ],
            "skill_id": tables["skills"]["skill_id"].to_numpy()[item_skill],
            "max_points": np.array([1.0, 2.0, 4.0])[item_kind_code],
            "kind": np.array(["mc", "cr", "rubric"], dtype=object)[item_kind_code],
            "key": np.where(item_kind_code == 0, keys, np.full(len(keys), None, dtype=object)),
        }
    )
    tables["_student_section"] = pd.DataFrame({"section": student_section, "team": student_team})
    return tables


def _scores(tables: dict[str, pd.DataFrame], layout: Layout, rng: np.random.Generator) -> pa.Table:
    """Score rows (vectorised): one per student × item of the student's team, minus absences."""
    placement = tables["_student_section"]
    n_students = len(placement)
    per_team = layout.items_per_team
    student = np.repeat(np.arange(n_students, dtype=np.int64), per_team)
    local = np.tile(np.arange(per_team, dtype=np.int64), n_students)
    team = placement["team"].to_numpy()[student]
    item = team * per_team + local
    assessment = team * layout.assessments_per_team + local // layout.items_per_assessment
    absent = rng.random((n_students, layout.assessments_per_team)) < layout.absent_rate
    keep = ~absent[student, local // layout.items_per_assessment]
    student, item, assessment, team = student[keep], item[keep], assessment[keep], team[keep]
    teacher = placement["section"].to_numpy()[student] // layout.sections_per_teacher
    colleague = team * layout.teachers_per_team + (teacher % layout.teachers_per_team + 1) % layout.teachers_per_team
    ability = rng.normal(1.3, 1.0, n_students)
    teacher_effect = rng.normal(0.0, 0.35, len(tables["teachers"]))
    item_difficulty = rng.normal(0.0, 0.7, len(tables["items"]))
    max_points = tables["items"]["max_points"].to_numpy()
    keys = tables["items"]["key"].fillna("A").to_numpy().astype(str)
    return score_table(
        rng,
        student=student,
        assessment=assessment,
        item=item,
        teacher=teacher,
        colleague=colleague,
        logit=ability[student] + teacher_effect[teacher] - item_difficulty[item],
        max_points=max_points[item],
        key=np.searchsorted(LETTERS.astype(str), keys)[item],
        labels={
            "student": tables["students"]["student_id"].to_numpy(),
            "assessment": tables["assessments"]["assessment_id"].to_numpy(),
            "item": tables["items"]["item_id"].to_numpy(),
            "teacher": tables["teachers"]["teacher_id"].to_numpy(),
        },
        not_attempted_rate=layout.not_attempted_rate,
        double_scored_rate=layout.double_scored_rate,
    )


def generate_district(
    folder: str | Path, rows: int, *, seed: int = 6, csv: bool = False, layout: Layout = Layout()
) -> Path:
    """Write a synthetic canonical district with about ``rows`` score rows.

    Parameters
    ----------
    folder : str or Path
        Destination folder (created).
    rows : int
        Approximate number of score rows; students are added to reach it.
    seed : int
        Random seed (the same seed and size give the same district).
    csv : bool
        Also write every table as CSV (``<folder>/csv/``).
    layout : Layout
        Shape of each team (students, teachers, sections, skills, items).

    Returns
    -------
    Path
        The folder with one Parquet file per canonical table.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    tables = _small_tables(students_for(rows, layout), layout, rng)
    scores = _scores(tables, layout, rng)
    tables.pop("_student_section")
    for name, frame in tables.items():
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / f"{name}.parquet")
    pq.write_table(scores, folder / "scores.parquet", row_group_size=1 << 20)
    if csv:
        out = folder / "csv"
        out.mkdir(exist_ok=True)
        for name, frame in tables.items():
            frame.assign(
                **{c: frame[c].map({True: "true", False: "false"}) for c in frame.columns if frame[c].dtype == bool}
            ).to_csv(out / f"{name}.csv", index=False)
        scores.to_pandas().to_csv(out / "scores.csv", index=False)
    return folder


def cached_district(rows: int, *, csv: bool = False, seed: int = 6) -> Path:
    """The cached district for ``rows`` (generated on first use)."""
    folder = CACHE / f"v{GENERATOR_VERSION}-{rows}-seed{seed}"
    done = folder / ".complete"
    if not done.exists() or (csv and not (folder / "csv" / "scores.csv").exists()):
        generate_district(folder, rows, seed=seed, csv=csv)
        done.write_text("ok\n")
    return folder


# --------------------------------------------------------------------------- #
# Workers (each in its own process: peak memory is the process's own)
# --------------------------------------------------------------------------- #
def run_pandas(folder: Path, out: Path, *, source: str = "parquet", core: bool = True) -> dict:
    """End-to-end pandas run on one folder; the core aggregation written to ``out``."""
    import plc_analysis as plc

    times: dict[str, float] = {}
    start = time.perf_counter()
    dataset = plc.load_dataset(folder / "csv" if source == "csv" else folder)
    times["load"] = time.perf_counter() - start
    steps = {
        "proficiency_by_skill": lambda: plc.proficiency_by_skill(dataset),
        "compare_to_team": lambda: plc.compare_to_team(dataset, by="skill"),
        "students_needing_support": lambda: plc.students_needing_support(dataset),
    }
    sizes = {}
    for name, step in steps.items():
        start = time.perf_counter()
        sizes[name] = len(step())
        times[name] = time.perf_counter() - start
    result = {"rows": len(dataset.scores), "times": times, "peak_gb": peak_rss_gb(), "sizes": sizes}
    if core:
        seconds = []
        table = None
        for _ in range(CORE_RUNS):  # a cold join cache each time: nothing carried over from the steps above
            start = time.perf_counter()
            table = pandas_core(dataset.uncached())
            seconds.append(time.perf_counter() - start)
        result["core_seconds"] = min(seconds)
        assert table is not None, "CORE_RUNS must be at least 1"
        table.to_parquet(out)
    return result


def run_duckdb(folder: Path, out: Path) -> dict:
    """The DuckDB reference on one folder (best of ``CORE_RUNS``); its answer written to ``out``."""
    seconds = []
    table = None
    for _ in range(CORE_RUNS):
        start = time.perf_counter()
        table = duckdb_core(folder)
        seconds.append(time.perf_counter() - start)
    assert table is not None, "CORE_RUNS must be at least 1"
    table.to_parquet(out)
    return {"core_seconds": min(seconds), "peak_gb": peak_rss_gb()}


def _worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["pandas", "duckdb", "generate"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--source", default="parquet")
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--csv", action="store_true")
    args = parser.parse_args(argv)
    if args.kind == "generate":
        start = time.perf_counter()
        folder = cached_district(args.rows, csv=args.csv)
        result = {"folder": str(folder), "seconds": time.perf_counter() - start}
    elif args.kind == "pandas":
        result = run_pandas(args.folder, args.out, source=args.source, core=args.source == "parquet")
    else:
        result = run_duckdb(args.folder, args.out)
    print(result_line(result))
    return 0


def _spawn(*args: str) -> dict:
    return spawn(__file__, *args)


# --------------------------------------------------------------------------- #
# Driver
# --------------------------------------------------------------------------- #
def _parse_sizes(text: str) -> list[int]:
    return [int(float(s)) for s in text.split(",") if s.strip()]


def _measure(rows: int, repeat: int, csv: bool, scratch: Path) -> dict:
    made = _spawn("generate", ".", ".", "--rows", str(rows), *(["--csv"] if csv else []))
    folder = Path(made["folder"])
    runs, ducks, agree = [], [], []
    for r in range(repeat):
        p_out, d_out = scratch / f"pandas-{rows}-{r}.parquet", scratch / f"duckdb-{rows}-{r}.parquet"
        runs.append(_spawn("pandas", str(folder), str(p_out)))
        ducks.append(_spawn("duckdb", str(folder), str(d_out)))
        agree.append(core_difference(pd.read_parquet(p_out), pd.read_parquet(d_out)))
    best = min(runs, key=lambda x: sum(x["times"].values()))
    result = {
        "rows": best["rows"],
        "generate_seconds": made["seconds"],
        "runs": runs,
        "times": {s: min(x["times"][s] for x in runs) for s in STEPS},
        "total": min(sum(x["times"].values()) for x in runs),
        "totals": [sum(x["times"].values()) for x in runs],
        "peak_gb": max(x["peak_gb"] for x in runs),
        "core_seconds": min(x["core_seconds"] for x in runs),
        "duckdb_seconds": min(x["core_seconds"] for x in ducks),
        "duckdb_peak_gb": max(x["peak_gb"] for x in ducks),
        "disagreement": next((a for a in agree if a), ""),
    }
    if csv:
        csv_run = _spawn("pandas", str(folder), str(scratch / "unused.parquet"), "--source", "csv")
        result["csv_load"] = csv_run["times"]["load"]
        result["csv_total"] = sum(csv_run["times"].values())
    return result


def report(results: list[dict]) -> list[str]:
    """The figures table and the PASS/MISS lines."""
    lines = []
    head = (
        f"{'rows':>12}" + "".join(f"{s:>26}" for s in STEPS) + f"{'total s':>10}{'peak GB':>9}"
        f"{'core s':>8}{'duckdb s':>9}{'ratio':>7}{'agree':>7}"
    )
    lines += [head, "-" * len(head)]
    for r in results:
        lines.append(
            f"{r['rows']:>12,}"
            + "".join(f"{r['times'][s]:>26.2f}" for s in STEPS)
            + f"{r['total']:>10.2f}{r['peak_gb']:>9.2f}{r['core_seconds']:>8.2f}"
            f"{r['duckdb_seconds']:>9.2f}{r['core_seconds'] / r['duckdb_seconds']:>7.2f}"
            f"{'yes' if not r['disagreement'] else 'NO':>7}"
        )
    lines.append("")
    for r in results:
        totals = ", ".join(f"{t:.2f}" for t in r["totals"])
        extra = f"; CSV: load {r['csv_load']:.2f} s, end to end {r['csv_total']:.2f} s" if "csv_load" in r else ""
        lines.append(
            f"{r['rows']:,} rows: end-to-end runs {totals} s (best shown); DuckDB peak "
            f"{r['duckdb_peak_gb']:.2f} GB; generated/cached in {r['generate_seconds']:.1f} s{extra}"
        )
        if r["disagreement"]:
            lines.append(f"  pandas and DuckDB DISAGREE: {r['disagreement']}")
    lines.append("")
    for small, big in zip(results, results[1:]):
        size_ratio = big["rows"] / small["rows"]
        growth = big["total"] / small["total"]
        lines.append(
            f"growth {small['rows']:,} -> {big['rows']:,} rows ({size_ratio:.1f}x data): time x{growth:.2f}, "
            f"target <= x{size_ratio * LINEAR_SLACK:.1f} (no worse than linear): "
            f"{verdict(growth <= size_ratio * LINEAR_SLACK)}"
        )
    largest = results[-1]
    if largest["rows"] >= 9_000_000:
        lines.append(
            f"{largest['rows']:,} rows end to end: {largest['total']:.1f} s, target < {TARGET_SECONDS:g} s: "
            f"{verdict(largest['total'] < TARGET_SECONDS)}"
        )
        lines.append(
            f"{largest['rows']:,} rows peak memory: {largest['peak_gb']:.2f} GB, target < "
            f"{TARGET_PEAK_GB:g} GB: {verdict(largest['peak_gb'] < TARGET_PEAK_GB)}"
        )
    else:
        lines.append(f"(no 10M-row run: the 30 s / {TARGET_PEAK_GB:g} GB targets are not judged)")
    for r in results:
        ratio = r["core_seconds"] / r["duckdb_seconds"]
        lines.append(
            f"{r['rows']:,} rows core aggregation: pandas {r['core_seconds']:.2f} s vs DuckDB "
            f"{r['duckdb_seconds']:.2f} s = {ratio:.2f}x, target <= {TARGET_DUCKDB_RATIO:g}x: "
            f"{verdict(ratio <= TARGET_DUCKDB_RATIO)}; answers agree: "
            f"{verdict(not r['disagreement'])}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures; always returns 0."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return _worker(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6,1e7", help="comma-separated score-row counts (default 1e6,1e7)")
    parser.add_argument("--quick", action="store_true", help="smoke run: sizes 1e5,1e6")
    parser.add_argument("--repeat", type=int, default=2, help="runs per size (best time, worst memory shown)")
    parser.add_argument("--csv", action="store_true", help="also time loading from CSV (sizes up to 1M)")
    args = parser.parse_args(argv)
    sizes = _parse_sizes("1e5,1e6" if args.quick else args.sizes)
    print(
        f"bench_metrics: sizes {', '.join(f'{s:,}' for s in sizes)}; {args.repeat} run(s) each; "
        f"{os.cpu_count()} CPUs; cache {CACHE}"
    )
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for rows in sizes:
            print(f"  {rows:,} rows ...", flush=True)
            try:
                results.append(_measure(rows, args.repeat, args.csv and rows <= 1_000_000, Path(scratch)))
            except Exception as exc:  # a script that prints, never fails
                print(f"  {rows:,} rows failed: {exc}")
    print()
    if results:
        print("\n".join(report(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
