"""Time the PLC analytics on the sample district: one team and the whole district.

Run from the repository root::

    .venv/bin/python benchmarks/bench_analytics.py [--repeat 5] [--team T-G3]

Each analytic is run once to warm up, then ``--repeat`` times; the table shows
the median in seconds.  Every run gets a fresh copy of the dataset's join cache
(``Dataset.responses()``, ``student_sections()``), so a figure is what one call
costs on its own; the ``warm`` column keeps the cache between runs, as a report
that reuses one dataset does.  Targets (from the performance issue): all the
analytics for one team well under a second (< 1 s in total); for the whole
sample district under a few seconds (< 5 s in total).

This is a script, not a test: it prints and exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import plc_analysis as plc  # noqa: E402

ANALYTICS = {
    "proficiency_by_skill": lambda d: plc.proficiency_by_skill(d),
    "compare_to_team (skill)": lambda d: plc.compare_to_team(d, by="skill"),
    "compare_to_team (item)": lambda d: plc.compare_to_team(d, by="item"),
    "item_analysis": lambda d: plc.item_analysis(d),
    "assessment_reliability": lambda d: plc.assessment_reliability(d),
    "rater_calibration": lambda d: plc.rater_calibration(d),
    "talking_points": lambda d: plc.talking_points(d),
}

TARGETS = {"one team": 1.0, "district": 5.0}


def fresh(dataset: plc.Dataset) -> plc.Dataset:
    """The same tables with an empty join cache."""
    return dataset.uncached()


def median_seconds(func: Callable[[plc.Dataset], object], dataset: plc.Dataset, repeat: int, *, warm: bool) -> float:
    func(fresh(dataset))  # warm-up (imports, first-call costs)
    shared = fresh(dataset)
    times = []
    for _ in range(repeat):
        d = shared if warm else fresh(dataset)
        start = time.perf_counter()
        func(d)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per analytic (median reported)")
    parser.add_argument("--team", default="T-G3", help="team_id for the one-team case")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    district = plc.load_sample()
    loaded = time.perf_counter() - start
    team = district.filter(team_id=args.team)
    print(
        f"sample loaded in {loaded:.2f} s: {len(district.assessments)} assessments, "
        f"{len(district.scores):,} score rows; team {args.team}: {len(team.assessments)} assessments, "
        f"{len(team.scores):,} score rows"
    )
    print(f"median of {args.repeat} runs after one warm-up; seconds\n")

    scopes = {"one team": team, "district": district}
    results = {
        (name, scope, warm): median_seconds(func, data, args.repeat, warm=warm)
        for name, func in ANALYTICS.items()
        for scope, data in scopes.items()
        for warm in (False, True)
    }

    header = f"{'analytic':<26}" + "".join(
        f"{scope + ' (' + kind + ')':>22}" for scope in scopes for kind in ("cold", "warm")
    )
    header += "".join(f"{'share of ' + scope + ' budget':>28}" for scope in scopes)
    print(header)
    print("-" * len(header))
    for name in ANALYTICS:
        line = f"{name:<26}"
        for scope in scopes:
            for warm in (False, True):
                line += f"{results[name, scope, warm]:>22.3f}"
        for scope in scopes:
            line += f"{results[name, scope, False] / TARGETS[scope]:>27.0%} "
        print(line)
    print("-" * len(header))
    total_line = f"{'TOTAL':<26}"
    verdicts = []
    for scope in scopes:
        for warm in (False, True):
            total_line += f"{sum(results[n, scope, warm] for n in ANALYTICS):>22.3f}"
    for scope in scopes:
        total = sum(results[n, scope, False] for n in ANALYTICS)
        total_line += f"{total / TARGETS[scope]:>27.0%} "
        verdicts.append(
            f"{scope}: {total:.2f} s cold vs target < {TARGETS[scope]:g} s "
            f"(ratio {total / TARGETS[scope]:.2f}) {'OK' if total < TARGETS[scope] else 'SLOW'}"
        )
    print(total_line)
    print()
    for verdict in verdicts:
        print(verdict)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
