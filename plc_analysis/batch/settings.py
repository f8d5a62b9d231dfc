"""Names and defaults every part of the batch agrees on: notebooks, time limits, file names, statuses."""

from __future__ import annotations

from typing import Literal

from ..bundled import NOTEBOOK_DIR

#: The team report run by default.
DEFAULT_NOTEBOOK = NOTEBOOK_DIR / "team_report.ipynb"
#: The school report run by default with ``per="school"`` (falls back to the team report).
DEFAULT_SCHOOL_NOTEBOOK = NOTEBOOK_DIR / "support_plan.ipynb"
#: The district overview that ``plc report`` adds to the team reports.
DISTRICT_OVERVIEW_NOTEBOOK = NOTEBOOK_DIR / "district_overview.ipynb"
#: Default per-report time limit, in seconds.
DEFAULT_TIMEOUT = 600.0
#: Kernel startup limit, in seconds (not counted in the per-report time limit).
START_TIMEOUT = 60
MANIFEST_NAME = "manifest.json"
INDEX_NAME = "index.html"
#: File stem of a per-school report inside the school's folder.
SCHOOL_REPORT_STEM = "index-school"
#: File stem of the district overview in the output folder.
DISTRICT_OVERVIEW_STEM = "district_overview"
#: Report statuses, in the order the summary lists them.
STATUSES = ("ok", "no data", "failed", "timeout")
#: Statuses that make the exit code 1 and that ``--only-failed`` re-runs.
FAILED_STATUSES = frozenset({"failed", "timeout"})
MANIFEST_VERSION = 1
#: Name under which the guarded papermill engine is registered.
ENGINE_NAME = "plc-guarded"
#: Value of a parameter that the worker replaces with its local copy of the extract.
EXTRACT_PLACEHOLDER = "{plc-extract}"

#: Run (silently, outside the notebook) in a report's kernel before a notebook that reads a team's extract.
#: pandas then keeps text in Python strings instead of Arrow arrays: a team's tables hold a few thousand
#: rows, where pyarrow's fixed cost per operation (take, factorize, conversions) outweighs its speed, and
#: a team report's cells take about a fifth less time, with the same pages (measured in one process and
#: in one warm kernel: ``benchmarks/README.md``).  Whole-district data (``--no-extract``) keeps pandas'
#: default: Python strings would take several times the memory of Arrow's on millions of rows.
SMALL_DATA_KERNEL_SETUP = "import pandas as _p\n_p.set_option('mode.string_storage', 'python')\ndel _p"
#: Run before any other notebook: pandas' default string storage again, should a warm kernel have served an
#: extract before (pandas is not imported for this).
DEFAULT_KERNEL_SETUP = (
    "import sys as _s\nif 'pandas' in _s.modules:\n    _s.modules['pandas'].reset_option('mode.string_storage')\ndel _s"
)

Per = Literal["team", "school"]
