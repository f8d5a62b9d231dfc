"""A big district's year out of core: 10M and 100M score rows, every stage timed with its peak memory.

Run from the repository root::

    .venv/bin/python benchmarks/bench_scale.py                 # 10M and 100M rows, batch of 50 teams
    .venv/bin/python benchmarks/bench_scale.py --quick         # 1M and 10M rows, batch of 10 teams
    .venv/bin/python benchmarks/bench_scale.py --sizes 1e7 --batch-teams 0 --stages open,core

For each size, the cached school-partitioned district of
``scale_district.py`` (≈ 3,000 students and 21 teams per million score rows;
generated on first use, with a progress bar) goes through these stages, each
in a fresh subprocess so that its peak RSS (``ru_maxrss``) is its own:

(a) ``open``: load + validate (``plc_analysis.outofcore.open_district``:
    the small tables in pandas, every score row checked in SQL);
(b) ``overview``: the district overview tables (opened again, not timed);
(c) ``extracts``: every team's extract cut from the district (opened again);
(d) ``batch``: ``plc batch --jobs 2`` of ``--batch-teams`` teams drawn from
    the district (the partitioned district is read one school at a time);
    the peak is the largest of the batch process and its kernels;
(e) ``core``: the core aggregation (share proficient per team × skill ×
    teacher) by our engine (the library's mastery table, rule ``mean``, as
    ``compare_to_team(by="skill")``), against the hand-written DuckDB SQL of
    ``core_aggregation.py`` on the same files with the same memory limit and
    threads, each in its own process, best of ``--repeat``; answers compared.

Then, at ``--check-rows`` (1M), the answers of the out-of-core path are
compared with the in-memory pandas path (``plc.load_dataset`` on the flat
copy of the same district): ``compare_to_team(by="skill")``'s counts and
``proficiency_by_skill``.

Targets (issue 23): peak RSS < 6 GB in every stage at every size;
(a) + (b) + (c) < 3 minutes at 100M rows; their time no worse than linear
from 10M to 100M; our core aggregation within 1.25× of DuckDB's hand-written
SQL at 10M and 100M; answers equal to the in-memory path at 1M.

The stages call the out-of-core package through one small adapter function
each (``open_stage``, ``validate_stage``, ``overview_stage``,
``extracts_stage``, ``core_stage``); a stage whose function is not in the
package yet prints ``not wired`` and its targets are not judged.

This is a script, not a test: it prints figures and exits 0 whatever they are.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from core_aggregation import CORE_KEYS, core_difference, duckdb_core, pandas_core, tidy_core  # noqa: E402
from measure import peak_rss_gb, result_line, spawn, verdict  # noqa: E402
from scale_district import cached_flat, cached_partitioned, district_summary  # noqa: E402

TARGET_PEAK_GB = 6.0
TARGET_PIPELINE_SECONDS = 180.0  # (a) + (b) + (c) at 100M rows
TARGET_CORE_RATIO = 1.25  # our core aggregation / hand-written DuckDB SQL
LINEAR_SLACK = 1.1  # growth ratio allowed above the size ratio (noise)
PIPELINE = ("open", "overview", "extracts")
STAGES = (*PIPELINE, "batch", "core")
MEMORY_LIMIT = "3GB"
SUBGROUPS = ("ell", "sped", "frl")  # DuckDB's, for our engine and the hand-written SQL alike
PLC = Path(sys.executable).parent / "plc"


class NotWired(RuntimeError):
    """The out-of-core package does not offer this stage yet."""


# --------------------------------------------------------------------------- #
# Adapters: the only places that know the out-of-core package's names
# --------------------------------------------------------------------------- #
def open_stage(folder: Path, *, memory_limit: str, threads: int | None) -> Any:
    """(a) Open the district out of core: read and validate every table (raises on invalid rows)."""
    from plc_analysis.outofcore import open_district

    return open_district(folder, memory_limit=memory_limit, threads=threads)


def validate_stage(district: Any) -> dict[str, int]:
    """(a) What validation found: score rows kept, problems, rejected rows."""
    return {
        "score_rows": district.count("scores"),
        "problems": len(district.problems),
        "rejected": len(district.rejected),
    }


def overview_stage(district: Any) -> dict[str, pd.DataFrame]:
    """(b) The district overview tables, by name (as :func:`overview_in_memory` names them)."""
    from plc_analysis.outofcore.overview import district_overview_tables
    from plc_analysis.outofcore.proficiency_sql import district_proficiency_by_skill

    overview = district_overview_tables(district)
    tables = {"proficiency by skill, team": overview.by_team, "proficiency by skill, district": overview.district}
    for subgroup in SUBGROUPS:
        tables[f"proficiency by skill, school × {subgroup}"] = district_proficiency_by_skill(
            district, by=["school", subgroup]
        )
    return tables


def extracts_stage(district: Any, out: Path) -> int:
    """(c) Every team's extract cut from the district into ``out``; returns the number of teams."""
    from plc_analysis.outofcore.extracts import cut_team_extracts

    return len(cut_team_extracts(district, out, progress=True))


