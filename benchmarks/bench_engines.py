"""Which out-of-core engine: DuckDB against Polars (lazy, streaming) on the core aggregation, 10M and 100M rows.

Run from the repository root::

    .venv/bin/python benchmarks/bench_engines.py              # 10M and 100M score rows
    .venv/bin/python benchmarks/bench_engines.py --quick      # 1M and 10M (smoke run)
    .venv/bin/python benchmarks/bench_engines.py --sizes 1e7 --repeat 2

For each size, the cached school-partitioned district of
``scale_district.py`` (generated on first use) is aggregated by each engine
in a fresh subprocess, straight over the same Parquet files (every
partition's): share proficient per team × skill × teacher, the same
aggregation as ``bench_metrics.py``'s DuckDB reference and the library's
``compare_to_team(by="skill")`` (:mod:`core_aggregation`).  Printed: the
best time of ``--repeat`` runs in each process (the first includes reading
the files cold from the page cache of the previous engine's run), the peak
RSS of the process (``ru_maxrss``), and whether the answers are equal to the
last count.  Both engines use every core.

This is the measurement behind the engine of ``plc_analysis.outofcore``; a
script, not a test: it prints figures and exits 0 whatever they are.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from core_aggregation import core_difference, duckdb_core, polars_core  # noqa: E402
from measure import peak_rss_gb, result_line, spawn  # noqa: E402
from scale_district import cached_partitioned, district_summary  # noqa: E402

ENGINES: dict[str, Callable[[Path], pd.DataFrame]] = {"duckdb": duckdb_core, "polars": polars_core}


def run_engine(engine: str, folder: Path, out: Path, repeat: int) -> dict[str, Any]:
    """Time ``engine`` on ``folder`` (best of ``repeat``), its answer written to ``out``."""
    import importlib

    importlib.import_module(engine)  # the import is not timed
    seconds = []
    table = None
    for _ in range(repeat):
        start = time.perf_counter()
        table = ENGINES[engine](folder)
        seconds.append(time.perf_counter() - start)
    assert table is not None, "repeat must be at least 1"
    table.to_parquet(out)
    return {"seconds": min(seconds), "all_seconds": seconds, "peak_gb": peak_rss_gb(), "cells": len(table)}


def _worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=[*ENGINES, "generate"])
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    if args.kind == "generate":
        start = time.perf_counter()
        folder = cached_partitioned(args.rows)
        result = {"folder": str(folder), "seconds": time.perf_counter() - start, **district_summary(folder)}
    else:
        result = run_engine(args.kind, args.folder, args.out, args.repeat)
    print(result_line(result))
    return 0


def measure(rows: int, repeat: int, scratch: Path) -> dict[str, Any]:
    """Both engines on the district of ``rows`` rows; answers compared."""
    made = spawn(__file__, "generate", "--rows", str(rows), stream_stderr=True)
    result: dict[str, Any] = {"rows": made["scores"], "students": made["students"], "teams": made["teams"]}
    answers = {}
    for engine in ENGINES:
        out = scratch / f"{engine}-{rows}.parquet"
        try:
            result[engine] = spawn(
                __file__, engine, "--folder", made["folder"], "--out", str(out), "--repeat", str(repeat)
            )
            answers[engine] = pd.read_parquet(out)
        except RuntimeError as exc:
            result[engine] = {"error": str(exc).splitlines()[-1][:200]}
    result["difference"] = (
        core_difference(answers["duckdb"], answers["polars"]) if len(answers) == 2 else "an engine failed"
    )
    return result


def report(results: list[dict[str, Any]]) -> list[str]:
    """The table of figures and the conclusion per size."""
    head = f"{'rows':>13}{'students':>10}{'teams':>7}  {'DuckDB s':>9}{'GB':>6}  {'Polars s':>9}{'GB':>6}  answers"
    lines = [head, "-" * len(head)]
    for r in results:
        cells = []
        for engine in ENGINES:
            fig = r[engine]
            cells.append(f"{'failed':>15}" if "error" in fig else f"{fig['seconds']:>9.2f}{fig['peak_gb']:>6.2f}")
        agree = "equal" if not r["difference"] else f"DIFFER: {r['difference']}"
        lines.append(f"{r['rows']:>13,}{r['students']:>10,}{r['teams']:>7,}  {cells[0]}  {cells[1]}  {agree}")
    lines.append("")
    for r in results:
        d, p = r["duckdb"], r["polars"]
        if "error" in d or "error" in p:
            lines.append(
                f"{r['rows']:,} rows: " + "; ".join(f"{e}: {r[e]['error']}" for e in ENGINES if "error" in r[e])
            )
            continue
        lines.append(
            f"{r['rows']:,} rows: Polars/DuckDB time {p['seconds'] / d['seconds']:.2f}x, "
            f"peak memory {p['peak_gb'] / d['peak_gb']:.2f}x (runs: DuckDB "
            + ", ".join(f"{s:.2f}" for s in d["all_seconds"])
            + " s; Polars "
            + ", ".join(f"{s:.2f}" for s in p["all_seconds"])
            + " s)"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the figures; always returns 0."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return _worker(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e7,1e8", help="comma-separated score-row counts (default 1e7,1e8)")
    parser.add_argument("--quick", action="store_true", help="smoke run: sizes 1e6,1e7")
    parser.add_argument("--repeat", type=int, default=2, help="runs per engine process (best shown)")
    args = parser.parse_args(argv)
    sizes = [int(float(s)) for s in ("1e6,1e7" if args.quick else args.sizes).split(",") if s.strip()]
    print(
        f"bench_engines: sizes {', '.join(f'{s:,}' for s in sizes)}; {args.repeat} run(s) each; {os.cpu_count()} CPUs"
    )
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for rows in sizes:
            print(f"  {rows:,} rows ...", flush=True)
            try:
                results.append(measure(rows, args.repeat, Path(scratch)))
            except Exception as exc:  # a script that prints, never fails
                print(f"  {rows:,} rows failed: {exc}")
    print()
    if results:
        print("\n".join(report(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
