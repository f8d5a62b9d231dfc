"""Names and defaults every part of the batch agrees on: notebooks, time limits, file names, statuses."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

#: Folder of the shipped report notebooks (``<repo>/notebooks``).
NOTEBOOK_DIR = Path(__file__).resolve().parent.parent.parent / "notebooks"
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

Per = Literal["team", "school"]
