"""The district's proficiency tables at once, school by school here, and on a Dask cluster: time and memory.

Run from the repository root::

    .venv/bin/python benchmarks/bench_partials.py                    # the 10M-row scale district
    .venv/bin/python benchmarks/bench_partials.py --rows 1e8         # the 100M-row one
    .venv/bin/python benchmarks/bench_partials.py --path DISTRICT    # any school-partitioned folder
    .venv/bin/python benchmarks/bench_partials.py --quick            # 1M rows: a smoke run

Each way runs in its own process (``plc_analysis.outofcore.proficiency_tables``,
the tables by team, by school and for the district, as ``plc overview-tables``):

* ``whole``: the whole district in one DuckDB (the default of ``plc overview-tables``);
* ``jobs1``, ``jobs2``: school by school, one at a time in this process, or two
  processes (``--jobs``);
* ``dask``: school by school on a ``LocalCluster`` of two single-threaded
  worker processes (``--scheduler``; the cluster's start is not timed, as a
  district's cluster is already running).

Peak memory is the largest sum of the resident memory of the process and all
its children, sampled every 0.1 s (a pool's or a cluster's processes
together).  Every way's tables are checked against ``whole``'s: counts equal,
means to 1e-12.  Figures are recorded in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

WAYS = ("whole", "jobs1", "jobs2", "dask")
RESULT = "RESULT "


def _tables(path: str, way: str) -> tuple[dict, float, dict]:
    from plc_analysis.outofcore import proficiency_tables

    if way == "dask":
        import logging

        import distributed

        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            client.wait_for_workers(2)
            start = time.perf_counter()
            result = proficiency_tables(path, scheduler=client)
            spent = time.perf_counter() - start
    else:
        jobs = {"whole": None, "jobs1": 1, "jobs2": 2}[way]
        start = time.perf_counter()
        result = proficiency_tables(path, jobs=jobs)
        spent = time.perf_counter() - start
    facts = {"schools": len(result.schools), "scores": result.n_scores, "crossing": result.crossing}
    return result.tables, spent, facts


def _worker(path: str, way: str, out: str) -> None:
    tables, spent, facts = _tables(path, way)
    for label, table in tables.items():
        table.to_parquet(Path(out) / f"{way}-{label}.parquet")
    print(RESULT + json.dumps({"seconds": spent, **facts}), flush=True)


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux ``/proc``)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent and child not in tree]
        tree.update(children)
        frontier += children
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for member in tree:
        try:
            total += int((Path("/proc") / str(member) / "statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


def _measure(path: str, way: str, out: str) -> dict:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--worker", way, "--path", path, "--out", out],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(HERE.parent)},
    )
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    sampler.join()
    for line in output.splitlines():
        if line.startswith(RESULT):
            return {**json.loads(line[len(RESULT) :]), "peak_gb": peak[0] / 2**30}
    raise RuntimeError(f"{way} failed (exit {proc.returncode}):\n{output[-2000:]}")


#: Columns computed in floating point (sums in another order): equal to 1e-12; every other column exactly.
FRACTIONS = {"mean_score", "share_proficient", "ci_low", "ci_high", "proficiency_cut"}


def _differences(got: object, expected: object, label: str) -> list[str]:
    import numpy as np
    import pandas as pd

    assert isinstance(got, pd.DataFrame) and isinstance(expected, pd.DataFrame)
    if list(got.columns) != list(expected.columns) or len(got) != len(expected):
        return [f"{label}: shape {got.shape} against {expected.shape}"]
    found = []
    for column in expected.columns:
        a, b = got[column], expected[column]
        if column in FRACTIONS:
            same = np.allclose(a.astype(float), b.astype(float), rtol=1e-12, atol=1e-12, equal_nan=True)
        else:
            same = a.astype(str).tolist() == b.astype(str).tolist()
        if not same:
            found.append(f"{label}.{column}")
    return found


def _same(out: str, way: str) -> str:
    import pandas as pd

    found = []
    for whole in sorted(Path(out).glob("whole-*.parquet")):
        label = whole.name[len("whole-") : -len(".parquet")]
        found += _differences(pd.read_parquet(Path(out) / f"{way}-{label}.parquet"), pd.read_parquet(whole), label)
    return "same tables as whole" if not found else "DIFFERENT: " + ", ".join(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e7, help="scale district size (default 1e7)")
    parser.add_argument("--path", default=None, help="a school-partitioned district instead")
    parser.add_argument("--ways", default=",".join(WAYS), help=f"comma-separated subset of {', '.join(WAYS)}")
    parser.add_argument("--quick", action="store_true", help="1M rows")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.path, args.worker, args.out)
        return 0
    import tempfile

    from scale_district import cached_partitioned

    path = args.path or str(cached_partitioned(int(1e6 if args.quick else args.rows)))
    ways = [w.strip() for w in args.ways.split(",") if w.strip()]
    load = os.getloadavg()[0]
    print(f"district {path} · {os.cpu_count()} cores · load average {load:.1f} at the start")
    with tempfile.TemporaryDirectory(prefix="plc-bench-partials-") as out:
        for way in ways:
            found = _measure(path, way, out)
            same = _same(out, way) if way != "whole" and "whole" in ways else ""
            print(
                f"{way:6s} {found['seconds']:7.1f} s  peak {found['peak_gb']:.2f} GB  "
                f"({found['schools']} schools, {found['scores']:,} score rows, "
                f"{found['crossing'] if found['crossing'] is not None else '-'} in several schools)  {same}",
                flush=True,
            )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
