"""The scale benchmark judges its targets as the issue states them (figures made up; nothing is timed)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_engines  # noqa: E402
import bench_scale  # noqa: E402


def _size(rows: int, seconds: float, peak: float = 1.0, core: float = 1.0, sql: float = 1.0) -> dict:
    stage = {"seconds": seconds, "peak_gb": peak}
    return {
        "rows": rows,
        "students": rows // 330,
        "teams": rows // 48_000,
        "schools": 1,
        "generate_seconds": 0.0,
        "stages": {
            "open": stage,
            "overview": stage,
            "extracts": stage,
            "batch": {**stage, "per_team": 1.0, "teams": 50, "pages": 50, "failed": ""},
            "core": {"seconds": core, "peak_gb": peak, "sql": {"seconds": sql, "peak_gb": 0.5}, "difference": ""},
        },
    }


def test_targets_pass_when_met():
    text = "\n".join(
        bench_scale.report(
            [_size(10_000_000, 5.0), _size(100_000_000, 50.0, peak=4.0, core=1.2)],
            {"rows": 1_000_000, "differences": {"core aggregation": ""}},
        )
    )
    assert "100,000,000 rows load + validate + overview + all extracts: 150.0 s, target < 180 s: PASS" in text
    assert "time x10.00, target <= x11.0 (no worse than linear): PASS" in text
    assert "largest 4.00 GB (open), target < 6 GB: PASS" in text
    assert "= 1.20x, target <= 1.25x: PASS; answers agree: PASS" in text
    assert "answers equal to the in-memory pandas path (1 tables): PASS" in text
    assert "MISS" not in text


def test_targets_miss_when_not_met():
    text = "\n".join(
        bench_scale.report(
            [_size(10_000_000, 5.0), _size(100_000_000, 70.0, peak=6.5, core=1.3)],
            {"rows": 1_000_000, "differences": {"core aggregation": "3 of 10 cells differ"}},
        )
    )
    assert "210.0 s, target < 180 s: MISS" in text
    assert "(no worse than linear): MISS" in text
    assert "largest 6.50 GB" in text and "target < 6 GB: MISS" in text
    assert "target <= 1.25x: MISS" in text
    assert "(1 tables): MISS" in text and "3 of 10 cells differ" in text


def test_a_stage_not_wired_is_not_judged():
    result = _size(100_000_000, 50.0)
    result["stages"]["extracts"] = {"not_wired": "no extracts yet"}
    text = "\n".join(bench_scale.report([result], None))
    assert "extracts: not wired (no extracts yet)" in text
    assert "all extracts: not judged" in text
    assert "MISS" not in text


def test_engines_report_shows_both_engines_and_agreement():
    fig = {"seconds": 2.0, "all_seconds": [2.0], "peak_gb": 1.0}
    text = "\n".join(
        bench_engines.report(
            [
                {
                    "rows": 10,
                    "students": 1,
                    "teams": 1,
                    "duckdb": fig,
                    "polars": {**fig, "seconds": 5.0},
                    "difference": "",
                }
            ]
        )
    )
    assert "equal" in text and "Polars/DuckDB time 2.50x" in text


def test_a_failed_stage_says_why_and_is_not_judged():
    result = _size(100_000_000, 50.0)
    result["stages"]["overview"] = {"error": "OutOfMemoryException: Out of Memory Error", "peak_gb": 3.1}
    text = "\n".join(bench_scale.report([result], None))
    assert "overview: FAILED: OutOfMemoryException: Out of Memory Error" in text
    assert "all extracts: not judged" in text