def core_stage(district: Any) -> pd.DataFrame:
    """(e) The core aggregation by our engine: ``n``, ``x`` per team × skill × teacher, rule ``mean``."""
    from plc_analysis.outofcore.mastery import mastery_view

    mastery = mastery_view(district, "mean")
    return tidy_core(
        district.sql(
            f"""SELECT team_id, skill_id, teacher_id, count(*) AS n,
                       CAST(sum(CASE WHEN proficient THEN 1 ELSE 0 END) AS BIGINT) AS x
                FROM {mastery} WHERE teacher_id IS NOT NULL GROUP BY ALL"""
        )[[*CORE_KEYS, "n", "x"]]
    )


def overview_in_memory(dataset: Any) -> dict[str, pd.DataFrame]:
    """(b)'s tables computed by the in-memory pandas path, for the answers check."""
    import plc_analysis as plc

    tables = {
        "proficiency by skill, team": plc.proficiency_by_skill(dataset, by="team"),
        "proficiency by skill, district": plc.proficiency_by_skill(dataset, by=None),
    }
    for subgroup in SUBGROUPS:
        tables[f"proficiency by skill, school × {subgroup}"] = plc.proficiency_by_skill(
            dataset, by=["school", subgroup]
        )
    return tables


# --------------------------------------------------------------------------- #
# Workers (each in its own process)
# --------------------------------------------------------------------------- #
def _timed(step: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = step()
    return value, time.perf_counter() - start


def run_stage(stage: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One stage in this process: its time (after opening, but for ``open``), figures and peak RSS."""
    options = {"memory_limit": args.memory_limit, "threads": args.threads}
    result: dict[str, Any] = {}
    if stage in ("core", "core-sql"):
        seconds: list[float] = []
        table = pd.DataFrame()
        for _ in range(args.repeat):
            if stage == "core-sql":
                start = time.perf_counter()
                table = duckdb_core(folder, threads=args.threads, memory_limit=args.memory_limit)
                seconds.append(time.perf_counter() - start)
            else:  # a fresh district each time: nothing computed is carried over; opening is not timed
                fresh = open_stage(folder, **options)
                start = time.perf_counter()
                table = core_stage(fresh)
                seconds.append(time.perf_counter() - start)
                fresh.close()
        table.to_parquet(args.out)
        return {"seconds": min(seconds), "all_seconds": seconds, "peak_gb": peak_rss_gb()}
    district, opened = _timed(lambda: open_stage(folder, **options))
    if stage == "open":
        found, checked = _timed(lambda: validate_stage(district))
        result = {"seconds": opened + checked, **found}
    elif stage == "overview":
        tables, spent = _timed(lambda: overview_stage(district))
        result = {"seconds": spent, "open_seconds": opened, "tables": {k: len(v) for k, v in tables.items()}}
    elif stage == "extracts":
        with tempfile.TemporaryDirectory(dir=args.scratch) as out:
            teams, spent = _timed(lambda: extracts_stage(district, Path(out)))
            size = sum(f.stat().st_size for f in Path(out).rglob("*") if f.is_file())
        result = {"seconds": spent, "open_seconds": opened, "teams": teams, "bytes": size}
    district.close()
    return {**result, "peak_gb": peak_rss_gb()}


def run_batch(folder: Path, teams: list[str], scratch: Path, jobs: int) -> dict[str, Any]:
    """(d) ``plc batch`` of ``teams`` on the partitioned district; peak of the batch process and its kernels."""
    out = scratch / "batch"
    command = [str(PLC), "batch", "--data", str(folder), "--out", str(out), "--jobs", str(jobs), "--quiet"]
    for team in teams:
        command += ["--team", team]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    pages = len([p for p in out.rglob("*.html") if p.name != "index.html"]) if out.exists() else 0
    shutil.rmtree(out, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    failed = "" if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["?"])[-1][:200]
    return {
        "seconds": seconds,
        "per_team": seconds / max(1, len(teams)),
        "teams": len(teams),
        "pages": pages,
        "peak_gb": peak,
        "failed": failed,
    }


def check_answers(rows: int, args: argparse.Namespace) -> dict[str, Any]:
    """The out-of-core answers against the in-memory pandas path on the same (small) district."""
    import plc_analysis as plc

    folder = cached_partitioned(rows)
    dataset = plc.load_dataset(cached_flat(rows))
    district = open_stage(folder, memory_limit=args.memory_limit, threads=args.threads)
    differences = {}
    try:
        differences["core aggregation"] = core_difference(pandas_core(dataset), core_stage(district))
    except NotWired as exc:
        differences["core aggregation"] = f"not wired: {exc}"
    try:
        ours = overview_stage(district)
        theirs = overview_in_memory(dataset)
        for name, table in theirs.items():
            differences[name] = _frame_difference(table, ours.get(name))
    except NotWired as exc:
        differences["overview"] = f"not wired: {exc}"
    district.close()
    return {"rows": len(dataset.scores), "differences": differences}


def _frame_difference(expected: pd.DataFrame, got: pd.DataFrame | None) -> str:
    if got is None:
        return "missing"
    if len(expected) != len(got):
        return f"{len(got)} rows against {len(expected)}"
    keys = [
        c
        for c in expected.columns
        if expected[c].dtype == object or str(expected[c].dtype) in ("str", "string", "category", "bool")
    ]
    left = expected.sort_values(keys, kind="stable").reset_index(drop=True) if keys else expected
    right = got[list(expected.columns)].sort_values(keys, kind="stable").reset_index(drop=True) if keys else got
    try:
        pd.testing.assert_frame_equal(left, right, check_dtype=False, check_exact=False, rtol=1e-9, atol=1e-12)
    except (AssertionError, KeyError) as exc:
        return str(exc).strip().splitlines()[0][:200]
    return ""


def _worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind")
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--scratch", type=Path)
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--memory-limit", default=MEMORY_LIMIT)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--teams", default="")
    args = parser.parse_args(argv)
    result: dict[str, Any]
    try:
        if args.kind == "generate":
            folder, spent = _timed(lambda: cached_partitioned(args.rows))
            result = {"folder": str(folder), "seconds": spent, **district_summary(folder)}
        elif args.kind == "batch":
            result = run_batch(args.folder, args.teams.split(","), args.scratch, args.jobs)
        elif args.kind == "answers":
            result = check_answers(args.rows, args)
        else:
            result = run_stage(args.kind, args.folder, args)
    except (NotWired, ImportError) as exc:
        result = {"not_wired": str(exc)}
    except Exception as exc:  # the stage failed: say how, with the figures of the others
        traceback.print_exc()
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        result = {"error": f"{type(exc).__name__}: {lines[0] if lines else ''}"[:400], "peak_gb": peak_rss_gb()}
    print(result_line(result))
    return 0


# --------------------------------------------------------------------------- #
# Driver
# --------------------------------------------------------------------------- #
def draw_teams(folder: Path, n: int, seed: int = 50) -> list[str]:
    """``n`` teams drawn at random (fixed seed) from the district's partitions."""
    teams = sorted(
        str(t)
        for part in sorted(folder.glob("school_id=*"))
        for t in pq.read_table(part / "teams.parquet", columns=["team_id"])["team_id"].to_pylist()
    )
    chosen = np.random.default_rng(seed).choice(len(teams), size=min(n, len(teams)), replace=False)
    return [teams[i] for i in sorted(chosen)]


def measure_size(rows: int, args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    """Every chosen stage on the district of ``rows`` rows."""
    common = ["--memory-limit", args.memory_limit, "--scratch", str(scratch)]
    if args.threads:
        common += ["--threads", str(args.threads)]
    made = spawn(__file__, "generate", "--rows", str(rows), stream_stderr=True)
    folder = made["folder"]
    result: dict[str, Any] = {
        "rows": made["scores"],
        "students": made["students"],
        "teams": made["teams"],
        "schools": made["schools"],
        "generate_seconds": made["seconds"],
        "stages": {},
    }
    for stage in args.stages:
        try:
            if stage == "batch":
                if args.batch_teams <= 0:
                    continue
                teams = draw_teams(Path(folder), args.batch_teams)
                figures = spawn(
                    __file__, "batch", "--folder", folder, "--teams", ",".join(teams), "--jobs", str(args.jobs), *common
                )
            elif stage == "core":
                ours_out, sql_out = scratch / f"ours-{rows}.parquet", scratch / f"sql-{rows}.parquet"
                repeat = ["--repeat", str(args.repeat)]
                figures = spawn(__file__, "core", "--folder", folder, "--out", str(ours_out), *repeat, *common)
                figures["sql"] = spawn(
                    __file__, "core-sql", "--folder", folder, "--out", str(sql_out), *repeat, *common
                )
                if "not_wired" not in figures:
                    figures["difference"] = core_difference(pd.read_parquet(ours_out), pd.read_parquet(sql_out))
            else:
                figures = spawn(__file__, stage, "--folder", folder, *common, stream_stderr=True)
        except RuntimeError as exc:
            figures = {"error": str(exc).strip().splitlines()[-1][:300]}
        result["stages"][stage] = figures
        print(
            f"    {stage}: {_fig(figures).strip()}"
            + (f"; core (DuckDB SQL): {_fig(figures['sql']).strip()}" if "sql" in figures else ""),
            flush=True,
        )
    return result


def _fig(figures: dict[str, Any] | None) -> str:
    if figures is None:
        return f"{'-':>17}"
    if "not_wired" in figures:
        return f"{'not wired':>17}"
    if "error" in figures:
        return f"{'FAILED':>17}"
    return f"{figures['seconds']:>9.1f} s{figures['peak_gb']:>5.2f} GB"


def _pipeline_seconds(result: dict[str, Any]) -> float | None:
    stages = [result["stages"].get(s) for s in PIPELINE]
    if any(s is None or "seconds" not in s for s in stages):
        return None
    return float(sum(s["seconds"] for s in stages if s is not None))


def report(results: list[dict[str, Any]], answers: dict[str, Any] | None) -> list[str]:
    """The table of figures and the PASS/MISS lines."""
    head = f"{'score rows':>13}{'students':>9}{'teams':>7}" + "".join(
        f"{s:>18}" for s in (*STAGES, "core (DuckDB SQL)")
    )
    lines = [head, "-" * len(head)]
    for r in results:
        core = r["stages"].get("core")
        lines.append(
            f"{r['rows']:>13,}{r['students']:>9,}{r['teams']:>7,}"
            + "".join(f" {_fig(r['stages'].get(s))}" for s in STAGES)
            + f" {_fig(core.get('sql') if core else None)}"
        )
    lines.append("")
    for r in results:
        for stage, figures in r["stages"].items():
            if "not_wired" in figures:
                lines.append(f"{r['rows']:,} rows, {stage}: not wired ({figures['not_wired']})")
            elif "error" in figures:
                lines.append(f"{r['rows']:,} rows, {stage}: FAILED: {figures['error']}")
        batch = r["stages"].get("batch")
        if batch and "seconds" in batch:
            lines.append(
                f"{r['rows']:,} rows, plc batch of {batch['teams']} teams: {batch['seconds']:.1f} s "
                f"({batch['per_team']:.2f} s a team), {batch['pages']} pages"
                + (f", FAILED: {batch['failed']}" if batch["failed"] else "")
            )
    lines.append("")
    # targets
    for r in results:
        peaks = {s: f["peak_gb"] for s, f in r["stages"].items() if "peak_gb" in f}
        core = r["stages"].get("core", {})
        if "sql" in core and "peak_gb" in core["sql"]:
            peaks["core (DuckDB SQL)"] = core["sql"]["peak_gb"]
        if peaks:
            worst = max(peaks, key=lambda s: peaks[s])
            lines.append(
                f"{r['rows']:,} rows peak RSS: largest {peaks[worst]:.2f} GB ({worst}), "
                f"target < {TARGET_PEAK_GB:g} GB: {verdict(peaks[worst] < TARGET_PEAK_GB)}"
            )
    largest = results[-1] if results else None
    if largest is not None:
        total = _pipeline_seconds(largest)
        if total is None:
            lines.append("load + validate + overview + all extracts: not judged (a stage is not wired or failed)")
        elif largest["rows"] >= 90_000_000:
            lines.append(
                f"{largest['rows']:,} rows load + validate + overview + all extracts: {total:.1f} s, target < "
                f"{TARGET_PIPELINE_SECONDS:g} s: {verdict(total < TARGET_PIPELINE_SECONDS)}"
            )
        else:
            lines.append(
                f"(no 100M-row run: the {TARGET_PIPELINE_SECONDS:g} s target is not judged; {total:.1f} s here)"
            )
    for small, big in zip(results, results[1:]):
        a, b = _pipeline_seconds(small), _pipeline_seconds(big)
        if a is None or b is None:
            continue
        ratio, growth = big["rows"] / small["rows"], b / a
        lines.append(
            f"growth {small['rows']:,} -> {big['rows']:,} rows ({ratio:.1f}x data): time x{growth:.2f}, target <= "
            f"x{ratio * LINEAR_SLACK:.1f} (no worse than linear): {verdict(growth <= ratio * LINEAR_SLACK)}"
        )
    for r in results:
        core = r["stages"].get("core")
        if not core or "seconds" not in core or "seconds" not in core.get("sql", {}):
            continue
        ratio = core["seconds"] / core["sql"]["seconds"]
        lines.append(
            f"{r['rows']:,} rows core aggregation: ours {core['seconds']:.2f} s vs DuckDB SQL "
            f"{core['sql']['seconds']:.2f} s "
            f"= {ratio:.2f}x, target <= {TARGET_CORE_RATIO:g}x: {verdict(ratio <= TARGET_CORE_RATIO)}; answers agree: "
            f"{verdict(not core.get('difference'))}" + (f" ({core['difference']})" if core.get("difference") else "")
        )
    if answers is not None:
        if "not_wired" in answers:
            lines.append(f"answers against the in-memory path: not wired ({answers['not_wired']})")
        else:
            bad = {k: v for k, v in answers["differences"].items() if v}
            wired = {k: v for k, v in bad.items() if not v.startswith("not wired")}
            lines.append(
                f"{answers['rows']:,} rows answers equal to the in-memory pandas path "
                f"({len(answers['differences'])} tables): {verdict(not wired)}"
            )
            lines += [f"  {name}: {what}" for name, what in bad.items()]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures; always returns 0."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return _worker(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e7,1e8", help="comma-separated score-row counts (default 1e7,1e8)")
    parser.add_argument("--quick", action="store_true", help="smoke run: sizes 1e6,1e7, a batch of 10 teams")
    parser.add_argument("--stages", default=",".join(STAGES), help="comma-separated subset of " + ", ".join(STAGES))
    parser.add_argument("--batch-teams", type=int, default=None, help="teams in the batch stage (default 50; 0: none)")
    parser.add_argument("--jobs", type=int, default=2, help="plc batch --jobs (default 2)")
    parser.add_argument("--check-rows", default="1e6", help="size of the answers check against pandas (0: none)")
    parser.add_argument("--repeat", type=int, default=1, help="core aggregation runs per engine (best kept)")
    parser.add_argument("--memory-limit", default=MEMORY_LIMIT, help=f"DuckDB memory limit (default {MEMORY_LIMIT})")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: every core)")
    args = parser.parse_args(argv)
    args.stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = sorted(set(args.stages) - set(STAGES))
    if unknown:
        parser.error(f"unknown stage(s): {', '.join(unknown)}")
    if args.batch_teams is None:
        args.batch_teams = 10 if args.quick else 50
    sizes = [int(float(s)) for s in ("1e6,1e7" if args.quick else args.sizes).split(",") if s.strip()]
    check_rows = int(float(args.check_rows))
    shown = ", ".join(f"{s:,}" for s in sizes)
    print(
        f"bench_scale: sizes {shown}; stages {', '.join(args.stages)}; batch of {args.batch_teams} teams; "
        f"DuckDB memory limit {args.memory_limit}; {os.cpu_count()} CPUs"
    )
    results = []
    answers = None
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        for rows in sizes:
            print(f"  {rows:,} rows ...", flush=True)
            try:
                results.append(measure_size(rows, args, Path(scratch)))
            except Exception as exc:  # a script that prints, never fails
                print(f"  {rows:,} rows failed: {exc}")
        if check_rows:
            print(f"  answers at {check_rows:,} rows against the in-memory path ...", flush=True)
            try:
                answers = spawn(
                    __file__,
                    "answers",
                    "--rows",
                    str(check_rows),
                    "--memory-limit",
                    args.memory_limit,
                    stream_stderr=True,
                )
            except RuntimeError as exc:
                answers = {"not_wired": f"failed: {str(exc).strip().splitlines()[-1][:200]}"}
    print()
    print("\n".join(report(results, answers)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
