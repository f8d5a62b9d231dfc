"""Run every benchmark (``make bench``): each prints its figures, ratios and PASS/MISS against its target.

Run from the repository root::

    .venv/bin/python benchmarks/run_all.py [--only batch,metrics] [--quick]

``--quick`` passes each script its smaller settings (a smoke run, not the
figures recorded in ``benchmarks/README.md``).  Exits 0 whatever the figures;
non-zero only when a script itself crashes.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: name → (script, extra arguments for --quick)
BENCHMARKS = {
    "analytics": ("bench_analytics.py", ["--repeat", "2"]),
    "explorer": ("bench_explorer.py", ["--repeat", "1"]),
    "metrics": ("bench_metrics.py", ["--quick"]),
    "batch": ("bench_batch.py", ["--copies", "2", "--naive-teams", "2"]),
    "sample": ("bench_sample.py", ["--students", "1000", "--repeat", "1"]),
    "engines": ("bench_engines.py", ["--quick"]),
    "scale": ("bench_scale.py", ["--quick"]),
    "partials": ("bench_partials.py", ["--quick"]),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated subset of: " + ", ".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()] or list(BENCHMARKS)
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")

    print(
        f"{date.today()} · {platform.node()} · {platform.processor() or platform.machine()} · "
        f"Python {platform.python_version()}",
        flush=True,
    )
    failed = []
    for name in chosen:
        script, quick = BENCHMARKS[name]
        print(f"\n=== {name} ({script}) " + "=" * max(0, 60 - len(name) - len(script)), flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / script), *(quick if args.quick else [])])
        print(f"--- {name}: {time.perf_counter() - start:.0f} s" + (f", exit code {code}" if code else ""), flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"\nbenchmark scripts that crashed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
