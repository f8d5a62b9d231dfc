"""Time the sample generator at full Stevenson size (4,000 students): target under 15 s.

Run from the repository root::

    .venv/bin/python benchmarks/bench_sample.py [--students N] [--repeat R]

Prints the time of each run, the best, and PASS/MISS against the target.  This target
lived in a timed test (tests/test_sample.py) until it failed on a loaded machine;
speed targets belong here, correctness stays in the test.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from plc_analysis.sample import generate_sample

TARGET_SECONDS = 15.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    times = []
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            generate_sample(Path(tmp) / "district", students=args.students)
            times.append(time.perf_counter() - start)
        print(f"run {run + 1}: {times[-1]:.2f} s for {args.students} students")
    best = min(times)
    verdict = "PASS" if best < TARGET_SECONDS else "MISS"
    print(f"sample generation, best of {len(times)}: {best:.2f} s (target < {TARGET_SECONDS:.0f} s) {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
